//! `cockpit download` against the fake exchange on loopback: the real binary
//! for the main case, resuming, the ban and Ctrl-C; the library's
//! `collect::download` (on the fake's virtual clock) for the rest. Every row
//! written is compared with the recorded CSV the fake replays.

mod fake_binance;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cockpit::binance::rest::RestConfig;
use cockpit::collect::{self, Job, ProgressTarget, Report, Source};
use cockpit::domain::{Interval, Symbol};
use fake_binance::{FakeBinance, FakeConfig, Fault, Matcher};
use rust_decimal::Decimal;

const HEADER: &str = "open_time_ms,open,high,low,close,volume";
const KLINES: &str = "/fapi/v1/klines";

/// (open time, [open, high, low, close, volume]) — compared as numbers: the
/// fake writes Binance's fixed decimals (`95505.40`), the recording does not.
type Row = (i64, Vec<Decimal>);

fn parse_rows(text: &str, skip_header: bool) -> Vec<Row> {
    text.lines()
        .skip(usize::from(skip_header))
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let values = f[1..]
                .iter()
                .map(|v| {
                    Decimal::from_str_exact(v)
                        .or_else(|_| Decimal::from_scientific(v))
                        .unwrap_or_else(|_| panic!("`{v}` in `{line}`"))
                })
                .collect();
            (f[0].parse().unwrap(), values)
        })
        .collect()
}

/// The 1m bars the fake replays.
fn recorded() -> Vec<Row> {
    let path = cockpit::shared_data::file("klines/BTCUSDT-1m-umfutures.csv").unwrap();
    parse_rows(&std::fs::read_to_string(path).unwrap(), true)
}

fn recorded_funding() -> Vec<Row> {
    let path = cockpit::shared_data::file("klines/BTCUSDT-fundingrate.csv").unwrap();
    parse_rows(&std::fs::read_to_string(path).unwrap(), true)
        .into_iter()
        // The fake (like Binance) writes rates with 8 decimals.
        .map(|(t, v)| (t, v.into_iter().map(|r| r.round_dp(8)).collect()))
        .collect()
}

/// The rows of a file the collector wrote, after checking its header.
fn written(path: &Path, header: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.lines().next(), Some(header), "{}", path.display());
    assert!(text.ends_with('\n'), "the file ends on a complete row");
    parse_rows(&text, true)
}

/// A fake exchange whose clock stands at bar `at` of the recording.
async fn fake_at(at: usize) -> FakeBinance {
    let fake = FakeBinance::start(FakeConfig {
        start_index: at,
        ..FakeConfig::default()
    })
    .await;
    fake.pause_market(true);
    fake
}

fn kline_requests(fake: &FakeBinance) -> Vec<fake_binance::RequestLogEntry> {
    fake.requests_seen()
        .into_iter()
        .filter(|r| r.path == KLINES)
        .collect()
}

fn query_param(query: &str, name: &str) -> Option<i64> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

/// The real binary, with the default configuration and the fake's URL.
fn cockpit(fake: &FakeBinance) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cockpit"));
    c.env("XDG_CONFIG_HOME", "/nonexistent-cockpit-test-config")
        .env("COCKPIT_BINANCE_REST_URL", fake.rest_url())
        .stdin(Stdio::null());
    c
}

fn download_args(out: &Path, start_ms: i64, end_ms: Option<i64>) -> Vec<String> {
    let mut args = vec![
        "download".to_string(),
        "--symbol".into(),
        "BTCUSDT".into(),
        "--interval".into(),
        "1m".into(),
        "--start".into(),
        start_ms.to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    if let Some(end) = end_ms {
        args.extend(["--end".to_string(), end.to_string()]);
    }
    args
}

/// Runs the binary off the runtime's threads (the fake serves on them).
async fn run_binary(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn explain(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// The library's download on the fake's virtual clock, no progress bar.
async fn download_in_process(fake: &FakeBinance, job: &Job) -> (Report, String) {
    let source = Source {
        rest: RestConfig::new(fake.rest_url()),
        clock: fake.clock(),
        progress: ProgressTarget::Hidden,
    };
    let mut notes = Vec::new();
    let report = collect::download(source, job, &mut notes, std::future::pending())
        .await
        .unwrap();
    (report, text(&notes))
}

fn job(out: &Path, start_ms: i64, end_ms: Option<i64>) -> Job {
    Job {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        interval: Interval::M1,
        start_ms,
        end_ms,
        out: out.to_path_buf(),
        funding: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_3100_bars_in_three_pages_exactly_as_recorded() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("btc-1m.csv");

    let mut c = cockpit(&fake);
    c.args(download_args(&out, rec[0].0, Some(rec[3100].0)));
    let output = run_binary(c).await;
    assert!(output.status.success(), "{}", explain(&output));

    assert_eq!(written(&out, HEADER), rec[..3100]);
    let requests = kline_requests(&fake);
    assert_eq!(requests.len(), 3, "{requests:?}");
    let starts: Vec<Option<i64>> = requests
        .iter()
        .map(|r| query_param(&r.query, "startTime"))
        .collect();
    assert_eq!(
        starts,
        vec![Some(rec[0].0), Some(rec[1500].0), Some(rec[3000].0)]
    );
    let limits: Vec<Option<i64>> = requests
        .iter()
        .map(|r| query_param(&r.query, "limit"))
        .collect();
    assert_eq!(limits, vec![Some(1500), Some(1500), Some(100)]);

    let stdout = text(&output.stdout);
    assert!(stdout.contains("wrote 3100 bars to"), "{stdout}");
    assert!(
        stdout.contains("(2025-05-04 15:33 → 2025-05-06 19:12 UTC)"),
        "{stdout}"
    );
    assert!(stdout.contains("gaps: none"), "{stdout}");
    assert!(stdout.contains("done: 3 requests in"), "{stdout}");

    // The loader (and so `cockpit run --feed replay:FILE`) reads it as is.
    let loaded = cockpit::market::csv::load(&out).unwrap();
    assert_eq!(loaded.candles.len(), 3100);
    assert_eq!(loaded.interval, Interval::M1);
    assert!(loaded.gaps.is_empty() && loaded.skipped.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_resumes_after_the_last_row_and_a_third_has_nothing_to_do() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("btc.csv");

    let mut first = cockpit(&fake);
    first.args(download_args(&out, rec[0].0, Some(rec[1000].0)));
    let output = run_binary(first).await;
    assert!(output.status.success(), "{}", explain(&output));
    assert_eq!(written(&out, HEADER), rec[..1000]);

    let mut second = cockpit(&fake);
    second.args(download_args(&out, rec[0].0, Some(rec[3100].0)));
    let output = run_binary(second).await;
    assert!(output.status.success(), "{}", explain(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("resuming") && stdout.contains("1000 bars already"),
        "{stdout}"
    );
    assert!(stdout.contains("wrote 2100 bars"), "{stdout}");
    assert_eq!(written(&out, HEADER), rec[..3100]);
    let requests = kline_requests(&fake);
    assert_eq!(
        query_param(&requests[1].query, "startTime"),
        Some(rec[1000].0),
        "the second run starts at the bar after the file's last"
    );

    let before = std::fs::read(&out).unwrap();
    let seen = fake.requests_seen().len();
    let mut third = cockpit(&fake);
    third.args(download_args(&out, rec[0].0, Some(rec[3100].0)));
    let output = run_binary(third).await;
    assert!(output.status.success(), "{}", explain(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("already holds every bar before"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(
        kline_requests(&fake).len(),
        requests.len(),
        "no klines asked for"
    );
    assert!(
        fake.requests_seen().len() <= seen + 1,
        "only the clock sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_file_is_appended_to_without_duplicates_or_rewriting() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("partial.csv");
    // The recording's own first 1234 lines, as a run cut short would leave them.
    let source = std::fs::read_to_string(
        cockpit::shared_data::file("klines/BTCUSDT-1m-umfutures.csv").unwrap(),
    )
    .unwrap();
    let head: String = source
        .lines()
        .take(1235)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&out, &head).unwrap();

    let mut c = cockpit(&fake);
    c.args(download_args(&out, rec[0].0, Some(rec[3100].0)));
    let output = run_binary(c).await;
    assert!(output.status.success(), "{}", explain(&output));

    let after = std::fs::read_to_string(&out).unwrap();
    assert!(
        after.starts_with(&head),
        "the rows already there are untouched"
    );
    assert_eq!(written(&out, HEADER), rec[..3100]);
    assert!(text(&output.stdout).contains("wrote 1866 bars"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_5xx_is_retried_and_nothing_is_lost() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    fake.faults()
        .next(Matcher::request("GET", KLINES), Fault::Status5xx(502), 2);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("retry.csv");

    let (report, _) = download_in_process(&fake, &job(&out, rec[0].0, Some(rec[3100].0))).await;
    assert!(report.stop.is_none(), "{:?}", report.stop);
    assert_eq!(written(&out, HEADER), rec[..3100]);
    let statuses: Vec<u16> = kline_requests(&fake).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![502, 502, 200, 200, 200]);
    assert_eq!(report.candles.requests, 3, "pages, retries not counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_stops_with_an_error_and_the_file_intact_and_a_later_run_resumes() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    let klines = Matcher::request("GET", KLINES);
    // The first page is answered normally, the second starts a ban.
    fake.faults().next(klines, Fault::Slow(Duration::ZERO), 1);
    fake.faults().next(klines, Fault::Ban { for_ms: 1500 }, 1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ban.csv");

    let mut c = cockpit(&fake);
    c.args(download_args(&out, rec[0].0, Some(rec[3100].0)));
    let output = run_binary(c).await;
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("HTTP 418"), "{stderr}");
    assert!(stderr.contains("wait until the ban is over"), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("wrote 1500 bars"), "{stdout}");
    assert!(stdout.contains("stopped after 2 requests"), "{stdout}");
    assert_eq!(written(&out, HEADER), rec[..1500]);
    assert_eq!(
        kline_requests(&fake).len(),
        2,
        "nothing is sent after the 418"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.faults().is_banned() {
        assert!(Instant::now() < deadline, "the ban never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut again = cockpit(&fake);
    again.args(download_args(&out, rec[0].0, Some(rec[3100].0)));
    let output = run_binary(again).await;
    assert!(output.status.success(), "{}", explain(&output));
    assert_eq!(written(&out, HEADER), rec[..3100]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_between_pages_with_130_and_a_valid_file() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    let klines = Matcher::request("GET", KLINES);
    fake.faults().next(klines, Fault::Slow(Duration::ZERO), 1);
    fake.faults()
        .next(klines, Fault::Slow(Duration::from_secs(8)), 1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("int.csv");

    let mut c = cockpit(&fake);
    c.args(download_args(&out, rec[0].0, Some(rec[3100].0)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while kline_requests(&fake).len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the second page was never asked for"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let began = Instant::now();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "it did not wait for the slow answer"
    );
    assert_eq!(output.status.code(), Some(130), "{}", explain(&output));
    assert!(text(&output.stderr).contains("interrupted"));
    assert!(text(&output.stdout).contains("wrote 1500 bars"));
    assert_eq!(written(&out, HEADER), rec[..1500]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_in_the_past_stops_there() {
    let rec = recorded();
    // A running market, far past the end asked for.
    let fake = FakeBinance::start(FakeConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("end.csv");
    let (report, notes) = download_in_process(&fake, &job(&out, rec[0].0, Some(rec[500].0))).await;
    assert!(report.stop.is_none());
    assert_eq!(written(&out, HEADER), rec[..500]);
    assert_eq!(report.candles.requests, 1);
    assert_eq!(report.candles.written, 500);
    assert!(notes.contains("about 500 bars"), "{notes}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_end_every_closed_bar_is_written_and_the_forming_one_is_not() {
    let rec = recorded();
    let fake = fake_at(2000).await;
    let now = fake.now_ms();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("now.csv");
    let (report, _) = download_in_process(&fake, &job(&out, rec[0].0, None)).await;
    assert!(report.stop.is_none());
    let closed = rec.iter().take_while(|(t, _)| t + 60_000 <= now).count();
    assert!(
        closed >= 2000,
        "the fake's clock stands at bar 2000's open or after"
    );
    assert_eq!(written(&out, HEADER), rec[..closed]);
    // One more page found only the forming bar.
    assert_eq!(report.candles.requests, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_in_the_answers_are_reported_not_filled() {
    let rec = recorded();
    let fake = fake_at(3200).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gap.csv");
    // The file ends 5 bars before where the download resumes: a hole at the
    // seam, as a file edited by hand could have.
    std::fs::write(
        &out,
        format!("{HEADER}\n{},1,1,1,1,1\n", rec[0].0 - 6 * 60_000),
    )
    .unwrap();
    let (report, _) = download_in_process(&fake, &job(&out, rec[0].0, Some(rec[10].0))).await;
    let lines = report.lines();
    assert!(
        lines.contains(&"gap: 2025-05-04 15:28 → 2025-05-04 15:32 UTC, 5 bars missing".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("gaps: 1, 5 bars missing")),
        "{lines:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funding_rates_are_paged_into_their_own_file_and_resumed() {
    let rec = recorded();
    let funding = recorded_funding();
    let fake = fake_at(3200).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("btc.csv");
    let funding_path = dir.path().join("btc-funding.csv");
    let start = collect::parse_time("2024-01-01").unwrap();
    let end = rec[100].0;
    let want: Vec<Row> = funding
        .iter()
        .filter(|(t, _)| (start..end).contains(t))
        .cloned()
        .collect();
    assert!(want.len() > 1000, "two pages at least: {}", want.len());
    // A partial funding file: its first 400 rows.
    let head: String = want[..400]
        .iter()
        .map(|(t, v)| format!("{t},{}\n", v[0]))
        .collect();
    std::fs::write(
        &funding_path,
        format!("funding_time_ms,funding_rate\n{head}"),
    )
    .unwrap();

    let mut c = cockpit(&fake);
    c.args(download_args(&out, start, Some(end)))
        .arg("--funding");
    let output = run_binary(c).await;
    assert!(output.status.success(), "{}", explain(&output));
    assert_eq!(written(&funding_path, "funding_time_ms,funding_rate"), want);
    assert_eq!(written(&out, HEADER), rec[..100]);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("resuming") && stdout.contains("400 funding rates already"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("wrote {} funding rates", want.len() - 400)),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Binance has no bars before 2025-05-04 15:33 UTC (asked from 2024-01-01 00:00 UTC)"
        ),
        "{stdout}"
    );
    let funding_requests = fake
        .requests_seen()
        .into_iter()
        .filter(|r| r.path == "/fapi/v1/fundingRate")
        .count();
    assert!(funding_requests >= 2, "{funding_requests}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_file_is_refused_with_exit_2_and_left_as_it_is() {
    let fake = fake_at(3200).await;
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("bad.csv");
    let text_before = format!("{HEADER}\n1746372780000,1,1,1,1,1\n1746372840000,1,1\n");
    std::fs::write(&out, &text_before).unwrap();
    let mut c = cockpit(&fake);
    c.args(download_args(&out, 1_746_372_780_000, None));
    let output = run_binary(c).await;
    assert_eq!(output.status.code(), Some(2), "{}", explain(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.csv:3:"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text_before);
    assert!(fake.requests_seen().is_empty(), "nothing asked of Binance");
}
