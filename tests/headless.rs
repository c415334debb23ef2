//! The real binary, headless: a seven-year replay whose every trade obeys the
//! risk rules, a SIGKILL in the middle of a replay, and the status file.

use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

mod common;
use common::{btc_1h, head_of_btc_1h};
use serde_json::Value;

fn cockpit(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cockpit"));
    c.env("COCKPIT_PATHS_DATA_DIR", dir)
        .env("COCKPIT_PATHS_LOG_DIR", dir)
        .env_remove("COCKPIT_ENGINE_MODE")
        // These runs check the engine's own trades: no model in the loop
        // unless a test asks for one.
        .env("COCKPIT_AI_MODEL", "")
        .stdin(Stdio::null());
    c
}

/// A paper replay at full speed, armed, of `file`.
fn armed_paper_replay(dir: &Path, file: &Path) -> Command {
    let mut c = cockpit(dir);
    c.args([
        "run",
        "--headless",
        "--speed",
        "max",
        "--mode",
        "paper",
        "--arm",
    ])
    .arg(format!("--feed=replay:{}", file.display()));
    c
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap_or_else(|e| panic!("{v}: {e}"))
}

#[test]
fn a_seven_year_replay_trades_and_every_trade_obeys_the_risk_rules() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("out.json");
    let out = armed_paper_replay(dir.path(), &btc_1h())
        .arg("--summary-json")
        .arg(&summary)
        .arg("--journal")
        .arg(dir.path().join("journal.sqlite"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let bars = s["bars"].as_u64().unwrap();
    assert!(bars > 58_000, "bars {bars}");
    let trades = s["trades"].as_array().unwrap();
    println!(
        "{} trades over {bars} bars; metrics {}",
        trades.len(),
        s["metrics"]
    );
    assert!(trades.len() > 100, "only {} trades", trades.len());

    let fraction = Decimal::from_str("0.01").unwrap();
    let step = Decimal::from_str("0.001").unwrap();
    for t in trades {
        let side = t["side"].as_str().unwrap();
        let entry = dec(&t["entry_price"]);
        let stop = dec(&t["stop_price"]);
        let tp = dec(&t["take_profit_price"]);
        let qty = dec(&t["qty"]);
        let equity = dec(&t["equity_before"]);
        // Stops on the losing side, take-profits on the winning side.
        match side {
            "buy" => assert!(stop < entry && tp > entry, "{t}"),
            "sell" => assert!(stop > entry && tp < entry, "{t}"),
            other => panic!("side {other}"),
        }
        // Risk at the stop within the fraction of total equity (one step of slack
        // for the price the market order actually got).
        let risk = qty * (entry - stop).abs();
        assert!(
            risk <= fraction * equity + step * (entry - stop).abs(),
            "risk {risk} above 1% of {equity}: {t}"
        );
        assert_eq!(qty % step, Decimal::ZERO, "qty {qty} not a step multiple");
        // Leverage and notional caps (3× equity, 50 000 USDT).
        assert!(
            qty * entry <= Decimal::from(3) * equity * Decimal::from_str("1.001").unwrap(),
            "{t}"
        );
        assert!(
            qty * entry <= Decimal::from(50_000) * Decimal::from_str("1.001").unwrap(),
            "{t}"
        );
        assert!(dec(&t["fees"]) > Decimal::ZERO, "fees always charged: {t}");
        assert!(t["exit_time_ms"].as_i64() >= t["entry_time_ms"].as_i64());
        let reason = t["exit_reason"].as_str().unwrap();
        assert!(
            [
                "stop",
                "take_profit",
                "breaker",
                "liquidation",
                "flatten",
                "exit"
            ]
            .contains(&reason),
            "{reason}"
        );
        assert_eq!(t["ai"], "off");
        assert!(!t["reasons"].as_array().unwrap().is_empty());
    }
    let m = &s["metrics"];
    assert_eq!(m["trades"].as_u64().unwrap() as usize, trades.len());
}

fn journal_count(path: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap_or(0)
}

fn engine_risk_state(path: &Path) -> Value {
    let conn = rusqlite::Connection::open(path).unwrap();
    let data: String = conn
        .query_row("SELECT data FROM state WHERE key = 'engine'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let record: Value = serde_json::from_str(&data).unwrap();
    let state: Value = serde_json::from_str(record["json"].as_str().unwrap()).unwrap();
    state["risk"].clone()
}

#[test]
fn a_replay_killed_with_sigkill_restarts_with_its_journal_and_risk_state() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let mut child = armed_paper_replay(dir.path(), &btc_1h())
        .arg("--journal")
        .arg(&journal)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while journal_count(&journal, "trades") < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no trades journaled in 2 minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the replay ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&journal).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let trades_before = journal_count(&journal, "trades");
    let risk_before = engine_risk_state(&journal);

    // Restart on a file the journal has already seen entirely: everything is
    // warm-up, nothing is traded twice, and the risk state is what was saved.
    let head = head_of_btc_1h(dir.path(), 400);
    let status = dir.path().join("status.json");
    let out = cockpit(dir.path())
        .args(["run", "--headless", "--speed", "max", "--mode", "paper"])
        .arg(format!("--feed=replay:{}", head.display()))
        .arg("--journal")
        .arg(&journal)
        .arg("--status-file")
        .arg(&status)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("restored from the journal"), "{stderr}");
    assert_eq!(
        journal_count(&journal, "trades"),
        trades_before,
        "nothing traded twice"
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&status).unwrap()).unwrap();
    assert_eq!(s["risk"], risk_before);
    assert_eq!(s["armed"], false, "a restart never arms by itself");
}

#[test]
fn the_demo_runs_headless_and_writes_its_status_every_second() {
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status.json");
    let summary = dir.path().join("summary.json");
    let out = cockpit(dir.path())
        .args([
            "run",
            "--headless",
            "--feed",
            "demo",
            "--duration",
            "3",
            "--mode",
            "shadow",
        ])
        .arg("--status-file")
        .arg(&status)
        .arg("--summary-json")
        .arg(&summary)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&status).unwrap()).unwrap();
    assert_eq!(s["mode"], "SHADOW");
    assert_eq!(s["feed"]["source"], "demo");
    assert_eq!(s["ai"], "AI: off");
    let sym = &s["symbols"][0];
    assert_eq!(sym["symbol"], "BTCUSDT");
    assert!(sym["last_candle"]["close"].as_f64().unwrap() > 0.0);
    assert!(sym["indicators"]["rsi"].as_f64().is_some());
    let summary: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert!(summary["trades"].is_array());
}

#[test]
fn the_status_file_carries_the_models_drift() {
    let dir = tempfile::tempdir().unwrap();
    let head = head_of_btc_1h(dir.path(), 1_200);
    let status = dir.path().join("status.json");
    let out = cockpit(dir.path())
        .args(["run", "--headless", "--speed", "max", "--mode", "shadow"])
        .arg(format!("--feed=replay:{}", head.display()))
        .env("COCKPIT_AI_MODEL", "gbm")
        .arg("--status-file")
        .arg(&status)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&status).unwrap()).unwrap();
    assert!(s["ai"].as_str().unwrap().contains("gbm"), "{}", s["ai"]);
    let drift = &s["drift"];
    assert_eq!(drift["window"], 720, "{drift}");
    assert_eq!(drift["filled"], 720, "{drift}");
    assert_eq!(drift["limit"].as_f64(), Some(0.5), "{drift}");
    let score = drift["score"].as_f64().unwrap();
    assert!(score > 0.0, "{drift}");
    assert_eq!(drift["over"], score > 0.5, "{drift}");
    let moved = drift["most_moved"].as_array().unwrap();
    assert_eq!(moved.len(), 3, "{drift}");
    let psis: Vec<f64> = moved.iter().map(|m| m["psi"].as_f64().unwrap()).collect();
    assert!(psis.windows(2).all(|w| w[0] >= w[1]), "{drift}");
}

#[test]
fn a_bad_replay_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = cockpit(dir.path())
        .args([
            "run",
            "--headless",
            "--feed",
            "replay:/nonexistent/BTCUSDT.csv",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/BTCUSDT.csv"), "{stderr}");
}

#[test]
fn a_paced_replay_keeps_the_historical_clock() {
    let dir = tempfile::tempdir().unwrap();
    let head = head_of_btc_1h(dir.path(), 200);
    let status = dir.path().join("status.json");
    let out = cockpit(dir.path())
        .args([
            "run",
            "--headless",
            "--speed",
            "2000000",
            "--mode",
            "paper",
            "--arm",
        ])
        .arg(format!("--feed=replay:{}", head.display()))
        .arg("--status-file")
        .arg(&status)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&status).unwrap()).unwrap();
    // 2019-09: the replay's own time, not today's.
    let day = s["risk"]["day_start_ms"].as_i64().unwrap();
    assert!(day < 1_600_000_000_000, "day_start_ms {day}");
    assert!(s["at_ms"].as_i64().unwrap() < 1_600_000_000_000);
    assert_eq!(s["bars"], 199, "200 lines: a header and 199 candles");
}

#[test]
fn the_journal_exports_what_a_replay_did() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let head = head_of_btc_1h(dir.path(), 3000);
    let summary = dir.path().join("summary.json");
    let out = armed_paper_replay(dir.path(), &head)
        .arg("--journal")
        .arg(&journal)
        .arg("--summary-json")
        .arg(&summary)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let trades = s["trades"].as_array().unwrap().len();
    assert!(trades > 0);

    let export = |table: &str, format: &str| {
        cockpit(dir.path())
            .args(["journal", "export", "--table", table, "--format", format])
            .arg("--journal")
            .arg(&journal)
            .output()
            .unwrap()
    };
    let out = export("trades", "jsonl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), trades);
    assert_eq!(lines[0]["entry_price"], s["trades"][0]["entry_price"]);

    let out = export("decisions", "csv");
    let csv = String::from_utf8(out.stdout).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("seq,at_ms,"), "{header}");
    assert!(
        header.contains("status") && header.contains("proposal"),
        "{header}"
    );
    assert!(
        csv.lines().count() > trades,
        "every decision, traded or not"
    );

    let out = export("nonsense", "csv");
    assert_eq!(out.status.code(), Some(2));
    let missing = cockpit(dir.path())
        .args(["journal", "export", "--table", "fills", "--journal"])
        .arg(dir.path().join("typo.sqlite"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("typo.sqlite"));
    assert!(
        !dir.path().join("typo.sqlite").exists(),
        "a typo creates nothing"
    );
}
