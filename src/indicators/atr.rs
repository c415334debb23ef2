//! Average true range with Wilder's smoothing, as TA-Lib computes it.

use super::true_range::true_range;
use super::wilder::{WilderAverage, WilderForm};
use crate::domain::Bar;

/// ATR(n): bar 0 has no previous close, so its range is not used; the first
/// value, at bar index n, is the mean of the true ranges of bars 1..=n.
#[derive(Debug, Clone)]
pub struct Atr {
    prev_close: Option<f64>,
    avg: WilderAverage,
}

impl Atr {
    pub fn new(period: usize) -> Self {
        Atr {
            prev_close: None,
            avg: WilderAverage::new(period, WilderForm::Fused),
        }
    }

    pub fn update(&mut self, bar: &Bar) -> Option<f64> {
        let prev = self.prev_close.replace(bar.close)?;
        self.avg.update(true_range(bar.high, bar.low, prev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(high: f64, low: f64, close: f64) -> Bar {
        Bar {
            high,
            low,
            close,
            open: close,
            ..Bar::default()
        }
    }

    #[test]
    fn first_bar_range_is_ignored_and_seed_is_the_mean_of_the_next_n() {
        let mut atr = Atr::new(2);
        // Bar 0's range of 100 must not count.
        assert_eq!(atr.update(&bar(200.0, 100.0, 150.0)), None);
        assert_eq!(atr.update(&bar(152.0, 148.0, 150.0)), None); // TR 4
        assert_eq!(atr.update(&bar(151.0, 149.0, 150.0)), Some(3.0)); // TR 2
        // Gap up to 160: TR = 161 − 150 = 11; (3·1 + 11)/2 = 7.
        assert_eq!(atr.update(&bar(161.0, 159.0, 160.0)), Some(7.0));
    }

    #[test]
    fn atr_is_zero_for_a_flat_market() {
        let mut atr = Atr::new(14);
        let out: Vec<_> = (0..30).map(|_| atr.update(&bar(5.0, 5.0, 5.0))).collect();
        assert!(out[..14].iter().all(Option::is_none));
        assert!(out[14..].iter().all(|v| *v == Some(0.0)));
    }
}
