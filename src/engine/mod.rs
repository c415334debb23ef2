//! The engine: a synchronous, deterministic core (`Engine::process`) and the
//! async runner that feeds it events and publishes snapshots.
//!
//! The core knows nothing of tokio or the terminal; the runner owns the feeds
//! and channels. The same core will run in backtest, shadow, paper and live.

mod core;
mod event;
pub mod feed;
mod runner;
mod snapshot;
mod symbol_state;

pub use core::Engine;
pub use event::{Action, Command, Event, Notice, NoticeLevel};
pub use runner::{EngineChannels, run_engine};
pub use snapshot::{ChartPoint, FeedState, FeedStatus, Snapshot, SymbolSnapshot};
