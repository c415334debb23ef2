use serde::{Deserialize, Serialize};

/// The longest period TA-Lib accepts; it also bounds the ring buffers a
/// configuration can make us allocate.
pub const MAX_PERIOD: usize = 100_000;

/// Periods and widths of every indicator. The defaults are the usual ones and
/// equal the project's `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndicatorParams {
    pub ema_periods: [usize; 3],
    pub rsi_period: usize,
    pub atr_period: usize,
    pub adx_period: usize,
    pub macd_fast: usize,
    pub macd_slow: usize,
    pub macd_signal: usize,
    pub bb_period: usize,
    /// Band half-width in population standard deviations.
    pub bb_stddev: f64,
    /// Window, in returns, of the rolling standard deviation of log returns.
    pub logret_std_period: usize,
}

impl Default for IndicatorParams {
    fn default() -> Self {
        IndicatorParams {
            ema_periods: [20, 50, 200],
            rsi_period: 14,
            atr_period: 14,
            adx_period: 14,
            macd_fast: 12,
            macd_slow: 26,
            macd_signal: 9,
            bb_period: 20,
            bb_stddev: 2.0,
            logret_std_period: 20,
        }
    }
}

impl IndicatorParams {
    /// Every problem as (key, what is wrong); empty when usable. The lower
    /// bounds are TA-Lib's: below them its functions refuse to run, so there
    /// would be nothing to be exact against.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut period = |key: &str, value: usize, min: usize| {
            if value < min || value > MAX_PERIOD {
                out.push((
                    key.to_string(),
                    format!("{value} is out of range; use a period from {min} to {MAX_PERIOD}"),
                ));
            }
        };
        for p in self.ema_periods {
            period("ema_periods", p, 2);
        }
        period("rsi_period", self.rsi_period, 2);
        period("atr_period", self.atr_period, 1);
        period("adx_period", self.adx_period, 2);
        period("macd_fast", self.macd_fast, 2);
        period("macd_slow", self.macd_slow, 2);
        period("macd_signal", self.macd_signal, 1);
        period("bb_period", self.bb_period, 2);
        period("logret_std_period", self.logret_std_period, 2);
        if self.macd_fast >= self.macd_slow {
            out.push((
                "macd_fast".to_string(),
                format!(
                    "{} must be shorter than macd_slow {}",
                    self.macd_fast, self.macd_slow
                ),
            ));
        }
        if !(self.bb_stddev.is_finite() && self.bb_stddev > 0.0) {
            out.push((
                "bb_stddev".to_string(),
                format!(
                    "{} must be a positive number of standard deviations, e.g. 2.0",
                    self.bb_stddev
                ),
            ));
        }
        out
    }
}

/// A period the indicators can run with whatever the configuration says, so
/// that building them never panics; `validate` is where bad values are reported.
pub(super) fn usable(period: usize) -> usize {
    period.clamp(1, MAX_PERIOD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &IndicatorParams) -> Vec<String> {
        p.validate().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(IndicatorParams::default().validate(), vec![]);
    }

    #[test]
    fn zero_and_huge_periods_are_reported_by_key() {
        let p = IndicatorParams {
            ema_periods: [20, 0, 200],
            rsi_period: 1,
            atr_period: 0,
            bb_period: MAX_PERIOD + 1,
            logret_std_period: 0,
            ..IndicatorParams::default()
        };
        assert_eq!(
            keys(&p),
            [
                "ema_periods",
                "rsi_period",
                "atr_period",
                "bb_period",
                "logret_std_period"
            ]
        );
    }

    #[test]
    fn macd_fast_must_be_shorter_than_slow() {
        let p = IndicatorParams {
            macd_fast: 26,
            macd_slow: 26,
            ..IndicatorParams::default()
        };
        let problems = p.validate();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "macd_fast");
        assert_eq!(problems[0].1, "26 must be shorter than macd_slow 26");
    }

    #[test]
    fn bb_stddev_must_be_positive_and_finite() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let p = IndicatorParams {
                bb_stddev: bad,
                ..IndicatorParams::default()
            };
            assert_eq!(keys(&p), ["bb_stddev"], "{bad}");
        }
    }

    #[test]
    fn a_partial_table_fills_in_defaults_and_unknown_keys_are_refused() {
        let p: IndicatorParams = toml::from_str("rsi_period = 7").unwrap();
        assert_eq!(p.rsi_period, 7);
        assert_eq!(p.ema_periods, [20, 50, 200]);
        assert!(toml::from_str::<IndicatorParams>("rsi = 7").is_err());
    }
}
