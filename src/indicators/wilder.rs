//! Wilder's smoothed average, the core of RSI and ATR.
//!
//! The `ta` crate's RSI and ATR use an ordinary EMA (k = 2/(n+1)) instead, so
//! they cannot match TA-Lib.

/// How a step is evaluated. Both are `avg·(n−1)/n + x/n`; TA-Lib rounds them
/// differently per indicator, and matching its bits means following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WilderForm {
    /// `(avg·(n−1) + x) / n`, three roundings (TA-Lib's RSI).
    Classic,
    /// `fma(β, avg, α·x)` with β = (n−1)/n and α = 1 − β (TA-Lib's ATR since
    /// it fused the step; deriving α from β makes α + β exactly 1).
    Fused,
}

/// Seeds with the simple mean of the first n inputs (summed from 0 in order,
/// divided once), then smooths each input in `form`.
#[derive(Debug, Clone)]
pub struct WilderAverage {
    period: usize,
    form: WilderForm,
    beta: f64,
    alpha: f64,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl WilderAverage {
    pub fn new(period: usize, form: WilderForm) -> Self {
        let beta = (period as f64 - 1.0) / period as f64;
        WilderAverage {
            period,
            form,
            beta,
            alpha: 1.0 - beta,
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        let n = self.period as f64;
        if let Some(prev) = self.value {
            self.value = Some(match self.form {
                WilderForm::Classic => (prev * (n - 1.0) + x) / n,
                WilderForm::Fused => self.beta.mul_add(prev, self.alpha * x),
            });
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

    fn run(form: WilderForm, period: usize, xs: &[f64]) -> Vec<Option<f64>> {
        let mut w = WilderAverage::new(period, form);
        xs.iter().map(|&x| w.update(x)).collect()
    }

    #[test]
    fn seeds_with_the_mean_then_weights_the_past_by_n_minus_1() {
        // Seed 3; then (3·3 + 7)/4 = 4; then (4·3 + 0)/4 = 3: exact in both forms.
        for form in [WilderForm::Classic, WilderForm::Fused] {
            let out = run(form, 4, &[1.0, 2.0, 3.0, 6.0, 7.0, 0.0]);
            assert_eq!(
                out,
                [None, None, None, Some(3.0), Some(4.0), Some(3.0)],
                "{form:?}"
            );
        }
    }

    #[test]
    fn forms_agree_to_rounding() {
        let xs: Vec<f64> = (0..500).map(|i| 100.0 + (i as f64 * 0.37).sin()).collect();
        let a = run(WilderForm::Classic, 14, &xs);
        let b = run(WilderForm::Fused, 14, &xs);
        for (a, b) in a.iter().zip(&b).skip(13) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!((a - b).abs() <= 1e-13 * a.abs(), "{a} vs {b}");
        }
    }

    #[test]
    fn period_one_follows_the_input() {
        for form in [WilderForm::Classic, WilderForm::Fused] {
            assert_eq!(
                run(form, 1, &[5.0, -2.5]),
                [Some(5.0), Some(-2.5)],
                "{form:?}"
            );
        }
    }
}
