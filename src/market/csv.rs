//! Loads candles from CSV: the shared format `open_time_ms,open,high,low,close,volume`
//! and Binance's own 12-column kline CSV (data.binance.vision), with or without a
//! header. Gaps and duplicates are reported as data; a malformed row is an error
//! naming the file and the line.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::domain::{Candle, Interval, Price, Qty, Symbol};

use super::continuity::{Continuity, Gap, continuity};

#[derive(Debug, Error)]
pub enum CsvError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {problem}")]
    Malformed {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("{path}: no candles in the file")]
    Empty { path: PathBuf },
    #[error(
        "{path}: candles are {step_ms} ms apart, which is not a Binance kline interval (1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d)"
    )]
    UnknownInterval { path: PathBuf, step_ms: i64 },
}

/// Which of the two layouts a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvLayout {
    /// `open_time_ms,open,high,low,close,volume`
    Shared,
    /// Binance: open_time, open, high, low, close, volume, close_time,
    /// quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore.
    Binance,
}

/// A row that repeated or went back in time; it was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub open_time_ms: i64,
    pub kind: Continuity,
}

/// Everything a file held, with what was wrong with its sequence.
#[derive(Debug, Clone)]
pub struct CandleFile {
    pub path: PathBuf,
    pub layout: CsvLayout,
    /// The interval the timestamps show (the smallest step between rows).
    pub interval: Interval,
    /// Closed candles in time order, duplicates removed.
    pub candles: Vec<Candle>,
    pub gaps: Vec<Gap>,
    /// Duplicate or out-of-order rows, not in `candles`.
    pub skipped: Vec<Skipped>,
}

impl CandleFile {
    pub fn missing_candles(&self) -> i64 {
        self.gaps.iter().map(|g| g.missing).sum()
    }
}

/// The symbol a Binance-style file name starts with: `BTCUSDT-1h-….csv`.
pub fn symbol_of_path(path: &Path) -> Option<Symbol> {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split(['-', '_', '.']).next())
        .and_then(|s| Symbol::new(s).ok())
}

/// Reads a whole candle file.
pub fn load(path: &Path) -> Result<CandleFile, CsvError> {
    let io = |source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    };
    // One read and one reused field list: parsing, not I/O, is the cost here.
    let content = std::fs::read_to_string(path).map_err(io)?;
    let mut rows: Vec<(usize, Candle)> = Vec::with_capacity(content.len() / 64);
    // (layout, number of columns every row must have)
    let mut layout: Option<(CsvLayout, usize)> = None;
    let mut fields: Vec<&str> = Vec::new();
    for (index, line) in content.lines().enumerate() {
        let line_no = index + 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let malformed = |problem: String| CsvError::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            problem,
        };
        fields.clear();
        fields.extend(text.split(',').map(str::trim));
        if rows.is_empty() && layout.is_none() && fields[0].parse::<i64>().is_err() {
            layout = Some(layout_of_header(&fields).map_err(malformed)?);
            continue;
        }
        let (this_layout, columns) = match layout {
            Some(l) => l,
            None => {
                let l = layout_of_row(fields.len()).map_err(malformed)?;
                layout = Some(l);
                l
            }
        };
        if fields.len() != columns {
            return Err(malformed(format!(
                "{} columns, but the file has {columns}",
                fields.len()
            )));
        }
        debug_assert!(matches!(
            this_layout,
            CsvLayout::Shared | CsvLayout::Binance
        ));
        rows.push((line_no, parse_row(&fields).map_err(malformed)?));
    }
    let layout = layout.map_or(CsvLayout::Shared, |(l, _)| l);
    if rows.is_empty() {
        return Err(CsvError::Empty {
            path: path.to_path_buf(),
        });
    }
    let interval = infer_interval(path, &rows)?;
    let (candles, gaps, skipped) = sequence(rows, interval);
    Ok(CandleFile {
        path: path.to_path_buf(),
        layout,
        interval,
        candles,
        gaps,
        skipped,
    })
}

const SHARED_HEADER: [&str; 6] = ["open_time_ms", "open", "high", "low", "close", "volume"];
const BINANCE_COLUMNS: usize = 12;

/// A header names the layout. The shared layout may carry extra columns after
/// the six it needs (e.g. indicator values); they are ignored.
fn layout_of_header(fields: &[&str]) -> Result<(CsvLayout, usize), String> {
    let names: Vec<String> = fields.iter().map(|f| f.to_ascii_lowercase()).collect();
    let shared = names.len() >= 6
        && names[0].starts_with("open_time")
        && names[1..6]
            .iter()
            .zip(&SHARED_HEADER[1..])
            .all(|(a, b)| a == b);
    if shared && names.len() == BINANCE_COLUMNS && names[6] == "close_time" {
        Ok((CsvLayout::Binance, BINANCE_COLUMNS))
    } else if shared {
        Ok((CsvLayout::Shared, names.len()))
    } else {
        Err(format!(
            "header `{}` is not recognised; expected {}[,…] or Binance's 12 kline columns",
            fields.join(","),
            SHARED_HEADER.join(",")
        ))
    }
}

fn layout_of_row(columns: usize) -> Result<(CsvLayout, usize), String> {
    match columns {
        6 => Ok((CsvLayout::Shared, 6)),
        BINANCE_COLUMNS => Ok((CsvLayout::Binance, BINANCE_COLUMNS)),
        n => Err(format!(
            "{n} columns; expected 6 (open_time_ms,open,high,low,close,volume) or Binance's 12-column kline layout"
        )),
    }
}

fn parse_row(fields: &[&str]) -> Result<Candle, String> {
    let raw_time: i64 = fields[0]
        .parse()
        .map_err(|_| format!("open time `{}` is not an integer", fields[0]))?;
    // data.binance.vision switched some archives to microseconds in 2025.
    let open_time_ms = if raw_time > 100_000_000_000_000 {
        raw_time / 1000
    } else {
        raw_time
    };
    let price = |i: usize, name: &str| -> Result<Price, String> {
        fields[i]
            .parse::<Price>()
            .map_err(|e| format!("{name} `{}`: {e}", fields[i]))
    };
    let volume = fields[5]
        .parse::<Qty>()
        .map_err(|e| format!("volume `{}`: {e}", fields[5]))?;
    Candle::new(
        open_time_ms,
        price(1, "open")?,
        price(2, "high")?,
        price(3, "low")?,
        price(4, "close")?,
        volume,
        true,
    )
    .map_err(|e| e.to_string())
}

fn infer_interval(path: &Path, rows: &[(usize, Candle)]) -> Result<Interval, CsvError> {
    let step = rows
        .windows(2)
        .map(|w| w[1].1.open_time_ms - w[0].1.open_time_ms)
        .filter(|&s| s > 0)
        .min();
    match step {
        // A single candle cannot show its interval; treat it as 1m, the finest.
        None => Ok(Interval::M1),
        Some(step_ms) => {
            Interval::from_duration_ms(step_ms).ok_or_else(|| CsvError::UnknownInterval {
                path: path.to_path_buf(),
                step_ms,
            })
        }
    }
}

fn sequence(
    rows: Vec<(usize, Candle)>,
    interval: Interval,
) -> (Vec<Candle>, Vec<Gap>, Vec<Skipped>) {
    let mut candles: Vec<Candle> = Vec::with_capacity(rows.len());
    let mut gaps = Vec::new();
    let mut skipped = Vec::new();
    for (line, candle) in rows {
        if let Some(last) = candles.last() {
            let kind = continuity(
                last.open_time_ms,
                candle.open_time_ms,
                interval.duration_ms(),
            );
            match kind {
                Continuity::Next => {}
                Continuity::Gap { missing } => gaps.push(Gap {
                    after_ms: last.open_time_ms,
                    before_ms: candle.open_time_ms,
                    missing,
                }),
                Continuity::Duplicate | Continuity::OutOfOrder => {
                    skipped.push(Skipped {
                        line,
                        open_time_ms: candle.open_time_ms,
                        kind,
                    });
                    continue;
                }
            }
        }
        candles.push(candle);
    }
    (candles, gaps, skipped)
}
