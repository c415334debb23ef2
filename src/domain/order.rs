//! Orders and fills: what the engine asks an exchange for and what comes back.
//! The lifecycle is an enum with in-flight states, never a set of booleans.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Price, Qty, Side, Symbol};

/// The order id the bot chooses (Binance `newClientOrderId`). Deterministic:
/// derived from the decision and the leg, so a restart or a retry of the same
/// decision produces the same id and the exchange refuses a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClientOrderId(pub String);

impl ClientOrderId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an order exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    /// Opens a position.
    Entry,
    /// Protective stop (Binance STOP_MARKET, closePosition).
    Stop,
    /// Take-profit (Binance TAKE_PROFIT_MARKET, closePosition).
    TakeProfit,
    /// Closes a position on the operator's or the breaker's order (reduce-only market).
    Exit,
}

impl Leg {
    /// One letter for client order ids.
    pub fn code(self) -> char {
        match self {
            Leg::Entry => 'e',
            Leg::Stop => 's',
            Leg::TakeProfit => 't',
            Leg::Exit => 'x',
        }
    }

    /// Whether this leg can only shrink a position.
    pub fn is_reducing(self) -> bool {
        !matches!(self, Leg::Entry)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OrderKind {
    Market,
    Limit {
        price: Price,
    },
    /// Triggers a market order when the mark price crosses `trigger` against the position.
    StopMarket {
        trigger: Price,
    },
    /// Triggers a market order when the price crosses `trigger` in the position's favour.
    TakeProfitMarket {
        trigger: Price,
    },
}

impl OrderKind {
    pub fn trigger(self) -> Option<Price> {
        match self {
            OrderKind::StopMarket { trigger } | OrderKind::TakeProfitMarket { trigger } => {
                Some(trigger)
            }
            _ => None,
        }
    }
}

/// A request to an exchange. Only the risk gateway turns one into an
/// [`crate::risk::Approved`] order that may be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    pub kind: OrderKind,
    pub qty: Qty,
    pub leg: Leg,
    /// The decision this order belongs to, if any (operator exits have none).
    pub decision_id: Option<String>,
}

/// Where an order stands. `Unknown` is an order whose outcome the exchange did
/// not tell us (timeout, 5xx, dropped connection): it is neither open nor
/// rejected until a query or the user stream settles it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OrderState {
    /// Sent, no answer yet.
    PendingNew,
    /// Accepted and working (a stop waiting for its trigger, a resting limit).
    Open,
    PartiallyFilled {
        filled: Qty,
    },
    Filled,
    PendingCancel,
    Cancelled,
    Rejected {
        reason: String,
    },
    Expired,
    Unknown,
}

impl OrderState {
    /// No further change is possible.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderState::Filled
                | OrderState::Cancelled
                | OrderState::Rejected { .. }
                | OrderState::Expired
        )
    }

    pub fn label(&self) -> &'static str {
        match self {
            OrderState::PendingNew => "pending",
            OrderState::Open => "open",
            OrderState::PartiallyFilled { .. } => "partial",
            OrderState::Filled => "filled",
            OrderState::PendingCancel => "cancelling",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected { .. } => "rejected",
            OrderState::Expired => "expired",
            OrderState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One execution. `fee` is in USDT and always charged (positive = paid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub order_id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    pub leg: Leg,
    pub qty: Qty,
    pub price: Price,
    pub fee: Decimal,
    pub liquidity: Liquidity,
    pub at_ms: i64,
}
