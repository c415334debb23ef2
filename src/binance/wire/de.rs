//! Field parsers shared by the wire types. Binance sends money as decimal
//! strings and ids as integers above 2^53: both are parsed exactly, never
//! through `f64`. Some integers arrive as strings (`listenKeyExpired`'s `E`,
//! ccxt's recordings), so integers accept both forms.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};

use crate::domain::Side;

/// A decimal from a JSON string (`"0.001"`) or a JSON integer. A JSON float is
/// refused: it has already been through binary floating point.
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// As [`decimal`], with `null`, `""` and a missing field (with
/// `#[serde(default)]`) read as `None`.
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_any(OptVisitor(DecimalVisitor))
}

/// A `Price`, `Qty` or `Notional`: a decimal whose domain type refuses what
/// it cannot hold (a negative price).
pub fn money<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<Decimal>,
    T::Error: fmt::Display,
{
    let value = decimal(d)?;
    T::try_from(value).map_err(de::Error::custom)
}

/// As [`money`], with `null` and `""` read as `None`.
pub fn opt_money<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<Decimal>,
    T::Error: fmt::Display,
{
    match opt_decimal(d)? {
        Some(value) => T::try_from(value).map(Some).map_err(de::Error::custom),
        None => Ok(None),
    }
}

/// An integer (`u64` order ids, `i64` times) from a JSON integer or a string
/// of digits.
pub fn int<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    d.deserialize_any(IntVisitor(PhantomData))
}

/// As [`int`], with `null` and `""` read as `None` (an algo order's actual
/// order id is `""` until it triggers).
pub fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    d.deserialize_any(OptVisitor(IntVisitor(PhantomData)))
}

/// `"BUY"` or `"SELL"`.
pub fn side<'de, D: Deserializer<'de>>(d: D) -> Result<Side, D::Error> {
    let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
    match text.as_ref() {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(de::Error::custom(format!(
            "side `{other}` is neither BUY nor SELL"
        ))),
    }
}

/// Parses a decimal string the way Binance writes them (`"0.00100000"`),
/// exactly; scientific notation is accepted as a fallback.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    Decimal::from_str_exact(s)
        .or_else(|_| Decimal::from_scientific(s))
        .ok()
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal string such as \"0.001\"")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Decimal, E> {
        parse_decimal(s).ok_or_else(|| E::custom(format!("`{s}` is not a decimal number")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Err(E::custom(format!(
            "{v} arrived as a JSON float; money must arrive as a decimal string"
        )))
    }
}

struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i128>> IntVisitor<T> {
    fn convert<E: de::Error>(v: i128) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("integer {v} is out of range")))
    }
}

impl<'de, T: TryFrom<i128>> Visitor<'de> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer, or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::convert(i128::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::convert(i128::from(v))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        let v =
            i128::from_str(s.trim()).map_err(|_| E::custom(format!("`{s}` is not an integer")))?;
        Self::convert(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(E::custom(format!(
            "{v} arrived as a JSON float; ids and times must be integers"
        )))
    }
}

/// Wraps a visitor so that `null` and `""` mean "absent".
struct OptVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptVisitor<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(", null or \"\"")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        // Binance writes "" and, in a few documentation examples, "null".
        if s.is_empty() || s == "null" {
            Ok(None)
        } else {
            self.0.visit_str(s).map(Some)
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.0.visit_u64(v).map(Some)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.0.visit_i64(v).map(Some)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.0.visit_f64(v).map(Some)
    }
}

/// The start of a frame for an error message: enough to recognise it, short
/// enough for a log line, cut on a character boundary.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 120;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "decimal")]
        d: Decimal,
        #[serde(default, deserialize_with = "opt_money")]
        p: Option<Price>,
        #[serde(deserialize_with = "int")]
        id: u64,
        #[serde(default, deserialize_with = "opt_int")]
        o: Option<u64>,
    }

    fn parse(s: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn decimals_keep_every_digit_and_refuse_floats() {
        let t = parse(r#"{"d":"0.00000001","p":"65000.10","id":1}"#).unwrap();
        assert_eq!(t.d.to_string(), "0.00000001");
        assert_eq!(t.p.unwrap().value().to_string(), "65000.10");
        let err = parse(r#"{"d":0.1,"id":1}"#).err().unwrap().to_string();
        assert!(err.contains("JSON float"), "{err}");
    }

    #[test]
    fn ids_above_two_to_the_53_stay_exact_as_number_or_string() {
        let t = parse(r#"{"d":"1","id":8389765739703625592,"o":"9007199254740993"}"#).unwrap();
        assert_eq!(t.id, 8_389_765_739_703_625_592);
        assert_eq!(t.o, Some(9_007_199_254_740_993));
    }

    #[test]
    fn empty_and_null_are_absent() {
        let t = parse(r#"{"d":"1","p":"","id":"1","o":null}"#).unwrap();
        assert_eq!((t.p, t.o), (None, None));
        let t = parse(r#"{"d":"1","p":null,"id":1,"o":""}"#).unwrap();
        assert_eq!((t.p, t.o), (None, None));
    }

    #[test]
    fn a_negative_price_is_refused_with_its_value() {
        let err = parse(r#"{"d":"1","p":"-1","id":1}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("price must not be negative"), "{err}");
    }

    #[test]
    fn excerpt_cuts_long_text_on_a_char_boundary() {
        let long = "é".repeat(200);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), 121);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt("  short  "), "short");
    }
}
