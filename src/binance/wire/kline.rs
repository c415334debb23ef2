//! Klines: REST rows (`GET /fapi/v1/klines`) and the `k` of a kline stream
//! event, both becoming our [`Candle`].

use std::fmt;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

use super::de as field;
use crate::binance::BinanceError;
use crate::domain::{Candle, Price, Qty};

/// One REST kline row: `[openTime, "open", "high", "low", "close",
/// "volume", closeTime, …]`. Whether it is closed (close time before now) is
/// for the caller to decide; Binance also returns the forming candle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    pub open_time_ms: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Qty,
    pub close_time_ms: i64,
}

impl Kline {
    pub fn to_candle(&self, closed: bool) -> Result<Candle, BinanceError> {
        candle(
            self.open_time_ms,
            [self.open, self.high, self.low, self.close],
            self.volume,
            closed,
        )
    }
}

/// Rows are read by position; the trailing columns (quote volume, trades,
/// taker volumes, a reserved field) are skipped so that a column Binance adds
/// later does not break the parse.
impl<'de> Deserialize<'de> for Kline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(RowVisitor)
    }
}

struct RowVisitor;

#[derive(Deserialize)]
struct Int(#[serde(deserialize_with = "field::int")] i64);

#[derive(Deserialize)]
struct Dec(#[serde(deserialize_with = "field::decimal")] Decimal);

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Kline;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kline row [openTime, open, high, low, close, volume, closeTime, …]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kline, A::Error> {
        fn next<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
            seq: &mut A,
            index: usize,
        ) -> Result<T, A::Error> {
            seq.next_element()?
                .ok_or_else(|| de::Error::invalid_length(index, &"at least 7 columns"))
        }
        fn money<E: de::Error, T: TryFrom<Decimal, Error: fmt::Display>>(
            Dec(d): Dec,
        ) -> Result<T, E> {
            T::try_from(d).map_err(E::custom)
        }
        let Int(open_time_ms) = next(&mut seq, 0)?;
        let open = money(next(&mut seq, 1)?)?;
        let high = money(next(&mut seq, 2)?)?;
        let low = money(next(&mut seq, 3)?)?;
        let close = money(next(&mut seq, 4)?)?;
        let volume = money(next(&mut seq, 5)?)?;
        let Int(close_time_ms) = next(&mut seq, 6)?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Kline {
            open_time_ms,
            open,
            high,
            low,
            close,
            volume,
            close_time_ms,
        })
    }
}

/// The `k` object of a kline stream event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KlineBar {
    #[serde(rename = "t", deserialize_with = "field::int")]
    pub open_time_ms: i64,
    #[serde(rename = "T", deserialize_with = "field::int")]
    pub close_time_ms: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    /// `1m`, `15m`, … (kept as text: `1w` and `1M` are not our intervals).
    #[serde(rename = "i")]
    pub interval: String,
    #[serde(rename = "o", deserialize_with = "field::money")]
    pub open: Price,
    #[serde(rename = "h", deserialize_with = "field::money")]
    pub high: Price,
    #[serde(rename = "l", deserialize_with = "field::money")]
    pub low: Price,
    #[serde(rename = "c", deserialize_with = "field::money")]
    pub close: Price,
    #[serde(rename = "v", deserialize_with = "field::money")]
    pub volume: Qty,
    /// True once the candle is closed; only then may it drive a decision.
    #[serde(rename = "x")]
    pub closed: bool,
}

impl KlineBar {
    pub fn to_candle(&self) -> Result<Candle, BinanceError> {
        candle(
            self.open_time_ms,
            [self.open, self.high, self.low, self.close],
            self.volume,
            self.closed,
        )
        .map_err(|e| match e {
            BinanceError::Decode(m) => BinanceError::Decode(format!("{} {m}", self.symbol)),
            other => other,
        })
    }
}

fn candle(
    open_time_ms: i64,
    [open, high, low, close]: [Price; 4],
    volume: Qty,
    closed: bool,
) -> Result<Candle, BinanceError> {
    Candle::new(open_time_ms, open, high, low, close, volume, closed)
        .map_err(|e| BinanceError::Decode(format!("kline: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_with_more_columns_than_today_still_parses() {
        let k: Kline = serde_json::from_str(
            r#"[1,"1.0","2.0","0.5","1.5","10",59999,"x",3,"y","z","0","new column"]"#,
        )
        .unwrap();
        assert_eq!((k.open_time_ms, k.close_time_ms), (1, 59_999));
        assert_eq!(k.high, "2".parse().unwrap());
    }

    #[test]
    fn a_short_row_is_refused() {
        let err = serde_json::from_str::<Kline>(r#"[1,"1","2","0.5","1.5","10"]"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("at least 7 columns"), "{err}");
    }

    #[test]
    fn an_inconsistent_bar_is_a_decode_error_naming_the_problem() {
        let k: Kline = serde_json::from_str(r#"[0,"1","2","1.5","1.2","1",59999]"#).unwrap();
        let err = k.to_candle(true).unwrap_err();
        assert_eq!(
            err,
            BinanceError::Decode(
                "kline: candle at 0: open 1 is outside the bar's range 1.5..2".into()
            )
        );
    }
}
