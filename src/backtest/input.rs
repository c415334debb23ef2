//! The history a backtest runs over: one candle file per symbol, cut to the
//! requested time range. Every file must have the same interval.

use std::path::PathBuf;

use thiserror::Error;

use crate::domain::{Candle, Interval, Symbol};
use crate::market::csv::{self, CsvError, symbol_of_path};

#[derive(Debug, Error)]
pub enum InputError {
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error(
        "{path}: cannot tell the symbol from the file name; name it like Binance's files, SYMBOL-INTERVAL-….csv (e.g. BTCUSDT-1h-umfutures.csv)"
    )]
    NoSymbol { path: PathBuf },
    #[error("{path}: {symbol} is already given by {first}; give each symbol once")]
    DuplicateSymbol {
        path: PathBuf,
        symbol: Symbol,
        first: PathBuf,
    },
    #[error(
        "{path} has {interval} candles but {first} has {first_interval}: every --data file must have the same interval"
    )]
    IntervalMismatch {
        path: PathBuf,
        interval: Interval,
        first: PathBuf,
        first_interval: Interval,
    },
    #[error("{path}: no candles between {from} and {to}")]
    EmptyRange {
        path: PathBuf,
        from: String,
        to: String,
    },
    #[error("no --data file given")]
    NoData,
}

/// One symbol's closed candles, in time order.
#[derive(Debug, Clone)]
pub struct History {
    pub symbol: Symbol,
    pub interval: Interval,
    pub path: PathBuf,
    pub candles: Vec<Candle>,
    /// Candles missing inside the range (reported, never invented).
    pub missing: i64,
}

/// Candles whose open time is within `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl TimeRange {
    pub const ALL: TimeRange = TimeRange {
        from_ms: None,
        to_ms: None,
    };

    pub fn contains(&self, ms: i64) -> bool {
        self.from_ms.is_none_or(|f| ms >= f) && self.to_ms.is_none_or(|t| ms < t)
    }
}

/// Loads every file, cut to `range`.
pub fn load(paths: &[PathBuf], range: TimeRange) -> Result<Vec<History>, InputError> {
    if paths.is_empty() {
        return Err(InputError::NoData);
    }
    let mut out: Vec<History> = Vec::with_capacity(paths.len());
    for path in paths {
        let symbol =
            symbol_of_path(path).ok_or_else(|| InputError::NoSymbol { path: path.clone() })?;
        if let Some(first) = out.iter().find(|h| h.symbol == symbol) {
            return Err(InputError::DuplicateSymbol {
                path: path.clone(),
                symbol,
                first: first.path.clone(),
            });
        }
        let file = csv::load(path)?;
        if let Some(first) = out.first()
            && first.interval != file.interval
        {
            return Err(InputError::IntervalMismatch {
                path: path.clone(),
                interval: file.interval,
                first: first.path.clone(),
                first_interval: first.interval,
            });
        }
        let missing = file
            .gaps
            .iter()
            .filter(|g| range.contains(g.before_ms))
            .map(|g| g.missing)
            .sum();
        let candles: Vec<Candle> = file
            .candles
            .into_iter()
            .filter(|c| range.contains(c.open_time_ms))
            .collect();
        if candles.is_empty() {
            let show = |t: Option<i64>| {
                t.map_or(
                    "the file's edge".to_string(),
                    crate::domain::time::format_utc,
                )
            };
            return Err(InputError::EmptyRange {
                path: path.clone(),
                from: show(range.from_ms),
                to: show(range.to_ms),
            });
        }
        out.push(History {
            symbol,
            interval: file.interval,
            path: path.clone(),
            candles,
            missing,
        });
    }
    Ok(out)
}
