//! Rolling population standard deviation of log returns (realised volatility
//! per bar), with TA-Lib's drift-free rolling variance.

use super::rolling_variance::{RollingVariance, stddev};

/// σ of `ln(close / prev close)` over the last `window` returns; the first
/// value comes once `window` returns exist, at bar index `window`.
#[derive(Debug, Clone)]
pub struct LogReturnStd {
    prev_close: Option<f64>,
    variance: RollingVariance,
}

impl LogReturnStd {
    pub fn new(window: usize) -> Self {
        LogReturnStd {
            prev_close: None,
            variance: RollingVariance::new(window),
        }
    }

    pub fn update(&mut self, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        self.variance.update((close / prev).ln()).map(stddev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_needs_window_returns() {
        let mut s = LogReturnStd::new(3);
        let out: Vec<_> = [1.0, 2.0, 4.0, 8.0, 16.0]
            .iter()
            .map(|&c| s.update(c))
            .collect();
        assert_eq!(out[..3], [None, None, None]);
        // Every return is ln 2: no dispersion.
        assert_eq!(out[3..], [Some(0.0), Some(0.0)]);
    }

    #[test]
    fn alternating_moves_have_sigma_ln2() {
        // Returns alternate +ln 2 and −ln 2: mean 0, population σ ln 2.
        let mut s = LogReturnStd::new(4);
        let mut last = None;
        for c in [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0] {
            last = s.update(c);
        }
        assert!((last.unwrap() - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn flat_prices_have_zero_volatility() {
        let mut s = LogReturnStd::new(20);
        for c in [100.0, 101.0, 99.0] {
            s.update(c);
        }
        let last = (0..50).filter_map(|_| s.update(123.4)).last();
        assert_eq!(last, Some(0.0));
    }
}
