//! The engine: a synchronous, deterministic core (`Engine::process`) and the
//! async runner that feeds it events and publishes snapshots.
//!
//! The core knows nothing of tokio or the terminal; the runner owns the feeds,
//! the exchange, the journal and the channels. The same core runs in
//! backtest, shadow, paper and live.

mod book;
mod commands;
mod core;
mod decide;
mod event;
pub mod feed;
mod latency;
mod reconcile;
mod reports;
mod runner;
mod snapshot;
mod symbol_state;

pub use book::{Book, OpenPosition, TrackedOrder};
pub use core::{Engine, EngineState, MicrosClock, RunStats};
pub use event::{Action, Command, Event, Notice, NoticeLevel};
pub use latency::{Stage, StageStats};
pub use runner::{EngineChannels, Runner, StepOutcome, run_engine};
pub use snapshot::{
    AccountView, ChartPoint, FeedState, FeedStatus, OrderView, PositionView, Snapshot,
    SymbolSnapshot, Tally, TradeExit, TradeMark,
};
