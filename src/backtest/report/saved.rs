//! A backtest result as `result.json` (and `--json`) holds it, read back:
//! what the report files and `cockpit report DIR` are drawn from.

use std::path::Path;

use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use crate::backtest::{BacktestResult, Metrics};
use crate::domain::{Interval, Symbol};
use crate::journal::TradeRecord;

use super::ReportError;

/// The file `write` puts the result in, and `load` reads.
pub const RESULT_FILE: &str = "result.json";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SavedResult {
    pub bars: u64,
    pub elapsed_ms: u64,
    /// Empty in a result written before the JSON carried them.
    #[serde(default)]
    pub symbols: Vec<Symbol>,
    #[serde(default)]
    pub interval: Option<Interval>,
    pub trades: Vec<TradeRecord>,
    pub metrics: Metrics,
    /// `[time_ms, total equity]` as the JSON has them (numbers to the cent):
    /// for drawing only, never for money.
    pub equity: Vec<(i64, f64)>,
    /// How the model judged, when one was in the loop.
    #[serde(default)]
    pub ai: Option<crate::backtest::judged::AiEvaluation>,
}

impl SavedResult {
    /// What the JSON of `result` reads back as, without the round trip.
    pub fn of(result: &BacktestResult) -> SavedResult {
        SavedResult {
            bars: result.bars,
            elapsed_ms: result.elapsed_ms,
            symbols: result.symbols.clone(),
            interval: Some(result.interval),
            trades: result.trades.clone(),
            metrics: result.metrics.clone(),
            equity: result
                .equity
                .iter()
                .map(|(t, e)| (*t, e.round_dp(2).to_f64().unwrap_or(f64::NAN)))
                .collect(),
            ai: result.ai.clone(),
        }
    }

    /// The symbols for titles: the run's, else those that traded.
    pub fn symbol_names(&self) -> Vec<String> {
        let mut names: Vec<String> = if self.symbols.is_empty() {
            self.trades.iter().map(|t| t.symbol.to_string()).collect()
        } else {
            self.symbols.iter().map(|s| s.to_string()).collect()
        };
        names.dedup();
        if self.symbols.is_empty() {
            names.sort();
            names.dedup();
        }
        names
    }
}

/// `DIR/result.json`; the error says which file and what is wrong with it.
pub fn load(dir: &Path) -> Result<SavedResult, ReportError> {
    let path = dir.join(RESULT_FILE);
    let text = std::fs::read(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ReportError::Missing { path: path.clone() },
        _ => ReportError::Io {
            path: path.clone(),
            source,
        },
    })?;
    serde_json::from_slice(&text).map_err(|e| ReportError::Malformed {
        path,
        reason: e.to_string(),
    })
}
