//! cockpit: a terminal trading cockpit for Binance USD-M Futures.
//!
//! The library holds everything but the wiring in `main.rs`, so that tests and
//! benchmarks use exactly the code the binary runs.
#![forbid(unsafe_code)]

pub mod ai;
pub mod backtest;
pub mod binance;
pub mod collect;
pub mod config;
pub mod domain;
pub mod engine;
pub mod exec;
pub mod features;
pub mod indicators;
pub mod journal;
pub mod logging;
pub mod market;
pub mod risk;
pub mod session;
pub mod shared_data;
pub mod strategy;
pub mod tui;
