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
    let content = std::fs::read_to_string(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rows: Vec<(usize, Candle)> = Vec::with_capacity(content.len() / 64);
    let mut reader = Rows::new(path);
    for (index, line) in content.lines().enumerate() {
        if let Some(candle) = reader.row(index + 1, line, parse_row)? {
            rows.push((index + 1, candle));
        }
    }
    let layout = reader.layout();
    if rows.is_empty() {
        return Err(CsvError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut step = MinStep::default();
    rows.iter().for_each(|(_, c)| step.push(c.open_time_ms));
    let interval = interval_of_step(path, step.step)?;
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

/// The line-by-line reading both the loader and the stream share: blank
/// lines skipped, the header recognised, the layout fixed by the header or
/// the first row, every row checked for its column count.
pub(super) struct Rows {
    path: PathBuf,
    layout: Option<(CsvLayout, usize)>,
    data_rows: usize,
    /// Field bounds of the current line, reused from row to row.
    bounds: Vec<(usize, usize)>,
}

/// The fields of one data row.
pub(super) struct Fields<'a> {
    line: &'a str,
    bounds: &'a [(usize, usize)],
}

impl<'a> Fields<'a> {
    fn get(&self, i: usize) -> &'a str {
        let (from, to) = self.bounds[i];
        self.line[from..to].trim()
    }
}

impl Rows {
    pub(super) fn new(path: &Path) -> Rows {
        Rows {
            path: path.to_path_buf(),
            layout: None,
            data_rows: 0,
            bounds: Vec::with_capacity(BINANCE_COLUMNS),
        }
    }

    pub(super) fn layout(&self) -> CsvLayout {
        self.layout.map_or(CsvLayout::Shared, |(l, _)| l)
    }

    /// `parse` on the line's fields when it is a data row; None for a blank
    /// line or the header.
    pub(super) fn row<T>(
        &mut self,
        line_no: usize,
        line: &str,
        parse: impl FnOnce(&Fields) -> Result<T, String>,
    ) -> Result<Option<T>, CsvError> {
        let text = line.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let malformed = |problem: String| CsvError::Malformed {
            path: self.path.clone(),
            line: line_no,
            problem,
        };
        self.bounds.clear();
        let mut from = 0;
        for (i, _) in text.match_indices(',') {
            self.bounds.push((from, i));
            from = i + 1;
        }
        self.bounds.push((from, text.len()));
        let fields = Fields {
            line: text,
            bounds: &self.bounds,
        };
        if self.data_rows == 0 && self.layout.is_none() && fields.get(0).parse::<i64>().is_err() {
            let names: Vec<&str> = (0..self.bounds.len()).map(|i| fields.get(i)).collect();
            self.layout = Some(layout_of_header(&names).map_err(malformed)?);
            return Ok(None);
        }
        let columns = match self.layout {
            Some((_, columns)) => columns,
            None => {
                let l = layout_of_row(self.bounds.len()).map_err(malformed)?;
                self.layout = Some(l);
                l.1
            }
        };
        if self.bounds.len() != columns {
            return Err(malformed(format!(
                "{} columns, but the file has {columns}",
                self.bounds.len()
            )));
        }
        self.data_rows += 1;
        parse(&fields).map(Some).map_err(malformed)
    }
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

pub(super) fn parse_open_time(fields: &Fields) -> Result<i64, String> {
    let field = fields.get(0);
    let raw_time: i64 = field
        .parse()
        .map_err(|_| format!("open time `{field}` is not an integer"))?;
    // data.binance.vision switched some archives to microseconds in 2025.
    Ok(if raw_time > 100_000_000_000_000 {
        raw_time / 1000
    } else {
        raw_time
    })
}

pub(super) fn parse_row(fields: &Fields) -> Result<Candle, String> {
    let open_time_ms = parse_open_time(fields)?;
    let price = |i: usize, name: &str| -> Result<Price, String> {
        let field = fields.get(i);
        field
            .parse::<Price>()
            .map_err(|e| format!("{name} `{field}`: {e}"))
    };
    let volume = fields.get(5);
    let volume = volume
        .parse::<Qty>()
        .map_err(|e| format!("volume `{volume}`: {e}"))?;
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

/// The smallest positive step between consecutive open times, in file
/// order: what tells a file's interval.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct MinStep {
    previous: Option<i64>,
    pub(super) step: Option<i64>,
}

impl MinStep {
    pub(super) fn push(&mut self, t: i64) {
        if let Some(p) = self.previous
            && t > p
        {
            self.step = Some(self.step.map_or(t - p, |s| s.min(t - p)));
        }
        self.previous = Some(t);
    }
}

pub(super) fn interval_of_step(path: &Path, step: Option<i64>) -> Result<Interval, CsvError> {
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
    let mut sequencer = Sequencer::new(interval);
    for (line, candle) in rows {
        match sequencer.admit(candle.open_time_ms) {
            Ok(gap) => {
                gaps.extend(gap);
                candles.push(candle);
            }
            Err(kind) => skipped.push(Skipped {
                line,
                open_time_ms: candle.open_time_ms,
                kind,
            }),
        }
    }
    (candles, gaps, skipped)
}

/// The rule for a file's next row, the loader's and the stream's alike: it
/// is kept after the last kept one (with the gap before it, if any), or
/// skipped as a duplicate or a step back in time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sequencer {
    last_open_ms: Option<i64>,
    interval_ms: i64,
}

impl Sequencer {
    pub(super) fn new(interval: Interval) -> Sequencer {
        Sequencer {
            last_open_ms: None,
            interval_ms: interval.duration_ms(),
        }
    }

    pub(super) fn admit(&mut self, open_time_ms: i64) -> Result<Option<Gap>, Continuity> {
        let gap = match self.last_open_ms {
            None => None,
            Some(last) => match continuity(last, open_time_ms, self.interval_ms) {
                Continuity::Next => None,
                Continuity::Gap { missing } => Some(Gap {
                    after_ms: last,
                    before_ms: open_time_ms,
                    missing,
                }),
                kind @ (Continuity::Duplicate | Continuity::OutOfOrder) => return Err(kind),
            },
        };
        self.last_open_ms = Some(open_time_ms);
        Ok(gap)
    }
}
