//! Wilder's relative strength index, as TA-Lib computes it.

use super::talib::ta_is_zero;
use super::wilder::{WilderAverage, WilderForm};

/// RSI(n): first value at the n-th price change (bar index n).
#[derive(Debug, Clone)]
pub struct Rsi {
    prev_close: Option<f64>,
    gain: WilderAverage,
    loss: WilderAverage,
}

impl Rsi {
    pub fn new(period: usize) -> Self {
        Rsi {
            prev_close: None,
            gain: WilderAverage::new(period, WilderForm::Classic),
            loss: WilderAverage::new(period, WilderForm::Classic),
        }
    }

    pub fn update(&mut self, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let change = close - prev;
        let (up, down) = if change < 0.0 {
            (0.0, -change)
        } else {
            (change, 0.0)
        };
        let (Some(g), Some(l)) = (self.gain.update(up), self.loss.update(down)) else {
            return None;
        };
        let total = g + l;
        // A market that has not moved at all has no strength either way;
        // TA-Lib reports 0 rather than dividing by zero.
        Some(if ta_is_zero(total) {
            0.0
        } else {
            100.0 * (g / total)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(period: usize, closes: &[f64]) -> Vec<Option<f64>> {
        let mut rsi = Rsi::new(period);
        closes.iter().map(|&c| rsi.update(c)).collect()
    }

    #[test]
    fn first_value_comes_at_index_period() {
        let out = run(3, &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(out[..3], [None, None, None]);
        assert_eq!(out[3], Some(100.0));
    }

    #[test]
    fn rsi_is_zero_when_price_never_moves() {
        let out = run(14, &[100.0; 40]);
        assert!(out[14..].iter().all(|v| *v == Some(0.0)));
    }

    #[test]
    fn rsi_is_zero_when_price_only_falls() {
        let closes: Vec<f64> = (0..30).map(|i| 100.0 - i as f64).collect();
        assert!(run(14, &closes)[14..].iter().all(|v| *v == Some(0.0)));
    }

    #[test]
    fn hand_checked_wilder_sequence() {
        // Changes +2, −1, +3 seed gains 5/3 and losses 1/3 → RSI 100·(5/3)/2.
        // Next change −2: gains (5/3·2)/3 = 10/9, losses (1/3·2 + 2)/3 = 8/9.
        let out = run(3, &[10.0, 12.0, 11.0, 14.0, 12.0]);
        let seed = 100.0 * ((5.0 / 3.0) / (5.0 / 3.0 + 1.0 / 3.0));
        assert!((out[3].unwrap() - seed).abs() < 1e-12);
        assert!((out[4].unwrap() - 100.0 * 10.0 / 18.0).abs() < 1e-12);
    }
}
