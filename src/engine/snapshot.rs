//! What the engine shows the world: an immutable picture, published on a
//! `watch` channel (latest wins). The TUI renders only from this.

use std::sync::Arc;

use crate::domain::{Bar, Interval, Mode, Symbol, TradingState};
use crate::indicators::IndicatorValues;

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with every publication; equal numbers mean equal pictures.
    pub seq: u64,
    /// The engine clock when this was taken, ms since the epoch, UTC.
    pub at_ms: i64,
    pub mode: Mode,
    pub trading_state: TradingState,
    pub armed: bool,
    pub feed: FeedStatus,
    /// Periods of the three chart EMAs, for labels.
    pub ema_periods: [usize; 3],
    pub symbols: Vec<SymbolSnapshot>,
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
    /// "demo", later "binance".
    pub source: &'static str,
    pub state: FeedState,
    /// Wall-clock time of the last candle update, ms.
    pub last_update_ms: Option<i64>,
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
    /// Closed candles, oldest first; shared, rebuilt only when a candle closes.
    pub history: Arc<Vec<ChartPoint>>,
    pub forming: Option<Bar>,
    /// Indicator values after the latest closed candle.
    pub latest: IndicatorValues,
}
