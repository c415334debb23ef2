//! Wilder's smoothed average, the core of RSI and ATR.
//!
//! The `ta` crate's RSI and ATR use an ordinary EMA (k = 2/(n+1)) instead, so
//! they cannot match TA-Lib.

/// Seeds with the simple mean of the first n inputs, then
/// `avg = (avg·(n−1) + x) / n`, evaluated in TA-Lib's order.
#[derive(Debug, Clone)]
pub struct WilderAverage {
    period: usize,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl WilderAverage {
    pub fn new(period: usize) -> Self {
        WilderAverage {
            period,
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        let n = self.period as f64;
        if let Some(prev) = self.value {
            self.value = Some((prev * (n - 1.0) + x) / n);
            return self.value;
        }
        self.seen += 1;
        self.seed_sum += x;
        if self.seen == self.period {
            self.value = Some(self.seed_sum / n);
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_with_the_mean_then_weights_the_past_by_n_minus_1() {
        let mut w = WilderAverage::new(4);
        let out: Vec<_> = [1.0, 2.0, 3.0, 6.0, 7.0, 0.0]
            .iter()
            .map(|&x| w.update(x))
            .collect();
        // Seed 3; then (3·3 + 7)/4 = 4; then (4·3 + 0)/4 = 3.
        assert_eq!(out, [None, None, None, Some(3.0), Some(4.0), Some(3.0)]);
    }

    #[test]
    fn period_one_follows_the_input() {
        let mut w = WilderAverage::new(1);
        assert_eq!(w.update(5.0), Some(5.0));
        assert_eq!(w.update(-2.5), Some(-2.5));
    }
}
