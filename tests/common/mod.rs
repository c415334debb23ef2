//! Helpers shared by the integration tests that replay real data.

use std::path::{Path, PathBuf};

pub fn btc_1h() -> PathBuf {
    cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv").unwrap_or_else(|e| panic!("{e}"))
}

/// The first `rows` lines of the real BTCUSDT 1h file (its header included),
/// written into `dir`, a test's temp dir.
pub fn head_of_btc_1h(dir: &Path, rows: usize) -> PathBuf {
    let head = dir.join("BTCUSDT-1h-head.csv");
    let text = std::fs::read_to_string(btc_1h()).unwrap();
    let first: Vec<&str> = text.lines().take(rows).collect();
    std::fs::write(&head, first.join("\n") + "\n").unwrap();
    head
}
