//! Bollinger Bands as TA-Lib's BBANDS computes them with an SMA middle band.
//!
//! The `ta` crate's bands agree only to about 1e-11 (its sliding Welford
//! update differs from TA-Lib's sums and drifts over long runs); these are
//! bit-identical to TA-Lib on the reference file.

use super::rolling_variance::{RollingVariance, stddev};
use super::sma::Sma;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// BBANDS(n, k): middle = SMA(n), upper/lower = middle ± k·σ with σ the
/// population standard deviation; first value at bar n − 1.
#[derive(Debug, Clone)]
pub struct Bollinger {
    sma: Sma,
    variance: RollingVariance,
    stddevs: f64,
}

impl Bollinger {
    pub fn new(period: usize, stddevs: f64) -> Self {
        Bollinger {
            sma: Sma::new(period),
            variance: RollingVariance::new(period),
            stddevs,
        }
    }

    pub fn update(&mut self, close: f64) -> Option<Bands> {
        let (Some(middle), Some(variance)) = (self.sma.update(close), self.variance.update(close))
        else {
            return None;
        };
        let width = stddev(variance) * self.stddevs;
        Some(Bands {
            upper: middle + width,
            middle,
            lower: middle - width,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_start_when_the_window_is_full() {
        let mut bb = Bollinger::new(3, 2.0);
        assert_eq!(bb.update(1.0), None);
        assert_eq!(bb.update(2.0), None);
        assert!(bb.update(3.0).is_some());
    }

    #[test]
    fn uses_population_standard_deviation() {
        // Window 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population σ exactly 2.
        let mut bb = Bollinger::new(8, 2.0);
        let last = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
            .iter()
            .filter_map(|&c| bb.update(c))
            .last()
            .unwrap();
        assert_eq!(last.middle, 5.0);
        assert!((last.upper - 9.0).abs() < 1e-12);
        assert!((last.lower - 1.0).abs() < 1e-12);
    }

    #[test]
    fn window_slides_and_forgets_old_closes() {
        let mut bb = Bollinger::new(2, 1.0);
        for c in [100.0, -50.0, 3.0] {
            bb.update(c);
        }
        let v = bb.update(5.0).unwrap();
        assert_eq!(v.middle, 4.0);
        assert!((v.upper - 5.0).abs() < 1e-12 && (v.lower - 3.0).abs() < 1e-12);
    }

    #[test]
    fn flat_market_collapses_the_bands_onto_the_middle() {
        let mut bb = Bollinger::new(20, 2.0);
        for c in [64_100.0, 63_900.0, 64_050.0] {
            bb.update(c);
        }
        let last = (0..40).filter_map(|_| bb.update(64_000.5)).last().unwrap();
        assert_eq!(
            (last.upper, last.middle, last.lower),
            (64_000.5, 64_000.5, 64_000.5)
        );
    }
}
