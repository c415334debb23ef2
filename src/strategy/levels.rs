//! What both strategies share: finding their EMAs in the indicator set,
//! turning an ATR into stop and take-profit levels, and printing numbers for
//! the reasons.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::domain::{Candle, Side, Symbol};

use super::Proposal;
use super::fixed::Fixed;

/// Where EMA `period` sits in `ema_periods`; `key` names the strategy setting
/// that asked for it so the operator knows which of the two to fix.
pub(super) fn ema_index(
    ema_periods: &[usize; 3],
    period: usize,
    key: &str,
) -> Result<usize, String> {
    ema_periods
        .iter()
        .position(|&p| p == period)
        .ok_or_else(|| {
            format!(
                "{key} = {period}: EMA{period} is not computed; add {period} to \
                 indicators.ema_periods {ema_periods:?}"
            )
        })
}

/// A proposal to enter `side` at `candle`'s close with ATR levels, its
/// reasons still to be written; `None` when the levels are unusable (see
/// `atr_levels`).
pub(super) fn atr_proposal(
    strategy: &'static str,
    symbol: &Symbol,
    candle: &Candle,
    side: Side,
    atr: f64,
    (stop_mult, take_profit_mult): (f64, f64),
) -> Option<Proposal> {
    let entry = candle.close.value();
    let (stop, take_profit) = atr_levels(side, entry, atr, stop_mult, take_profit_mult)?;
    Some(Proposal {
        symbol: symbol.clone(),
        side,
        candle_open_ms: candle.open_time_ms,
        entry,
        stop,
        take_profit,
        atr,
        strategy: strategy.into(),
        reasons: Vec::new(),
    })
}

/// Stop and take-profit `stop_mult`·ATR and `take_profit_mult`·ATR away from
/// `entry`, the stop on the losing side. `None` when an offset is not a
/// positive finite number, does not fit a `Decimal`, or a level would not be a
/// positive price: such a proposal could only be refused later.
pub(super) fn atr_levels(
    side: Side,
    entry: Decimal,
    atr: f64,
    stop_mult: f64,
    take_profit_mult: f64,
) -> Option<(Decimal, Decimal)> {
    let stop_offset = offset(stop_mult * atr)?;
    let take_profit_offset = offset(take_profit_mult * atr)?;
    let (stop, take_profit) = match side {
        Side::Buy => (
            entry.checked_sub(stop_offset)?,
            entry.checked_add(take_profit_offset)?,
        ),
        Side::Sell => (
            entry.checked_add(stop_offset)?,
            entry.checked_sub(take_profit_offset)?,
        ),
    };
    (stop > Decimal::ZERO && take_profit > Decimal::ZERO).then_some((stop, take_profit))
}

fn offset(value: f64) -> Option<Decimal> {
    // NaN fails `is_finite`; zero and negatives fail the comparison.
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    // from_f64 drops the binary noise below f64's precision (1.5·0.1 → 0.15).
    let d = Decimal::from_f64(value)?;
    (d > Decimal::ZERO).then_some(d.normalize())
}

/// An indicator value with six significant digits and no trailing zeros:
/// 61234.5, 0.00123457, 58.3124.
pub(super) fn num(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 12) as usize;
    let mut s = Fixed(x, decimals).to_string();
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(num(61234.5), "61234.5");
        assert_eq!(num(61300.0), "61300");
        assert_eq!(num(58.312_44), "58.3124");
        assert_eq!(num(0.001_234_567), "0.00123457");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(0.0), "0");
    }

    #[test]
    fn levels_are_on_the_right_sides() {
        let e = Decimal::from(100);
        assert_eq!(
            atr_levels(Side::Buy, e, 2.0, 1.5, 3.0),
            Some((Decimal::from(97), Decimal::from(106)))
        );
        assert_eq!(
            atr_levels(Side::Sell, e, 2.0, 1.5, 3.0),
            Some((Decimal::from(103), Decimal::from(94)))
        );
    }

    #[test]
    fn unusable_offsets_or_levels_give_nothing() {
        let e = Decimal::from(100);
        assert_eq!(atr_levels(Side::Buy, e, 0.0, 1.5, 3.0), None);
        assert_eq!(atr_levels(Side::Buy, e, f64::NAN, 1.5, 3.0), None);
        assert_eq!(atr_levels(Side::Buy, e, f64::INFINITY, 1.5, 3.0), None);
        assert_eq!(atr_levels(Side::Buy, e, 1e300, 1.5, 3.0), None);
        // The stop would be at or below zero.
        assert_eq!(atr_levels(Side::Buy, e, 70.0, 1.5, 3.0), None);
        // A short's take-profit would be below zero.
        assert_eq!(atr_levels(Side::Sell, e, 40.0, 1.5, 3.0), None);
    }

    #[test]
    fn missing_ema_names_the_key_and_the_list() {
        assert_eq!(ema_index(&[20, 50, 200], 50, "strategy.ema_fast"), Ok(1));
        let err = ema_index(&[20, 50, 200], 30, "strategy.ema_fast").unwrap_err();
        assert!(err.contains("strategy.ema_fast = 30"), "{err}");
        assert!(
            err.contains("indicators.ema_periods [20, 50, 200]"),
            "{err}"
        );
    }
}
