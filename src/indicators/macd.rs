//! MACD with TA-Lib's seeding, which the `ta` crate does not reproduce.

use super::ema::Ema;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValues {
    pub macd: f64,
    pub signal: f64,
    pub hist: f64,
}

/// MACD(fast, slow, signal). TA-Lib starts the fast EMA at the slow EMA's
/// first output (bar slow − 1), seeded with the mean of the `fast` closes
/// ending there, so the early MACD line differs from a free-running
/// EMA(fast) − EMA(slow). The signal EMA seeds on the first `signal` MACD
/// values; everything is reported from bar slow + signal − 2 on.
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    /// TA-Lib swaps the periods when fast > slow; so do we.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = if fast > slow {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Macd {
            fast: Ema::delayed(fast, slow - fast),
            slow: Ema::new(slow),
            signal: Ema::new(signal),
        }
    }

    pub fn update(&mut self, close: f64) -> Option<MacdValues> {
        let (Some(fast), Some(slow)) = (self.fast.update(close), self.slow.update(close)) else {
            return None;
        };
        let macd = fast - slow;
        let signal = self.signal.update(macd)?;
        Some(MacdValues {
            macd,
            signal,
            hist: macd - signal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_output_is_at_slow_plus_signal_minus_two() {
        let mut m = Macd::new(12, 26, 9);
        let first = (0..100)
            .map(|i| m.update(100.0 + (i as f64 * 0.3).sin()))
            .position(|v| v.is_some());
        assert_eq!(first, Some(33));
    }

    #[test]
    fn macd_is_zero_on_a_constant_series() {
        let mut m = Macd::new(3, 5, 2);
        let last = (0..20).filter_map(|_| m.update(42.0)).last();
        assert_eq!(
            last,
            Some(MacdValues {
                macd: 0.0,
                signal: 0.0,
                hist: 0.0
            })
        );
    }

    #[test]
    fn fast_ema_is_seeded_on_the_closes_before_the_slow_seed_ends() {
        // fast 2, slow 4, signal 1. Closes 1, 2, 3, 5:
        // slow seed at bar 3 = 11/4; fast seed at bar 3 = mean(3, 5) = 4,
        // NOT a free-running EMA2 over 1, 2, 3, 5 (which gives 13/3).
        let mut m = Macd::new(2, 4, 1);
        let out: Vec<_> = [1.0, 2.0, 3.0, 5.0].iter().map(|&c| m.update(c)).collect();
        assert_eq!(out[..3], [None, None, None]);
        let v = out[3].unwrap();
        assert_eq!(v.macd, 4.0 - 2.75);
        // Signal EMA(1) is the line itself.
        assert_eq!((v.signal, v.hist), (v.macd, 0.0));
    }

    #[test]
    fn swapped_periods_behave_like_talib() {
        let closes: Vec<f64> = (0..60).map(|i| 100.0 + (i as f64 * 0.7).cos()).collect();
        let mut a = Macd::new(12, 26, 9);
        let mut b = Macd::new(26, 12, 9);
        for c in closes {
            assert_eq!(a.update(c), b.update(c));
        }
    }
}
