//! Position sizing: risk fraction × TOTAL equity ÷ stop distance.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Instrument, Price, Qty, Side};

use super::Refusal;

/// A proposal's price levels on the instrument's tick grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levels {
    pub entry: Price,
    pub stop: Price,
    pub take_profit: Price,
}

/// TODO(helper): round `entry` to the nearest tick; the stop AWAY from the
/// entry (long: down, short: up) so rounding never shrinks the stop distance;
/// the take-profit TOWARD the entry (long: down, short: up). Refuse
/// `StopOnWrongSide` / `TakeProfitOnWrongSide` (also when equal to the entry
/// after rounding) and `InvalidPrice` for negative or non-finite inputs.
pub fn round_levels(
    side: Side,
    entry: Decimal,
    stop: Decimal,
    take_profit: Decimal,
    instrument: &Instrument,
) -> Result<Levels, Refusal> {
    let _ = (side, entry, stop, take_profit, instrument);
    todo!("helper implements")
}

#[derive(Debug, Clone, Copy)]
pub struct SizeInputs<'a> {
    /// TOTAL equity: wallet balance + unrealized PnL (not free balance).
    pub equity: Decimal,
    pub risk_fraction: Decimal,
    pub side: Side,
    pub levels: Levels,
    pub instrument: &'a Instrument,
    pub max_leverage: Decimal,
    pub max_notional: Decimal,
}

/// What capped the size below the risk-based quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    Leverage,
    MaxNotional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sized {
    pub qty: Qty,
    /// qty × entry.
    pub notional: Decimal,
    /// qty × |entry − stop|: what the stop costs (before fees and slippage).
    pub risk_amount: Decimal,
    pub capped_by: Option<Cap>,
}

/// TODO(helper): qty = risk_fraction × equity ÷ |entry − stop|, then capped so
/// that qty × entry ≤ max_leverage × equity and ≤ max_notional, rounded DOWN to
/// the step; refused below min qty / min notional, for non-positive equity, and
/// when the stop is not on the losing side.
pub fn size_entry(inputs: &SizeInputs) -> Result<Sized, Refusal> {
    let _ = inputs;
    todo!("helper implements")
}
