use serde::{Deserialize, Serialize};

use super::{DomainError, Price, Qty};

/// One kline as the exchange reports it. Prices and volume are decimals; the
/// indicators read the `f64` view from [`Candle::bar`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Open time, milliseconds since the Unix epoch, UTC.
    pub open_time_ms: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    /// Base-asset volume.
    pub volume: Qty,
    /// False while the candle is still forming; only closed candles drive decisions.
    pub closed: bool,
}

impl Candle {
    /// Builds a candle and checks that high and low really bound open and close.
    pub fn new(
        open_time_ms: i64,
        open: Price,
        high: Price,
        low: Price,
        close: Price,
        volume: Qty,
        closed: bool,
    ) -> Result<Candle, DomainError> {
        let bad = |problem: String| DomainError::BadCandle {
            open_time_ms,
            problem,
        };
        if high < low {
            return Err(bad(format!("high {high} is below low {low}")));
        }
        for (name, v) in [("open", open), ("close", close)] {
            if v > high || v < low {
                return Err(bad(format!(
                    "{name} {v} is outside the bar's range {low}..{high}"
                )));
            }
        }
        Ok(Candle {
            open_time_ms,
            open,
            high,
            low,
            close,
            volume,
            closed,
        })
    }

    /// The lossy floating-point view that indicators and charts use.
    pub fn bar(&self) -> Bar {
        Bar {
            open_time_ms: self.open_time_ms,
            open: self.open.to_f64(),
            high: self.high.to_f64(),
            low: self.low.to_f64(),
            close: self.close.to_f64(),
            volume: self.volume.to_f64(),
        }
    }
}

/// A candle in `f64`, for indicators, features and drawing only.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Bar {
    pub open_time_ms: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn refuses_a_close_above_the_high() {
        let err = Candle::new(0, p("10"), p("11"), p("9"), p("12"), Qty::ZERO, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "candle at 0: close 12 is outside the bar's range 9..11"
        );
    }

    #[test]
    fn bar_view_keeps_values() {
        let c = Candle::new(
            60_000,
            p("10"),
            p("11.5"),
            p("9"),
            p("10.25"),
            "3".parse().unwrap(),
            true,
        )
        .unwrap();
        let b = c.bar();
        assert_eq!(
            (b.open_time_ms, b.high, b.close, b.volume),
            (60_000, 11.5, 10.25, 3.0)
        );
    }
}
