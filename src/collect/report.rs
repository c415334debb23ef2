//! What a download did, as the lines printed at its end: rows written and
//! where, every gap, requests made and time taken.

use std::path::PathBuf;
use std::time::Duration;

use super::error::DownloadError;
use super::gaps::{describe, minute_utc};
use crate::market::continuity::Gap;

/// One file's part of the download.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: PathBuf,
    /// "bars" or "funding rates".
    pub rows_name: &'static str,
    pub written: u64,
    pub requests: u64,
    /// Time of the first and the last row written.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    /// Holes in the bars (candles only).
    pub gaps: Vec<Gap>,
    pub interval_ms: i64,
    /// The asked start when Binance had nothing that early (candles only).
    pub starts_late_from: Option<i64>,
}

impl FileReport {
    pub fn missing(&self) -> i64 {
        self.gaps.iter().map(|g| g.missing).sum()
    }

    fn lines(&self, out: &mut Vec<String>) {
        let range = match (self.first_ms, self.last_ms) {
            (Some(a), Some(b)) => format!(" ({} → {} UTC)", minute_utc(a), minute_utc(b)),
            _ => String::new(),
        };
        out.push(format!(
            "wrote {} {} to {}{range}",
            self.written,
            self.rows_name,
            self.path.display()
        ));
        if let (Some(asked), Some(first)) = (self.starts_late_from, self.first_ms) {
            out.push(format!(
                "Binance has no bars before {} UTC (asked from {} UTC)",
                minute_utc(first),
                minute_utc(asked)
            ));
        }
        if self.interval_ms > 0 {
            for gap in &self.gaps {
                out.push(describe(gap, self.interval_ms));
            }
            out.push(match self.gaps.len() {
                0 => "gaps: none".to_string(),
                n => format!(
                    "gaps: {n}, {} bar{} missing in all (Binance has no data there)",
                    self.missing(),
                    if self.missing() == 1 { "" } else { "s" }
                ),
            });
        }
    }
}

#[derive(Debug)]
pub struct Report {
    pub candles: FileReport,
    pub funding: Option<FileReport>,
    pub elapsed: Duration,
    /// Why the download ended early; None when it finished.
    pub stop: Option<DownloadError>,
}

impl Report {
    pub fn requests(&self) -> u64 {
        self.candles.requests + self.funding.as_ref().map_or(0, |f| f.requests)
    }

    /// The summary, printed whether or not the progress bar was shown.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.candles.lines(&mut out);
        if let Some(f) = &self.funding {
            f.lines(&mut out);
        }
        let requests = self.requests();
        out.push(format!(
            "{} {requests} request{} in {:.1} s",
            if self.stop.is_some() {
                "stopped after"
            } else {
                "done:"
            },
            if requests == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64()
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;
    const DAY: i64 = 1_704_067_200_000; // 2024-01-01

    fn candles() -> FileReport {
        FileReport {
            path: "btc.csv".into(),
            rows_name: "bars",
            written: 1437,
            requests: 2,
            first_ms: Some(DAY),
            last_ms: Some(DAY + 1439 * M),
            gaps: vec![Gap {
                after_ms: DAY + 99 * M,
                before_ms: DAY + 103 * M,
                missing: 3,
            }],
            interval_ms: M,
            starts_late_from: None,
        }
    }

    #[test]
    fn the_summary_lists_rows_gaps_and_totals() {
        let report = Report {
            candles: candles(),
            funding: Some(FileReport {
                path: "btc-funding.csv".into(),
                rows_name: "funding rates",
                written: 3,
                requests: 1,
                first_ms: Some(DAY),
                last_ms: Some(DAY + 16 * 60 * M),
                ..FileReport::default()
            }),
            elapsed: Duration::from_millis(2345),
            stop: None,
        };
        assert_eq!(
            report.lines(),
            vec![
                "wrote 1437 bars to btc.csv (2024-01-01 00:00 → 2024-01-01 23:59 UTC)",
                "gap: 2024-01-01 01:40 → 2024-01-01 01:42 UTC, 3 bars missing",
                "gaps: 1, 3 bars missing in all (Binance has no data there)",
                "wrote 3 funding rates to btc-funding.csv (2024-01-01 00:00 → 2024-01-01 16:00 UTC)",
                "done: 3 requests in 2.3 s",
            ]
        );
    }

    #[test]
    fn nothing_written_and_a_stop_read_as_such() {
        let report = Report {
            candles: FileReport {
                written: 0,
                requests: 1,
                first_ms: None,
                last_ms: None,
                gaps: vec![],
                ..candles()
            },
            funding: None,
            elapsed: Duration::from_millis(40),
            stop: Some(DownloadError::Interrupted),
        };
        assert_eq!(
            report.lines(),
            vec![
                "wrote 0 bars to btc.csv",
                "gaps: none",
                "stopped after 1 request in 0.0 s",
            ]
        );
    }

    #[test]
    fn a_late_first_bar_is_explained() {
        let report = FileReport {
            starts_late_from: Some(DAY - 10 * M),
            gaps: vec![],
            ..candles()
        };
        let mut lines = Vec::new();
        report.lines(&mut lines);
        assert_eq!(
            lines[1],
            "Binance has no bars before 2024-01-01 00:00 UTC (asked from 2023-12-31 23:50 UTC)"
        );
    }
}
