//! cockpit: a terminal trading cockpit for Binance USD-M Futures.
//!
//! The library holds everything but the wiring in `main.rs`, so that tests and
//! benchmarks use exactly the code the binary runs.
#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod engine;
pub mod indicators;
pub mod logging;
pub mod market;
pub mod shared_data;
pub mod tui;
