//! A kline CSV read as it is needed: the memory a backtest takes does not
//! grow with the history. Same formats, same errors and the same candles as
//! [`super::csv::load`]; a malformed row is found when the stream reaches it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::domain::{Candle, Interval};

use super::csv::{
    CsvError, CsvLayout, MinStep, Rows, Sequencer, interval_of_step, parse_open_time, parse_row,
};

pub struct CandleStream {
    path: PathBuf,
    interval: Interval,
    layout: CsvLayout,
    reader: BufReader<File>,
    rows: Rows,
    line: String,
    line_no: usize,
    sequencer: Sequencer,
    missing: i64,
    skipped: usize,
    row_count: u64,
}

impl CandleStream {
    /// Reads the file once for its layout and interval (open times only),
    /// then stands before its first candle.
    pub fn open(path: &Path) -> Result<CandleStream, CsvError> {
        CandleStream::open_counting(path, |_| true)
    }

    /// As [`Self::open`], with [`Self::rows`] counting only the rows whose
    /// open time `counted` keeps (a run's range, for its progress bar).
    pub fn open_counting(
        path: &Path,
        counted: impl Fn(i64) -> bool,
    ) -> Result<CandleStream, CsvError> {
        let mut reader = open_file(path)?;
        let mut rows = Rows::new(path);
        let mut line = String::new();
        let mut line_no = 0;
        let mut step = MinStep::default();
        let (mut any, mut count) = (false, 0u64);
        while read_line(path, &mut reader, &mut line)? {
            line_no += 1;
            if let Some(t) = rows.row(line_no, &line, parse_open_time)? {
                step.push(t);
                any = true;
                count += u64::from(counted(t));
            }
        }
        if !any {
            return Err(CsvError::Empty {
                path: path.to_path_buf(),
            });
        }
        let interval = interval_of_step(path, step.step)?;
        Ok(CandleStream {
            path: path.to_path_buf(),
            interval,
            layout: rows.layout(),
            reader: open_file(path)?,
            rows: Rows::new(path),
            line,
            line_no: 0,
            sequencer: Sequencer::new(interval),
            missing: 0,
            skipped: 0,
            row_count: count,
        })
    }

    pub fn interval(&self) -> Interval {
        self.interval
    }

    pub fn layout(&self) -> CsvLayout {
        self.layout
    }

    /// Data rows in the file (those `open_counting` kept): an upper bound on
    /// its candles.
    pub fn rows(&self) -> u64 {
        self.row_count
    }

    /// Candles missing between the ones read so far.
    pub fn missing(&self) -> i64 {
        self.missing
    }

    /// Rows skipped so far: duplicates and rows going back in time.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The next candle in time order, or None at the end of the file.
    pub fn next_candle(&mut self) -> Result<Option<Candle>, CsvError> {
        while read_line(&self.path, &mut self.reader, &mut self.line)? {
            self.line_no += 1;
            let Some(candle) = self.rows.row(self.line_no, &self.line, parse_row)? else {
                continue;
            };
            match self.sequencer.admit(candle.open_time_ms) {
                Ok(gap) => {
                    self.missing += gap.map_or(0, |g| g.missing);
                    return Ok(Some(candle));
                }
                Err(_) => self.skipped += 1,
            }
        }
        Ok(None)
    }
}

fn open_file(path: &Path) -> Result<BufReader<File>, CsvError> {
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .map_err(|source| CsvError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// The next line into `line` (cleared first); false at the end.
fn read_line(
    path: &Path,
    reader: &mut BufReader<File>,
    line: &mut String,
) -> Result<bool, CsvError> {
    line.clear();
    reader
        .read_line(line)
        .map(|n| n > 0)
        .map_err(|source| CsvError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_all(path: &Path) -> (Vec<Candle>, i64, usize) {
        let mut s = CandleStream::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(c) = s.next_candle().unwrap() {
            out.push(c);
        }
        (out, s.missing(), s.skipped())
    }

    fn file(content: &str) -> tempfile::NamedTempFile {
        let f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::fs::write(f.path(), content).unwrap();
        f
    }

    #[test]
    fn the_stream_gives_what_the_loader_gives_gaps_duplicates_and_all() {
        let f = file(
            "open_time_ms,open,high,low,close,volume\n\
             0,1,2,0.5,1.5,10\n\
             60000,1.5,2,1,1.8,11\n\
             \n\
             60000,1.5,2,1,1.8,11\n\
             240000,1.8,2.2,1.7,2,9\n\
             180000,1.8,2.2,1.7,2,9\n\
             300000,2,2.5,1.9,2.4,8\n",
        );
        let loaded = super::super::csv::load(f.path()).unwrap();
        let (candles, missing, skipped) = stream_all(f.path());
        assert_eq!(candles, loaded.candles);
        assert_eq!(missing, loaded.missing_candles());
        assert_eq!(missing, 2);
        assert_eq!(skipped, loaded.skipped.len());
        assert_eq!(skipped, 2);
        let s = CandleStream::open(f.path()).unwrap();
        assert_eq!(s.interval(), loaded.interval);
        assert_eq!(s.layout(), loaded.layout);
    }

    #[test]
    fn a_malformed_row_is_the_loaders_error_when_the_stream_reaches_it() {
        let f = file("0,1,2,0.5,1.5,10\n60000,1.5,x,1,1.8,11\n");
        let loaded = super::super::csv::load(f.path()).unwrap_err().to_string();
        let mut s = CandleStream::open(f.path()).unwrap();
        assert!(s.next_candle().unwrap().is_some());
        assert_eq!(s.next_candle().unwrap_err().to_string(), loaded);
        assert!(loaded.contains(":2: high `x`"), "{loaded}");
    }

    #[test]
    fn a_bad_layout_or_an_empty_file_fails_at_open() {
        for content in [
            "",
            "\n\n",
            "a,b,c\n",
            "0,1,2\n",
            "0,1,2,0.5,1.5,10\n60001,1,2,0.5,1.5,10\n",
        ] {
            let f = file(content);
            let loaded = super::super::csv::load(f.path()).unwrap_err().to_string();
            let streamed = CandleStream::open(f.path()).err().unwrap().to_string();
            assert_eq!(streamed, loaded, "{content:?}");
        }
    }
}
