//! Exponential moving average with TA-Lib's seeding.
//!
//! The `ta` crate's EMA starts from the first input instead of from an SMA, so
//! its early values (and, through the long memory, many later ones) differ.

/// EMA(n): the first value, after n inputs, is their simple mean; then
/// `(x − prev)·k + prev` with `k = 2/(n+1)`, rounded once.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    /// Inputs to ignore before the seed window starts (see [`Ema::delayed`]).
    skip: usize,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    pub fn new(period: usize) -> Self {
        Ema::delayed(period, 0)
    }

    /// An EMA whose seed window starts only after `skip` inputs. TA-Lib's MACD
    /// needs this: it seeds the fast EMA on the closes just before the slow
    /// EMA's first output, so both start on the same bar.
    pub fn delayed(period: usize, skip: usize) -> Self {
        Ema {
            period,
            // TA-Lib's PER_TO_K, computed in the same order.
            k: 2.0 / (period + 1) as f64,
            skip,
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        if let Some(prev) = self.value {
            // Fused, as current TA-Lib computes it: with a separate multiply the
            // MACD signal line differs from TA-Lib's in the last bit on ~12% of bars.
            let v = (x - prev).mul_add(self.k, prev);
            self.value = Some(v);
            return self.value;
        }
        self.seen += 1;
        if self.seen > self.skip {
            // TA-Lib sums the seed window in order from 0.0 and divides once.
            self.seed_sum += x;
            if self.seen == self.skip + self.period {
                self.value = Some(self.seed_sum / self.period as f64);
            }
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mut ema: Ema, xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|&x| ema.update(x)).collect()
    }

    #[test]
    fn first_value_is_the_simple_mean_of_the_first_period_inputs() {
        let out = run(Ema::new(3), &[1.0, 2.0, 6.0]);
        assert_eq!(out, [None, None, Some(3.0)]);
    }

    #[test]
    fn later_values_move_by_k_towards_the_input() {
        // k = 2/4 = 0.5: 3 → 3 + (5−3)·0.5 = 4 → 4 + (0−4)·0.5 = 2.
        let out = run(Ema::new(3), &[1.0, 2.0, 6.0, 5.0, 0.0]);
        assert_eq!(out[3..], [Some(4.0), Some(2.0)]);
    }

    #[test]
    fn a_constant_series_stays_constant() {
        let out = run(Ema::new(5), &[7.25; 50]);
        assert!(out[4..].iter().all(|v| *v == Some(7.25)));
    }

    #[test]
    fn delayed_ema_ignores_the_skipped_inputs_when_seeding() {
        // Skips 100 and 200, seeds on mean(1, 2, 6) = 3 at the fifth input.
        let out = run(Ema::delayed(3, 2), &[100.0, 200.0, 1.0, 2.0, 6.0, 5.0]);
        assert_eq!(out, [None, None, None, None, Some(3.0), Some(4.0)]);
    }
}
