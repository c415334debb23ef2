//! What the engine shows the world: an immutable picture, published on a
//! `watch` channel (latest wins). The TUI and the status file render only from this.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::config::Automation;
use crate::domain::{
    Bar, Interval, Mode, OrderRequest, OrderState, Position, Price, Symbol, TradingState,
};
use crate::indicators::IndicatorValues;
use crate::journal::DecisionRecord;
use crate::risk::RiskState;

use super::latency::StageStats;

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with every publication; equal numbers mean equal pictures.
    pub seq: u64,
    /// The engine clock when this was taken, ms since the epoch, UTC.
    pub at_ms: i64,
    pub mode: Mode,
    pub automation: Automation,
    pub trading_state: TradingState,
    pub armed: bool,
    pub feed: FeedStatus,
    /// Periods of the three chart EMAs, for labels.
    pub ema_periods: [usize; 3],
    /// The strategy's ADX threshold, drawn on the ADX chart.
    pub adx_threshold: f64,
    pub symbols: Vec<SymbolSnapshot>,
    pub account: AccountView,
    pub risk: RiskState,
    pub daily_loss_limit: Decimal,
    /// "AI: off", "AI: <model>" or "AI: unavailable".
    pub confirmer: String,
    /// Why the model is not judging, when it cannot.
    pub ai_detail: Option<String>,
    /// The model's drift gauge, when a model is in the loop.
    pub drift: Option<crate::ai::drift::DriftView>,
    /// Latest decisions, newest last.
    pub decisions: Vec<DecisionRecord>,
    /// Decisions waiting for the operator (semi-auto), oldest first.
    pub approvals: Vec<DecisionRecord>,
    pub tally: Tally,
    pub latency: Vec<StageStats>,
    pub open_orders: Vec<OrderView>,
    /// Closed candles traded on since start (warm-up history not counted).
    pub bars: u64,
    pub trades_closed: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountView {
    pub wallet: Decimal,
    pub unrealized: Decimal,
    /// wallet + unrealized.
    pub equity: Decimal,
    /// equity − the day's starting equity.
    pub day_pnl: Decimal,
}

/// How proposals and the confirmer agreed so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub proposals: u64,
    pub confirmed: u64,
    pub vetoed: u64,
    pub abstained: u64,
    /// Passed with no model in the loop ("AI: off").
    pub unjudged: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PositionView {
    pub position: Position,
    pub mark: Price,
    pub unrealized: Decimal,
    pub stop: Price,
    pub take_profit: Price,
    /// Whether the exchange confirmed the protective orders are working.
    pub stop_confirmed: bool,
    pub take_profit_confirmed: bool,
    pub liquidation: Option<Price>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderView {
    pub request: OrderRequest,
    pub state: OrderState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedState {
    #[default]
    Connecting,
    Connected,
    Reconnecting,
    /// Connected, but no candle update for longer than two intervals.
    Stale,
}

#[derive(Debug, Clone, Default)]
pub struct FeedStatus {
    /// "demo", "replay", later "binance".
    pub source: &'static str,
    pub state: FeedState,
    /// Wall-clock time of the last candle update, ms.
    pub last_update_ms: Option<i64>,
    /// The exchange banned this IP (HTTP 418) until then: nothing is sent.
    pub banned_until_ms: Option<i64>,
}

/// One candle on the chart with the indicator values computed at its close.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    pub bar: Bar,
    pub values: IndicatorValues,
}

#[derive(Debug, Clone)]
pub struct SymbolSnapshot {
    pub symbol: Symbol,
    pub interval: Interval,
    /// Closed candles, oldest first; shared, rebuilt only when a candle closed.
    pub history: Arc<Vec<ChartPoint>>,
    pub forming: Option<Bar>,
    /// Indicator values after the latest closed candle.
    pub latest: IndicatorValues,
    pub position: Option<PositionView>,
    /// Closed trades for the chart's markers, oldest first; shared, grown
    /// only when a trade closes.
    pub trades: Arc<Vec<TradeMark>>,
}

/// Where a trade opened and closed, for a marker on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeMark {
    pub side: crate::domain::Side,
    pub entry_ms: i64,
    /// `None` while the position is open.
    pub exit: Option<TradeExit>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeExit {
    pub at_ms: i64,
    /// Net PnL at or above zero.
    pub won: bool,
}

impl Snapshot {
    /// USDT of equity left before the daily-loss breaker trips; `None` once it has.
    pub fn breaker_room(&self) -> Option<Decimal> {
        if self.risk.breaker_tripped_at_ms.is_some() {
            return None;
        }
        let floor = self.risk.day_start_equity * (Decimal::ONE - self.daily_loss_limit);
        Some(self.account.equity - floor)
    }
}
