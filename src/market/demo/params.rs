//! The `[demo]` configuration section and its validation.

use serde::{Deserialize, Serialize};

/// The `[demo]` configuration section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoParams {
    /// Same seed, same market.
    pub seed: u64,
    /// First price of the first symbol, in USDT.
    pub start_price: f64,
    /// Bars generated instantly at start so that EMA200 is warm.
    pub history_bars: usize,
    /// Wall-clock milliseconds per demo candle: the demo runs accelerated.
    pub candle_ms: u64,
    /// Forming-candle updates shown per candle.
    pub ticks_per_candle: u32,
}

impl Default for DemoParams {
    fn default() -> Self {
        DemoParams {
            seed: 42,
            start_price: 60_000.0,
            history_bars: 1000,
            candle_ms: 2000,
            ticks_per_candle: 8,
        }
    }
}

/// Beyond this the tick arithmetic (i64 ticks) and the chart stop making sense.
const MAX_START_PRICE: f64 = 1e9;
const MIN_START_PRICE: f64 = 1e-4;
/// Generating history costs about a microsecond a bar; a million is a second.
const MAX_HISTORY_BARS: usize = 1_000_000;

impl DemoParams {
    /// Every problem as (key, what is wrong); empty when usable.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |key: &str, msg: String| out.push((key.to_string(), msg));
        if !(self.start_price.is_finite()
            && (MIN_START_PRICE..=MAX_START_PRICE).contains(&self.start_price))
        {
            bad(
                "start_price",
                format!(
                    "{} must be a price between {MIN_START_PRICE} and {MAX_START_PRICE:e}",
                    self.start_price
                ),
            );
        }
        if self.history_bars > MAX_HISTORY_BARS {
            bad(
                "history_bars",
                format!("{} is more than {MAX_HISTORY_BARS}", self.history_bars),
            );
        }
        if self.candle_ms < 10 {
            bad(
                "candle_ms",
                format!(
                    "{} ms is too fast to watch; use at least 10",
                    self.candle_ms
                ),
            );
        }
        if self.ticks_per_candle == 0 {
            bad(
                "ticks_per_candle",
                "must be at least 1 (1 shows only closed candles)".to_string(),
            );
        } else if u64::from(self.ticks_per_candle) > self.candle_ms.max(1) {
            bad(
                "ticks_per_candle",
                format!(
                    "{} updates do not fit in candle_ms = {} (at most one per ms)",
                    self.ticks_per_candle, self.candle_ms
                ),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(DemoParams::default().validate().is_empty());
        let bad = DemoParams {
            start_price: -1.0,
            history_bars: 2_000_000,
            candle_ms: 5,
            ticks_per_candle: 0,
            ..DemoParams::default()
        };
        let keys: Vec<String> = bad.validate().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "start_price",
                "history_bars",
                "candle_ms",
                "ticks_per_candle"
            ]
        );
        let crowded = DemoParams {
            candle_ms: 10,
            ticks_per_candle: 11,
            ..DemoParams::default()
        };
        assert_eq!(crowded.validate()[0].0, "ticks_per_candle");
        assert!(
            DemoParams {
                start_price: f64::NAN,
                ..DemoParams::default()
            }
            .validate()[0]
                .1
                .contains("between")
        );
    }

    #[test]
    fn params_fill_defaults_and_refuse_unknown_keys() {
        let p: DemoParams = toml::from_str("seed = 7").unwrap();
        assert_eq!(p.seed, 7);
        assert_eq!(p.history_bars, 1000);
        assert!(toml::from_str::<DemoParams>("sede = 7").is_err());
    }
}
