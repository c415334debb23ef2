//! One download: check the output files, sync the clock, page the candles
//! (then the funding rates) into the files page by page, and report.
//!
//! The REST client is the one the cockpit trades with: it waits before the
//! request weight reaches Binance's limit (from `X-MBX-USED-WEIGHT-1M`) and
//! retries failed reads with backoff, so nothing here throttles or retries.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::csv_out::{self, Appender, CANDLES, CsvFormat, FUNDING};
use super::error::DownloadError;
use super::funding_pager::{FundingPager, FundingRow};
use super::gaps::{GapTracker, minute_utc};
use super::kline_pager::{KlinePager, align_down, align_up};
use super::progress::{Progress, ProgressTarget};
use super::report::{FileReport, Report};
use super::resume::{self, Existing};
use crate::binance::BinanceError;
use crate::binance::rest::{Clock, RestClient, RestConfig, system_clock};
use crate::binance::wire::Kline;
use crate::domain::{Interval, Symbol};

/// Binance USD-M funding settles every 8 h (for the progress bar's estimate).
const FUNDING_PERIOD_MS: i64 = 8 * 3_600_000;

/// What to download, from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub symbol: Symbol,
    pub interval: Interval,
    pub start_ms: i64,
    /// Exclusive: bars that open before it. None: up to the last closed bar.
    pub end_ms: Option<i64>,
    pub out: PathBuf,
    /// Also the funding rates, into `<out stem>-funding.csv`.
    pub funding: bool,
}

impl Job {
    pub fn check(&self) -> Result<(), DownloadError> {
        if let Some(end) = self.end_ms
            && end <= self.start_ms
        {
            return Err(DownloadError::BadInput(format!(
                "--end ({} UTC) must be after --start ({} UTC)",
                minute_utc(end),
                minute_utc(self.start_ms)
            )));
        }
        if let Some(folder) = self.out.parent()
            && !folder.as_os_str().is_empty()
            && !folder.is_dir()
        {
            return Err(DownloadError::BadInput(format!(
                "--out {}: the folder {} does not exist",
                self.out.display(),
                folder.display()
            )));
        }
        Ok(())
    }

    pub fn funding_path(&self) -> PathBuf {
        csv_out::funding_path(&self.out)
    }
}

/// Where the answers come from and how they are shown.
pub struct Source {
    pub rest: RestConfig,
    /// The clock the server's offset is measured against.
    pub clock: Clock,
    pub progress: ProgressTarget,
}

impl Source {
    /// The system clock, a progress bar on stderr.
    pub fn new(rest: RestConfig) -> Source {
        Source {
            rest,
            clock: system_clock(),
            progress: ProgressTarget::Stderr,
        }
    }
}

/// Downloads `job`. Lines about what it is doing go to `notes`; the summary
/// is the returned report's `lines()`. `interrupt` resolving (Ctrl-C) stops
/// the download between pages. An error before anything was asked of
/// Binance (bad arguments, an output file that cannot be resumed, no
/// connection) is `Err`; a failure after that ends the report with `stop`.
pub async fn download(
    source: Source,
    job: &Job,
    notes: &mut dyn Write,
    interrupt: impl Future<Output = ()>,
) -> Result<Report, DownloadError> {
    let began = Instant::now();
    job.check()?;
    let candles_existing = resume::scan(&job.out, CANDLES)?;
    check_grid(&job.out, &candles_existing, job.interval)?;
    let funding_existing = if job.funding {
        Some(resume::scan(&job.funding_path(), FUNDING)?)
    } else {
        None
    };

    let url = source.rest.base_url.clone();
    let exchange = |error: BinanceError| DownloadError::Exchange {
        error,
        url: url.clone(),
    };
    let rest = RestClient::new(source.rest, None, source.clock).map_err(exchange)?;
    let mut interrupt = std::pin::pin!(interrupt);
    tokio::select! {
        synced = rest.sync_time() => { synced.map_err(exchange)?; }
        () = &mut interrupt => return Err(DownloadError::Interrupted),
    }
    let interval_ms = job.interval.duration_ms();
    let resuming = matches!(candles_existing, Existing::Rows(_));
    if !resuming && align_up(job.start_ms, interval_ms) > rest.server_now() {
        return Err(DownloadError::BadInput(format!(
            "--start ({} UTC) is in the future",
            minute_utc(job.start_ms)
        )));
    }

    let mut pages = Pages {
        rest: &rest,
        job,
        progress: source.progress,
        notes,
        exchange: &exchange,
    };
    let mut stop = None;
    let candles = pages
        .candles(&candles_existing, &mut interrupt, &mut stop)
        .await;
    let funding = match funding_existing {
        Some(existing) if stop.is_none() => {
            Some(pages.funding(&existing, &mut interrupt, &mut stop).await)
        }
        Some(_) => Some(FileReport {
            path: job.funding_path(),
            rows_name: "funding rates",
            ..FileReport::default()
        }),
        None => None,
    };
    Ok(Report {
        candles,
        funding,
        elapsed: began.elapsed(),
        stop,
    })
}

/// Appending to a file that holds another interval's bars would spoil it.
fn check_grid(path: &Path, existing: &Existing, interval: Interval) -> Result<(), DownloadError> {
    let Existing::Rows(rows) = existing else {
        return Ok(());
    };
    let step = interval.duration_ms();
    let off_grid = rows.last_ms.rem_euclid(step) != 0;
    let other_step = rows.min_step_ms.is_some_and(|s| s != step);
    if off_grid || other_step {
        let held = rows
            .min_step_ms
            .and_then(Interval::from_duration_ms)
            .map_or_else(
                || "bars of another interval".to_string(),
                |i| format!("{i} bars"),
            );
        return Err(DownloadError::BadInput(format!(
            "{} holds {held}, not {interval}: choose another --out, or --interval to match the file",
            path.display()
        )));
    }
    Ok(())
}

struct Pages<'a, E> {
    rest: &'a RestClient,
    job: &'a Job,
    progress: ProgressTarget,
    notes: &'a mut dyn Write,
    exchange: &'a E,
}

impl<E: Fn(BinanceError) -> DownloadError> Pages<'_, E> {
    fn note(&mut self, line: String) {
        // Notes are for a person watching; a closed stdout must not stop the download.
        let _ = writeln!(self.notes, "{line}");
    }

    async fn candles<F: Future<Output = ()>>(
        &mut self,
        existing: &Existing,
        interrupt: &mut std::pin::Pin<&mut F>,
        stop: &mut Option<DownloadError>,
    ) -> FileReport {
        let job = self.job;
        let interval_ms = job.interval.duration_ms();
        let now = self.rest.server_now();
        // Without --end: up to the forming bar, which the pager leaves out.
        let end = job.end_ms.unwrap_or(now + 1);
        let mut report = FileReport {
            path: job.out.clone(),
            rows_name: "bars",
            interval_ms,
            ..FileReport::default()
        };
        let (start, last_in_file) = match existing {
            Existing::Rows(rows) => {
                self.note(format!(
                    "resuming {}: {} bars already, the last at {} UTC",
                    job.out.display(),
                    rows.rows,
                    minute_utc(rows.last_ms)
                ));
                if job.start_ms > rows.last_ms + interval_ms {
                    self.note(
                        "--start is later than the file's last bar: continuing from the file's last bar, so that it has no hole"
                            .to_string(),
                    );
                }
                (rows.last_ms + interval_ms, Some(rows.last_ms))
            }
            _ => (job.start_ms, None),
        };
        let mut pager = KlinePager::new(interval_ms, start, end);
        let first_wanted = pager.next_ms();
        if pager.request().is_none() {
            self.note(format!(
                "{} already holds every bar before {} UTC: nothing to download",
                job.out.display(),
                minute_utc(end)
            ));
            return report;
        }
        let reachable = align_up(end, interval_ms).min(align_down(now, interval_ms));
        let expected = ((reachable - first_wanted) / interval_ms).max(0) as u64;
        self.note(format!(
            "downloading {} {} from {} UTC to {}: about {expected} bars, {} a request",
            job.symbol,
            job.interval,
            minute_utc(first_wanted),
            match job.end_ms {
                Some(end) => format!("{} UTC", minute_utc(end)),
                None => "now".to_string(),
            },
            super::kline_pager::MAX_KLINES
        ));
        let progress = Progress::start(
            self.progress,
            &format!("{} {}", job.symbol, job.interval),
            expected,
            "bars",
        );
        let mut tracker = GapTracker::new(interval_ms, last_in_file);
        let mut out = Lazy::new(&job.out, CANDLES, existing);
        while let Some(request) = pager.request() {
            let answer = tokio::select! {
                answer = self.rest.klines(
                    &job.symbol,
                    job.interval,
                    Some(request.start_ms),
                    Some(request.end_ms),
                    request.limit,
                ) => answer,
                () = interrupt.as_mut() => {
                    *stop = Some(DownloadError::Interrupted);
                    break;
                }
            };
            report.requests += 1;
            let page = match answer.and_then(|page| check_bars(page, interval_ms)) {
                Ok(page) => page,
                Err(e) => {
                    *stop = Some((self.exchange)(e));
                    break;
                }
            };
            let kept = pager.accept(page, self.rest.server_now());
            if let Err(e) = out.append(kept.iter().map(csv_out::kline_line)) {
                *stop = Some(e);
                break;
            }
            for bar in &kept {
                tracker.push(bar.open_time_ms);
            }
            if let (Some(first), Some(last)) = (kept.first(), kept.last()) {
                report.first_ms.get_or_insert(first.open_time_ms);
                report.last_ms = Some(last.open_time_ms);
                report.written += kept.len() as u64;
            }
            progress.set(((pager.next_ms() - first_wanted) / interval_ms).max(0) as u64);
        }
        progress.finish();
        report.gaps = tracker.gaps().to_vec();
        if last_in_file.is_none() && report.first_ms.is_some_and(|f| f > first_wanted) {
            report.starts_late_from = Some(first_wanted);
        }
        report
    }

    async fn funding<F: Future<Output = ()>>(
        &mut self,
        existing: &Existing,
        interrupt: &mut std::pin::Pin<&mut F>,
        stop: &mut Option<DownloadError>,
    ) -> FileReport {
        let job = self.job;
        let path = job.funding_path();
        let now = self.rest.server_now();
        let end = job.end_ms.unwrap_or(now + 1);
        let mut report = FileReport {
            path: path.clone(),
            rows_name: "funding rates",
            ..FileReport::default()
        };
        let start = match existing {
            Existing::Rows(rows) => {
                self.note(format!(
                    "resuming {}: {} funding rates already, the last at {} UTC",
                    path.display(),
                    rows.rows,
                    minute_utc(rows.last_ms)
                ));
                rows.last_ms + 1
            }
            _ => job.start_ms,
        };
        let mut pager = FundingPager::new(start, end);
        if pager.request().is_none() {
            self.note(format!(
                "{} already holds every funding rate before {} UTC: nothing to download",
                path.display(),
                minute_utc(end)
            ));
            return report;
        }
        let expected = ((end.min(now) - start) / FUNDING_PERIOD_MS).max(0) as u64;
        self.note(format!(
            "downloading {} funding rates from {} UTC: about {expected}",
            job.symbol,
            minute_utc(start)
        ));
        let progress = Progress::start(self.progress, "funding", expected, "funding rates");
        let mut out = Lazy::new(&path, FUNDING, existing);
        while let Some(request) = pager.request() {
            let answer = tokio::select! {
                answer = self.rest.funding_rates(
                    &job.symbol,
                    request.start_ms,
                    Some(request.end_ms),
                    request.limit,
                ) => answer,
                () = interrupt.as_mut() => {
                    *stop = Some(DownloadError::Interrupted);
                    break;
                }
            };
            report.requests += 1;
            let rows = answer.and_then(|values| {
                values
                    .into_iter()
                    .map(FundingRow::from_json)
                    .collect::<Result<Vec<_>, _>>()
            });
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    *stop = Some((self.exchange)(e));
                    break;
                }
            };
            let kept = pager.accept(rows);
            if let Err(e) = out.append(kept.iter().map(csv_out::funding_line)) {
                *stop = Some(e);
                break;
            }
            if let (Some(first), Some(last)) = (kept.first(), kept.last()) {
                report.first_ms.get_or_insert(first.time_ms);
                report.last_ms = Some(last.time_ms);
                report.written += kept.len() as u64;
                progress.set(((last.time_ms - start) / FUNDING_PERIOD_MS + 1).max(0) as u64);
            }
        }
        progress.finish();
        report
    }
}

/// Every bar is a valid candle on the interval's grid, or the page is refused
/// whole (before anything of it is written).
fn check_bars(page: Vec<Kline>, interval_ms: i64) -> Result<Vec<Kline>, BinanceError> {
    for bar in &page {
        bar.to_candle(true)?;
        if bar.open_time_ms.rem_euclid(interval_ms) != 0 {
            return Err(BinanceError::Decode(format!(
                "kline: a bar opens at {}, off the {} ms grid",
                bar.open_time_ms, interval_ms
            )));
        }
    }
    Ok(page)
}

/// The output file, opened on the first page that has rows: a download that
/// fails at once leaves no new file behind.
struct Lazy<'a> {
    path: &'a Path,
    format: CsvFormat,
    existing: &'a Existing,
    appender: Option<Appender>,
}

impl<'a> Lazy<'a> {
    fn new(path: &'a Path, format: CsvFormat, existing: &'a Existing) -> Lazy<'a> {
        Lazy {
            path,
            format,
            existing,
            appender: None,
        }
    }

    fn append<I: Iterator<Item = String>>(&mut self, mut lines: I) -> Result<(), DownloadError> {
        let Some(first) = lines.next() else {
            return Ok(());
        };
        let write = |source| DownloadError::Write {
            path: self.path.to_path_buf(),
            source,
        };
        let appender = match &mut self.appender {
            Some(a) => a,
            None => {
                let opened = match self.existing {
                    Existing::Absent | Existing::Empty => Appender::create(self.path, self.format),
                    Existing::HeaderOnly { ends_with_newline } => {
                        Appender::reopen(self.path, !ends_with_newline)
                    }
                    Existing::Rows(rows) => Appender::reopen(self.path, !rows.ends_with_newline),
                };
                self.appender.insert(opened.map_err(write)?)
            }
        };
        appender
            .append(std::iter::once(first).chain(lines))
            .map_err(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::rest::RestConfig;

    fn job(out: &Path) -> Job {
        Job {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: Interval::M15,
            start_ms: 1_704_067_200_000,
            end_ms: Some(1_704_153_600_000),
            out: out.to_path_buf(),
            funding: true,
        }
    }

    /// Nothing listens here: a download that got as far as the network
    /// fails with a connection error.
    fn nowhere() -> Source {
        Source {
            rest: RestConfig::new("http://127.0.0.1:9"),
            clock: system_clock(),
            progress: ProgressTarget::Hidden,
        }
    }

    async fn run(job: &Job) -> Result<Report, DownloadError> {
        let mut notes = Vec::new();
        download(nowhere(), job, &mut notes, std::future::pending()).await
    }

    #[tokio::test]
    async fn an_end_before_the_start_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = job(&dir.path().join("x.csv"));
        j.end_ms = Some(j.start_ms);
        let err = run(&j).await.unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("must be after --start"), "{err}");
    }

    #[tokio::test]
    async fn an_output_folder_that_does_not_exist_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let err = run(&job(&dir.path().join("no/such/x.csv")))
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[tokio::test]
    async fn a_malformed_file_is_refused_before_any_request_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.csv");
        let text = "open_time_ms,open,high,low,close,volume\n0,1,1,1,1,1\nbroken\n";
        std::fs::write(&out, text).unwrap();
        let err = run(&job(&out)).await.unwrap_err();
        assert!(err.to_string().contains("x.csv:3:"), "{err}");
        assert_eq!(err.exit_code(), 2);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
    }

    #[tokio::test]
    async fn a_file_of_another_interval_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.csv");
        std::fs::write(
            &out,
            "open_time_ms,open,high,low,close,volume\n0,1,1,1,1,1\n60000,1,1,1,1,1\n",
        )
        .unwrap();
        let err = run(&job(&out)).await.unwrap_err();
        assert!(err.to_string().contains("holds 1m bars, not 15m"), "{err}");
    }

    #[tokio::test]
    async fn a_malformed_funding_file_is_refused_too() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.csv");
        std::fs::write(dir.path().join("x-funding.csv"), "time,rate\n").unwrap();
        let err = run(&job(&out)).await.unwrap_err();
        assert!(err.to_string().contains("x-funding.csv:1:"), "{err}");
    }

    #[tokio::test]
    async fn no_connection_is_an_error_that_names_the_url_and_creates_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.csv");
        let err = run(&job(&out)).await.unwrap_err();
        assert!(err.to_string().contains("http://127.0.0.1:9"), "{err}");
        assert_eq!(err.exit_code(), 1);
        assert!(!out.exists());
    }

    #[tokio::test]
    async fn an_interrupt_before_the_first_answer_stops_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.csv");
        let mut notes = Vec::new();
        let err = download(nowhere(), &job(&out), &mut notes, std::future::ready(()))
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 130);
    }

    #[test]
    fn bars_off_the_grid_or_inconsistent_are_refused() {
        let bar = |open: i64, low: &str| Kline {
            open_time_ms: open,
            open: "2".parse().unwrap(),
            high: "3".parse().unwrap(),
            low: low.parse().unwrap(),
            close: "2".parse().unwrap(),
            volume: "1".parse().unwrap(),
            close_time_ms: open + 59_999,
        };
        assert!(check_bars(vec![bar(0, "1"), bar(60_000, "1")], 60_000).is_ok());
        let off = check_bars(vec![bar(30_000, "1")], 60_000).unwrap_err();
        assert!(off.to_string().contains("off the 60000 ms grid"), "{off}");
        let bad = check_bars(vec![bar(0, "2.5")], 60_000).unwrap_err();
        assert!(bad.to_string().contains("outside the bar's range"), "{bad}");
    }
}
