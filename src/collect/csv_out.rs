//! The two files the collector writes and how it appends to them: the
//! candle CSV that `market::csv` loads (`open_time_ms,open,high,low,close,volume`)
//! and the funding CSV the paper exchange loads (`funding_time_ms,funding_rate`).
//! Values are written as Binance sent them (their scale kept). Each page is
//! written and flushed whole, so the file always ends on a complete row.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::funding_pager::FundingRow;
use crate::binance::wire::Kline;

/// One of the collector's file layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    pub header: &'static str,
    /// Fields on every row.
    pub columns: usize,
    /// What one row is, for messages.
    pub row_name: &'static str,
}

pub const CANDLES: CsvFormat = CsvFormat {
    header: "open_time_ms,open,high,low,close,volume",
    columns: 6,
    row_name: "bar",
};

pub const FUNDING: CsvFormat = CsvFormat {
    header: "funding_time_ms,funding_rate",
    columns: 2,
    row_name: "funding rate",
};

pub fn kline_line(k: &Kline) -> String {
    format!(
        "{},{},{},{},{},{}\n",
        k.open_time_ms,
        k.open.value(),
        k.high.value(),
        k.low.value(),
        k.close.value(),
        k.volume.value()
    )
}

pub fn funding_line(r: &FundingRow) -> String {
    format!("{},{}\n", r.time_ms, r.rate)
}

/// The funding file beside a candle file: `btc.csv` → `btc-funding.csv`.
pub fn funding_path(candles: &Path) -> PathBuf {
    let stem = candles
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    candles.with_file_name(format!("{stem}-funding.csv"))
}

/// Appends pages to one file.
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    out: BufWriter<File>,
}

/// Large enough that a page of 1,500 rows leaves in one write.
const BUFFER: usize = 1 << 20;

impl Appender {
    /// A new file with its header (also when `path` exists but is empty).
    pub fn create(path: &Path, format: CsvFormat) -> io::Result<Appender> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let mut appender = Appender::wrap(path, file);
        appender.append([format!("{}\n", format.header)])?;
        Ok(appender)
    }

    /// An existing file, opened for appending only: nothing in it changes.
    /// `complete_last_line` adds the newline a file's last row lacks.
    pub fn reopen(path: &Path, complete_last_line: bool) -> io::Result<Appender> {
        let file = OpenOptions::new().append(true).open(path)?;
        let mut appender = Appender::wrap(path, file);
        if complete_last_line {
            appender.append(["\n".to_string()])?;
        }
        Ok(appender)
    }

    fn wrap(path: &Path, file: File) -> Appender {
        Appender {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(BUFFER, file),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the lines (each ending in `\n`) and flushes them to the file.
    pub fn append<I>(&mut self, lines: I) -> io::Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for line in lines {
            self.out.write_all(line.as_ref().as_bytes())?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kline(open: i64, o: &str, h: &str, l: &str, c: &str, v: &str) -> Kline {
        Kline {
            open_time_ms: open,
            open: o.parse().unwrap(),
            high: h.parse().unwrap(),
            low: l.parse().unwrap(),
            close: c.parse().unwrap(),
            volume: v.parse().unwrap(),
            close_time_ms: open + 59_999,
        }
    }

    #[test]
    fn rows_keep_the_values_as_binance_wrote_them() {
        let k = kline(1, "95478.0", "95478.10", "95457.6", "95457.60", "28.674");
        assert_eq!(
            kline_line(&k),
            "1,95478.0,95478.10,95457.6,95457.60,28.674\n"
        );
        let r = FundingRow {
            time_ms: 1_570_608_000_000,
            rate: "-0.03750000".parse().unwrap(),
        };
        assert_eq!(funding_line(&r), "1570608000000,-0.03750000\n");
    }

    #[test]
    fn the_funding_file_sits_beside_the_candles() {
        assert_eq!(
            funding_path(Path::new("/d/btc-15m.csv")),
            PathBuf::from("/d/btc-15m-funding.csv")
        );
        assert_eq!(
            funding_path(Path::new("btc")),
            PathBuf::from("btc-funding.csv")
        );
    }

    #[test]
    fn the_written_file_is_what_the_candle_loader_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        let mut a = Appender::create(&path, CANDLES).unwrap();
        a.append(
            [0, 60_000, 180_000]
                .map(|t| kline_line(&kline(t, "10.0", "12.50", "9", "11", "3.000"))),
        )
        .unwrap();
        drop(a);
        let mut a = Appender::reopen(&path, false).unwrap();
        a.append([kline_line(&kline(240_000, "11", "11", "11", "11", "0"))])
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("open_time_ms,open,high,low,close,volume\n0,10.0,12.50,9,11,3.000\n"),
            "{text}"
        );
        let file = crate::market::csv::load(&path).unwrap();
        assert_eq!(file.candles.len(), 4);
        assert_eq!(file.interval, crate::domain::Interval::M1);
        assert_eq!(file.gaps.len(), 1);
    }

    #[test]
    fn reopening_completes_a_last_line_without_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, "funding_time_ms,funding_rate\n1,0.1").unwrap();
        let mut a = Appender::reopen(&path, true).unwrap();
        a.append(["2,0.2\n"]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "funding_time_ms,funding_rate\n1,0.1\n2,0.2\n"
        );
    }
}
