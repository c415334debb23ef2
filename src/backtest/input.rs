//! The history a backtest runs over: one candle file per symbol, cut to the
//! requested time range. Every file must have the same interval.

use std::path::PathBuf;

use thiserror::Error;

use crate::domain::{Candle, Interval, Symbol};
use crate::market::csv::{self, CsvError, symbol_of_path};
use crate::market::csv_stream::CandleStream;

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
    each_file(paths, |path| {
        let file = csv::load(path)?;
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
        let in_range = if candles.is_empty() {
            Err(empty_range(path, range))
        } else {
            Ok((candles, missing))
        };
        Ok((file.interval, in_range))
    })
    .map(|files| {
        files
            .into_iter()
            .map(|(symbol, interval, path, (candles, missing))| History {
                symbol,
                interval,
                path,
                candles,
                missing,
            })
            .collect()
    })
}

/// A file read as the run goes, standing at its first candle in the range.
pub struct StreamedHistory {
    pub symbol: Symbol,
    pub interval: Interval,
    pub path: PathBuf,
    pub range: TimeRange,
    pub stream: CandleStream,
    pub first: Candle,
    /// Candles missing in the range so far (the gaps before kept candles).
    pub missing: i64,
}

impl StreamedHistory {
    /// The candle after the ones read so far, None past the range's end.
    /// (The first one is `first`, read when the file was opened.)
    pub fn next_in_range(&mut self) -> Result<Option<Candle>, CsvError> {
        next_within(&mut self.stream, self.range, &mut self.missing)
    }
}

/// The next candle of `stream` inside `range` (earlier ones passed over),
/// None past its end. The gap before the candle it gives counts into
/// `missing`: as the loader counts, a gap belongs to the candle after it.
fn next_within(
    stream: &mut CandleStream,
    range: TimeRange,
    missing: &mut i64,
) -> Result<Option<Candle>, CsvError> {
    loop {
        let before = stream.missing();
        let Some(c) = stream.next_candle()? else {
            return Ok(None);
        };
        if range.to_ms.is_some_and(|t| c.open_time_ms >= t) {
            return Ok(None);
        }
        if range.contains(c.open_time_ms) {
            *missing += stream.missing() - before;
            return Ok(Some(c));
        }
    }
}

/// The files opened for streaming, with the same checks and messages as
/// [`load`]; a malformed row further on is found when the run reaches it.
pub fn stream(paths: &[PathBuf], range: TimeRange) -> Result<Vec<StreamedHistory>, InputError> {
    let files = each_file(paths, |path| {
        let mut stream = CandleStream::open_counting(path, |t| range.contains(t))?;
        let mut missing = 0;
        let first = next_within(&mut stream, range, &mut missing)?;
        let interval = stream.interval();
        let in_range = first
            .map(|first| (stream, first, missing))
            .ok_or_else(|| empty_range(path, range));
        Ok((interval, in_range))
    })?;
    Ok(files
        .into_iter()
        .map(
            |(symbol, interval, path, (stream, first, missing))| StreamedHistory {
                symbol,
                interval,
                path,
                range,
                stream,
                first,
                missing,
            },
        )
        .collect())
}

/// Opens every file with `open`, which gives its interval and what it found
/// in the range, with the checks every input passes, in this order: a
/// symbol in the name, each symbol once, a readable file, one interval for
/// all, candles in the range.
type Opened<T> = Result<(Interval, Result<T, InputError>), InputError>;

fn each_file<T>(
    paths: &[PathBuf],
    mut open: impl FnMut(&PathBuf) -> Opened<T>,
) -> Result<Vec<(Symbol, Interval, PathBuf, T)>, InputError> {
    if paths.is_empty() {
        return Err(InputError::NoData);
    }
    let mut out: Vec<(Symbol, Interval, PathBuf, T)> = Vec::with_capacity(paths.len());
    for path in paths {
        let symbol =
            symbol_of_path(path).ok_or_else(|| InputError::NoSymbol { path: path.clone() })?;
        if let Some((_, _, first, _)) = out.iter().find(|(s, ..)| *s == symbol) {
            return Err(InputError::DuplicateSymbol {
                path: path.clone(),
                symbol,
                first: first.clone(),
            });
        }
        let (interval, opened) = open(path)?;
        if let Some((_, first_interval, first, _)) = out.first()
            && *first_interval != interval
        {
            return Err(InputError::IntervalMismatch {
                path: path.clone(),
                interval,
                first: first.clone(),
                first_interval: *first_interval,
            });
        }
        out.push((symbol, interval, path.clone(), opened?));
    }
    Ok(out)
}

fn empty_range(path: &std::path::Path, range: TimeRange) -> InputError {
    let show = |t: Option<i64>| {
        t.map_or(
            "the file's edge".to_string(),
            crate::domain::time::format_utc,
        )
    };
    InputError::EmptyRange {
        path: path.to_path_buf(),
        from: show(range.from_ms),
        to: show(range.to_ms),
    }
}
