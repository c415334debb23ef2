//! What the journal stores. The engine emits these as actions; the runner
//! appends them. Each variant has its own table.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ai::Confirmation;
use crate::domain::{Fill, OrderRequest, OrderState, Position, Price, Qty, Side, Symbol};
use crate::indicators::IndicatorValues;
use crate::risk::{Levels, Refusal, Sized};
use crate::strategy::{Proposal, Reason};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "record")]
pub enum Record {
    /// One row per decision, rewritten as it moves through its journey.
    Decision(Box<DecisionRecord>),
    /// Appended on every order state change.
    Order(OrderRecord),
    Fill(Fill),
    Funding(FundingRecord),
    /// A closed round trip.
    Trade(Box<TradeRecord>),
    /// A position after it changed; `position: None` = flat.
    Position(PositionRecord),
    Equity(EquitySample),
    Command(CommandRecord),
    /// The model: loaded, refused, drift over or back under its limit.
    Ai(AiRecord),
    /// Latest state blobs restored at start: "engine" and "paper".
    State(StateRecord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    Proposed,
    Vetoed,
    /// The confirmer abstained and abstaining blocks.
    Abstained,
    Refused,
    /// Shadow mode: recorded, nothing sent.
    Recorded,
    /// Semi-auto: waiting for the operator.
    Queued,
    Rejected,
    Expired,
    Sent,
    Filled,
    /// The entry order was rejected or cancelled.
    Failed,
}

impl DecisionStatus {
    pub fn label(self) -> &'static str {
        match self {
            DecisionStatus::Proposed => "proposed",
            DecisionStatus::Vetoed => "vetoed",
            DecisionStatus::Abstained => "abstained",
            DecisionStatus::Refused => "refused",
            DecisionStatus::Recorded => "recorded",
            DecisionStatus::Queued => "queued",
            DecisionStatus::Rejected => "rejected",
            DecisionStatus::Expired => "expired",
            DecisionStatus::Sent => "sent",
            DecisionStatus::Filled => "filled",
            DecisionStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum RiskOutcome {
    Sized { levels: Levels, sized: Sized },
    Refused { refusal: Refusal, reason: String },
}

/// Stage timings of one decision. Wall-clock ms for the candle's close and
/// its arrival; the stages inside the core in µs after arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LatencyStamps {
    pub candle_close_ms: i64,
    pub received_ms: i64,
    pub features_us: i64,
    pub decision_us: i64,
    pub risk_us: i64,
    pub sent_us: Option<i64>,
    pub acked_us: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// "<SYMBOL>-<candle open ms>": the same candle always makes the same id.
    pub id: String,
    pub at_ms: i64,
    pub proposal: Proposal,
    pub indicators: IndicatorValues,
    pub confirmation: Confirmation,
    pub risk: Option<RiskOutcome>,
    pub status: DecisionStatus,
    /// When a queued decision expires (semi-auto).
    pub deadline_ms: Option<i64>,
    pub latency: LatencyStamps,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub at_ms: i64,
    pub request: OrderRequest,
    pub state: OrderState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingRecord {
    pub at_ms: i64,
    pub symbol: Symbol,
    pub rate: Decimal,
    /// > 0 paid, < 0 received, USDT.
    pub amount: Decimal,
}

/// A closed round trip; the fields of the headless and backtest summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeRecord {
    pub symbol: Symbol,
    pub side: Side,
    pub entry_time_ms: i64,
    pub entry_price: Price,
    pub qty: Qty,
    pub stop_price: Price,
    pub take_profit_price: Price,
    pub exit_time_ms: i64,
    pub exit_price: Price,
    /// "stop", "take_profit", "exit" (operator/flatten), "breaker", "liquidation",
    /// "adl" (closed by Binance's auto-deleveraging).
    pub exit_reason: String,
    /// Net of fees and funding.
    pub pnl: Decimal,
    pub fees: Decimal,
    pub funding: Decimal,
    /// Total equity when the entry was sized.
    pub equity_before: Decimal,
    /// qty × |entry_price − stop_price| ÷ equity_before.
    pub risk_fraction: Decimal,
    pub reasons: Vec<Reason>,
    /// The confirmer's verdict, e.g. "off".
    pub ai: String,
    pub decision_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    pub at_ms: i64,
    pub symbol: Symbol,
    pub position: Option<Position>,
    pub stop: Option<Price>,
    pub take_profit: Option<Price>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquitySample {
    pub at_ms: i64,
    pub wallet: Decimal,
    pub unrealized: Decimal,
    pub equity: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub at_ms: i64,
    pub command: String,
    pub accepted: bool,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiRecord {
    pub at_ms: i64,
    /// "model_loaded", "model_unavailable", "drift_over", "drift_ok".
    pub event: String,
    pub detail: String,
    /// The overall drift score at a drift event.
    pub drift: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRecord {
    pub at_ms: i64,
    /// "engine" or "paper".
    pub key: String,
    /// The state serialized as JSON.
    pub json: String,
}
