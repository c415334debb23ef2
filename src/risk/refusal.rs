use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Side, TradingState};

/// Why risk said no. Every refusal is shown to the operator and journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum Refusal {
    #[error("disarmed: no new entries (press a to arm)")]
    Disarmed,
    #[error("entries paused by the operator")]
    EntriesPaused,
    #[error("trading state is {0}: no new entries")]
    TradingState(TradingState),
    #[error("cooldown after consecutive losses until {until}")]
    Cooldown { until_ms: i64, until: String },
    #[error("already {open} open position(s), the maximum is {max}")]
    MaxOpenPositions { open: usize, max: u32 },
    #[error("a {side} position is already open on this symbol")]
    AlreadyInPosition { side: Side },
    #[error("nothing to reduce: no open position on this symbol")]
    NoPositionToReduce,
    #[error("a {order_side} order would grow the {position_side} position, not reduce it")]
    WouldNotReduce {
        order_side: Side,
        position_side: Side,
    },
    #[error("stop {stop} is not on the losing side of entry {entry}")]
    StopOnWrongSide { entry: Decimal, stop: Decimal },
    #[error("take-profit {take_profit} is not on the winning side of entry {entry}")]
    TakeProfitOnWrongSide {
        entry: Decimal,
        take_profit: Decimal,
    },
    #[error("equity {equity} is not positive")]
    NonPositiveEquity { equity: Decimal },
    #[error("size {qty} is below the minimum quantity {min}")]
    BelowMinQty { qty: Decimal, min: Decimal },
    #[error("notional {notional} USDT is below the exchange minimum {min} USDT")]
    BelowMinNotional { notional: Decimal, min: Decimal },
    #[error("invalid price: {0}")]
    InvalidPrice(String),
}
