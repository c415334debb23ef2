//! Backtests: the engine core, the paper exchange and a historical clock
//! over recorded candles — the same `Runner::step` that a replay and a live
//! session drive, so a backtest decides exactly what they would.

pub mod command;
pub mod curve;
pub mod input;
pub mod judged;
pub mod metrics;
pub mod report;
mod run;
pub mod summary;
pub mod windows;

pub use input::{History, InputError, StreamedHistory, TimeRange, load, stream};
pub use metrics::Metrics;
pub use run::{BacktestResult, BacktestSpec, Candles, ModelChoice, backtest_config, run};
