//! `cockpit backtest`: parity with a headless replay, no look-ahead, fills the
//! candles allow, fees and funding always charged, several symbols at once,
//! and bad input refused with a message.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use cockpit::backtest::{self, BacktestSpec, Candles, History, TimeRange};
use cockpit::config::Config;
use cockpit::domain::{Candle, Price, Side};
use rust_decimal::Decimal;
use serde_json::Value;

mod common;
use common::btc_1h;

fn cockpit(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cockpit"));
    c.env("COCKPIT_PATHS_DATA_DIR", dir)
        .env("COCKPIT_PATHS_LOG_DIR", dir)
        .env_remove("COCKPIT_ENGINE_MODE")
        // The parity runs compare the engine alone: no model in the replay.
        .env("COCKPIT_AI_MODEL", "")
        .stdin(Stdio::null());
    c
}

fn shared(name: &str) -> PathBuf {
    cockpit::shared_data::file(name).unwrap_or_else(|e| panic!("{e}"))
}

fn run_ok(c: &mut Command) -> std::process::Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal: {v}"))).unwrap()
}

/// The backtest in-process over `histories` with the default config.
fn backtest(histories: &[History]) -> backtest::BacktestResult {
    backtest::run(BacktestSpec::new(
        &Config::default(),
        Candles::Loaded(histories),
    ))
    .unwrap()
}

fn btc_history() -> History {
    backtest::load(&[btc_1h()], TimeRange::ALL)
        .unwrap()
        .remove(0)
}

#[test]
fn backtest_and_a_headless_replay_give_identical_trade_lists() {
    let dir = tempfile::tempdir().unwrap();
    let file = btc_1h();
    let bt = dir.path().join("bt.json");
    run_ok(
        cockpit(dir.path())
            .args(["backtest", "--data"])
            .arg(&file)
            .arg("--json")
            .arg(&bt),
    );
    let replay = dir.path().join("replay.json");
    run_ok(
        cockpit(dir.path())
            .args([
                "run",
                "--headless",
                "--speed",
                "max",
                "--mode",
                "paper",
                "--arm",
            ])
            .arg(format!("--feed=replay:{}", file.display()))
            .arg("--journal")
            .arg(dir.path().join("journal.sqlite"))
            .arg("--summary-json")
            .arg(&replay),
    );
    let (bt, replay) = (read_json(&bt), read_json(&replay));
    let trades = bt["trades"].as_array().unwrap();
    assert!(trades.len() > 100, "{} trades", trades.len());
    assert_eq!(
        bt["trades"], replay["trades"],
        "the same decisions, fills and exits"
    );
    assert_eq!(bt["bars"], replay["bars"]);
    // Both start from the same account and end on the same equity.
    assert_eq!(
        bt["metrics"]["final_equity"], replay["metrics"]["final_equity"],
        "{} vs {}",
        bt["metrics"], replay["metrics"]
    );
    let equity = bt["equity"].as_array().unwrap();
    assert!(
        equity.len() > 1000 && equity.len() <= 8192,
        "{}",
        equity.len()
    );
    for key in [
        "total_return",
        "cagr",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "max_drawdown_duration_ms",
        "calmar",
        "trades",
        "win_rate",
        "profit_factor",
        "avg_win",
        "avg_loss",
        "expectancy",
        "exposure",
        "fees",
        "funding",
        "longest_losing_streak",
        "breaker_trips",
        "cooldowns",
    ] {
        assert!(
            !bt["metrics"][key].is_null(),
            "metric {key} is missing: {}",
            bt["metrics"]
        );
    }
}

#[test]
fn perturbing_future_candles_leaves_every_earlier_decision_unchanged() {
    let original = btc_history();
    let cut = original.candles.len() / 2;
    let cut_ms = original.candles[cut].open_time_ms;
    // From the cut on, a different market: each candle's prices scaled by 0.7
    // and its range inverted around the open, so every later signal changes.
    let mut perturbed = original.clone();
    for c in &mut perturbed.candles[cut..] {
        let k = Decimal::from_str("0.7").unwrap();
        let scale = |p: Price| Price::new(p.value() * k).unwrap();
        let open = scale(c.open);
        let (high, low) = (scale(c.high), scale(c.low));
        let close = Price::new(open.value() * Decimal::TWO - scale(c.close).value())
            .unwrap()
            .clamp(low, high);
        *c = Candle::new(c.open_time_ms, open, high, low, close, c.volume, true).unwrap();
    }
    let a = backtest(std::slice::from_ref(&original));
    let b = backtest(std::slice::from_ref(&perturbed));
    // Every trade that ended before the cut is the same trade.
    let before = |r: &backtest::BacktestResult| {
        r.trades
            .iter()
            .filter(|t| t.exit_time_ms < cut_ms)
            .cloned()
            .collect::<Vec<_>>()
    };
    let (a_before, b_before) = (before(&a), before(&b));
    assert!(a_before.len() > 50, "{}", a_before.len());
    assert_eq!(a_before, b_before);
    // And the future did change: the test would notice a leak.
    assert_ne!(a.trades, b.trades);
    // The equity curve before the cut is the same curve.
    let curve_before = |r: &backtest::BacktestResult| {
        r.equity
            .iter()
            .filter(|p| p.0 < cut_ms)
            .copied()
            .collect::<Vec<_>>()
    };
    assert_eq!(curve_before(&a), curve_before(&b));
}

#[test]
fn fills_stay_inside_their_candles_and_fees_and_funding_are_always_charged() {
    let history = btc_history();
    let result = backtest(std::slice::from_ref(&history));
    assert!(result.trades.len() > 100);
    let step = history.interval.duration_ms();
    // Orders taken at a candle's open carry its open time; stops and
    // take-profits triggered inside a candle carry its close time.
    let opening_at = |ms: i64| -> &Candle {
        let i = history.candles.partition_point(|c| c.open_time_ms < ms);
        let c = &history.candles[i];
        assert_eq!(c.open_time_ms, ms, "no candle opens at {ms}");
        c
    };
    let closing_at = |ms: i64| -> &Candle {
        let i = history
            .candles
            .partition_point(|c| c.open_time_ms + step < ms);
        let c = &history.candles[i];
        assert_eq!(c.open_time_ms + step, ms, "no candle closes at {ms}");
        c
    };
    let tick = Decimal::from_str("0.1").unwrap();
    let slip = Config::default().paper.slippage;
    for t in &result.trades {
        // The entry is a market order taken at a candle's open, slippage against us.
        let entry_candle = opening_at(t.entry_time_ms);
        let open = entry_candle.open.value();
        let worst = match t.side {
            Side::Buy => open * (Decimal::ONE + slip) + tick,
            Side::Sell => open * (Decimal::ONE - slip) - tick,
        };
        match t.side {
            Side::Buy => assert!(
                t.entry_price.value() >= open && t.entry_price.value() <= worst,
                "{t:?}"
            ),
            Side::Sell => assert!(
                t.entry_price.value() <= open && t.entry_price.value() >= worst,
                "{t:?}"
            ),
        }
        // The exit: never better than the candle it happened in allowed.
        let exit = t.exit_price;
        let exit_candle = match t.exit_reason.as_str() {
            "stop" | "take_profit" | "liquidation" => closing_at(t.exit_time_ms),
            _ => opening_at(t.exit_time_ms),
        };
        match t.side {
            // Closing a long sells: never above the candle's high.
            Side::Buy => assert!(exit <= exit_candle.high, "{t:?} {exit_candle:?}"),
            Side::Sell => assert!(exit >= exit_candle.low, "{t:?} {exit_candle:?}"),
        }
        // A stop never fills better than its level.
        if t.exit_reason == "stop" {
            match t.side {
                Side::Buy => assert!(exit <= t.stop_price, "{t:?}"),
                Side::Sell => assert!(exit >= t.stop_price, "{t:?}"),
            }
        }
        // Fees on both legs, and the PnL is the price move net of every cost.
        assert!(t.fees > Decimal::ZERO, "{t:?}");
        let k = Decimal::from(t.side.sign());
        let gross = k * (t.exit_price.value() - t.entry_price.value()) * t.qty.value();
        assert_eq!(t.pnl, gross - t.fees - t.funding, "{t:?}");
    }
    // Positions held across 00/08/16 UTC paid or received funding.
    let with_funding = result
        .trades
        .iter()
        .filter(|t| !t.funding.is_zero())
        .count();
    assert!(with_funding > 100, "{with_funding} trades with funding");
    assert!(result.metrics.fees > Decimal::ZERO);
    assert!(!result.metrics.funding.is_zero());
}

#[test]
fn several_symbols_trade_side_by_side_within_the_position_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bt.json");
    run_ok(
        cockpit(dir.path())
            .args([
                "backtest",
                "--from",
                "2023-01-01",
                "--to",
                "2024-01-01",
                "--data",
            ])
            .arg(shared("klines/BTCUSDT-1h-umfutures.csv"))
            .arg("--data")
            .arg(shared("klines/ETHUSDT-1h-umfutures.csv"))
            .arg("--funding")
            .arg(shared("klines/BTCUSDT-fundingrate.csv"))
            .arg("--json")
            .arg(&out),
    );
    let v = read_json(&out);
    let trades = v["trades"].as_array().unwrap();
    let of = |s: &str| trades.iter().filter(|t| t["symbol"] == s).count();
    assert!(
        of("BTCUSDT") > 10 && of("ETHUSDT") > 10,
        "{} / {}",
        of("BTCUSDT"),
        of("ETHUSDT")
    );
    // 2023 in hours, both symbols' candles.
    assert_eq!(v["bars"].as_u64().unwrap(), 2 * 8760);
    let first = v["metrics"]["first_ms"].as_i64().unwrap();
    let last = v["metrics"]["last_ms"].as_i64().unwrap();
    assert_eq!(
        first,
        1_672_531_200_000 + 3_600_000,
        "the first close of 2023"
    );
    assert_eq!(last, 1_704_067_200_000, "the last close of 2023");
    // Never more than max_open_positions (2) at once, never two on one symbol.
    let mut events: Vec<(i64, i32, String)> = Vec::new();
    for t in trades {
        let sym = t["symbol"].as_str().unwrap().to_string();
        events.push((t["entry_time_ms"].as_i64().unwrap(), 1, sym.clone()));
        events.push((t["exit_time_ms"].as_i64().unwrap(), -1, sym));
    }
    // Exits before entries at the same instant.
    events.sort_by_key(|e| (e.0, e.1));
    let mut open: Vec<String> = Vec::new();
    for (_, d, sym) in events {
        if d > 0 {
            assert!(!open.contains(&sym), "two positions on {sym}");
            open.push(sym);
            assert!(open.len() <= 2);
        } else {
            open.retain(|s| *s != sym);
        }
    }
    assert!(dec(&v["metrics"]["fees"]) > Decimal::ZERO);
}

#[test]
fn the_summary_table_names_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        cockpit(dir.path())
            .args(["backtest", "--from", "2024-01-01", "--data"])
            .arg(btc_1h()),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "total return",
        "CAGR",
        "volatility",
        "Sharpe",
        "Sortino",
        "max drawdown",
        "longest drawdown",
        "Calmar",
        "trades",
        "win rate",
        "profit factor",
        "average win",
        "average loss",
        "expectancy",
        "exposure",
        "fees paid",
        "funding paid",
        "longest losing streak",
        "breaker trips",
        "cooldowns",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert!(text.contains("2024-01-01 01:00:00"), "{text}");
}

#[test]
fn bad_input_is_one_clear_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("BTCUSDT-1h-bad.csv");
    std::fs::write(&bad, "open_time_ms,open,high,low,close,volume\n1,2,3\n").unwrap();
    let nameless = dir.path().join("candles.csv");
    std::fs::copy(btc_1h(), &nameless).unwrap();
    // A row gone bad deep in the file: the streamed run finds it on the way
    // and writes nothing.
    let late = dir.path().join("BTCUSDT-1h-late.csv");
    let mut text: Vec<String> = std::fs::read_to_string(btc_1h())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    text[30_000] = text[30_000].replacen(',', ",oops", 2);
    std::fs::write(&late, text.join("\n") + "\n").unwrap();
    let late_json = dir.path().join("late.json");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--data".into(),
                late.display().to_string(),
                "--json".into(),
                late_json.display().to_string(),
            ],
            "BTCUSDT-1h-late.csv:30001",
        ),
        (
            vec!["--data".into(), bad.display().to_string()],
            "BTCUSDT-1h-bad.csv:2",
        ),
        (
            vec![
                "--data".into(),
                dir.path().join("BTCUSDT-1h-none.csv").display().to_string(),
            ],
            "cannot read",
        ),
        (
            vec![
                "--data".into(),
                btc_1h().display().to_string(),
                "--from".into(),
                "2030-01-01".into(),
            ],
            "no candles between",
        ),
        (
            vec![
                "--data".into(),
                btc_1h().display().to_string(),
                "--data".into(),
                shared("klines/BTCUSDT-15m-umfutures.csv")
                    .display()
                    .to_string(),
            ],
            "already given",
        ),
        (
            vec![
                "--data".into(),
                btc_1h().display().to_string(),
                "--data".into(),
                shared("klines/ETHUSDT-15m-umfutures.csv")
                    .display()
                    .to_string(),
            ],
            "same interval",
        ),
        (
            vec![
                "--data".into(),
                btc_1h().display().to_string(),
                "--strategy".into(),
                "nope".into(),
            ],
            "nope",
        ),
        (
            vec!["--data".into(), nameless.display().to_string()],
            "cannot tell the symbol",
        ),
    ];
    for (args, expected) in cases {
        let out = cockpit(dir.path())
            .arg("backtest")
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{err}"
        );
    }
    assert!(
        !late_json.exists(),
        "a run stopped by bad input wrote its JSON"
    );
}

#[test]
fn walk_forward_reports_each_rolling_window_traded_after_its_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wf.json");
    run_ok(
        cockpit(dir.path())
            .args(["backtest", "--walk-forward", "train=1y,test=1y", "--data"])
            .arg(btc_1h())
            .arg("--json")
            .arg(&out),
    );
    let v = read_json(&out);
    let windows = v["windows"].as_array().unwrap();
    // 2019-09 → 2026-05 holds five full year-after-a-year windows.
    assert_eq!(windows.len(), 5, "{v}");
    const YEAR: i64 = 365 * 86_400_000;
    for (k, w) in windows.iter().enumerate() {
        let from = w["from_ms"].as_i64().unwrap();
        let to = w["to_ms"].as_i64().unwrap();
        assert_eq!(to - from, YEAR);
        assert_eq!(from - w["warm_from_ms"].as_i64().unwrap(), YEAR);
        if k > 0 {
            assert_eq!(from - windows[k - 1]["from_ms"].as_i64().unwrap(), YEAR);
        }
        let m = &w["metrics"];
        // Traded only inside its window: the curve starts at its first close.
        assert_eq!(m["first_ms"].as_i64().unwrap(), from + 3_600_000, "{w}");
        assert!(m["last_ms"].as_i64().unwrap() <= to, "{w}");
        assert!(m["trades"].as_u64().unwrap() > 50, "{w}");
        assert!(w["bars"].as_u64().unwrap() >= 8700, "{w}");
        assert_eq!(w["stops"]["liquidations"], 0);
    }
    // The table says the same in words.
    let text = String::from_utf8_lossy(
        &run_ok(
            cockpit(dir.path())
                .args(["backtest", "--walk-forward", "train=1y,test=1y", "--data"])
                .arg(btc_1h()),
        )
        .stdout,
    )
    .to_string();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.contains("stops held"), "{text}");
}

#[test]
fn stress_runs_every_crash_window_and_says_which_the_data_misses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stress.json");
    run_ok(
        cockpit(dir.path())
            .args(["backtest", "--stress", "--from", "2022-01-01", "--data"])
            .arg(btc_1h())
            .arg("--json")
            .arg(&out),
    );
    let v = read_json(&out);
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 6);
    let names: Vec<&str> = windows
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    for day in [
        "2020-03-12",
        "2021-05-19",
        "2022-05-09",
        "2022-11-08",
        "2024-08-05",
        "2025-10-10",
    ] {
        assert!(names.iter().any(|n| n.contains(day)), "{day} in {names:?}");
    }
    // The data starts in 2022: the first two crashes are not in it, and say so.
    for w in &windows[..2] {
        assert_eq!(w["note"], "not covered by the data", "{w}");
        assert!(w["metrics"].is_null());
    }
    for w in &windows[2..] {
        assert!(w["note"].is_null(), "{w}");
        let m = &w["metrics"];
        assert!(m["max_drawdown"].as_f64().unwrap() < 0.2, "{w}");
        // A window of days is too short for annualised ratios: none shown.
        assert!(m["sharpe"].is_null(), "{w}");
        assert_eq!(w["stops"]["liquidations"], 0, "{w}");
        let from = w["from_ms"].as_i64().unwrap();
        assert_eq!(from % 86_400_000, 0, "windows start at midnight UTC");
        assert_eq!(from - w["warm_from_ms"].as_i64().unwrap(), 30 * 86_400_000);
    }
}

#[test]
fn a_backtest_with_the_shipped_model_trades_only_what_it_confirmed_and_scores_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gbm.json");
    run_ok(
        cockpit(dir.path())
            .args(["backtest", "--data"])
            .arg(btc_1h())
            .args([
                "--from",
                "2025-01-01",
                "--to",
                "2025-07-01",
                "--model",
                "gbm",
            ])
            .env("COCKPIT_AI_ABSTAIN", "block")
            .arg("--json")
            .arg(&out),
    );
    let result = read_json(&out);
    let ai = &result["ai"];
    assert_eq!(ai["model"], "gbm");
    let confirmed = ai["confirmed"]["proposals"].as_u64().unwrap();
    let vetoed = ai["vetoed"]["proposals"].as_u64().unwrap();
    assert!(confirmed > 0 && vetoed > 0, "{ai}");
    // Every proposal with 48 candles after it inside the run is scored.
    assert!(
        ai["vetoed"]["scored"].as_u64().unwrap() > vetoed * 9 / 10,
        "{ai}"
    );
    let trades = result["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    // Abstaining blocks here: only confirmed proposals trade.
    assert!(
        trades.iter().all(|t| t["ai"] == "confirmed"),
        "{:?}",
        trades.iter().map(|t| &t["ai"]).collect::<Vec<_>>()
    );
    assert!((trades.len() as u64) <= confirmed);

    let missing = cockpit(dir.path())
        .args(["backtest", "--data"])
        .arg(btc_1h())
        .args(["--model", "no-such-model"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("no model at") && err.contains("no-such-model.onnx"),
        "{err}"
    );
}

/// The stream alone gives the loader's candles and counts the same gaps:
/// on the 15m file with its two real gaps (3,580 and 13,378 candles), whole
/// and cut so that the range starts inside the first gap and ends inside the
/// second (which then is not in the range).
#[test]
fn a_streamed_file_gives_the_loaders_candles_and_gaps() {
    let file = shared("klines/BTCUSDT-15m-umfutures.csv");
    let day = |d: &str| cockpit::collect::parse_time(d).unwrap();
    for (range, gaps) in [
        (TimeRange::ALL, 3_580 + 13_378),
        (
            TimeRange {
                from_ms: Some(day("2022-12-01")),
                to_ms: Some(day("2024-06-01")),
            },
            3_580,
        ),
    ] {
        let loaded = backtest::load(std::slice::from_ref(&file), range).unwrap();
        let mut s = backtest::stream(std::slice::from_ref(&file), range)
            .unwrap()
            .remove(0);
        let mut candles = vec![s.first.clone()];
        while let Some(c) = s.next_in_range().unwrap() {
            candles.push(c);
        }
        assert!(candles == loaded[0].candles, "{range:?}");
        assert_eq!(loaded[0].missing, gaps, "{range:?}");
        assert_eq!(s.missing, gaps, "{range:?}");
        // The progress bar's total: the rows in the range (no duplicates here).
        assert_eq!(s.stream.rows(), candles.len() as u64, "{range:?}");
    }
}

/// `cockpit backtest` without a model or windows reads its files as it
/// goes; the result must be the loaded run's, over the whole file and over
/// a range cut out of it.
#[test]
fn a_streamed_run_decides_exactly_what_a_loaded_run_decides() {
    let day = |d: &str| cockpit::collect::parse_time(d).unwrap();
    let config = Config::default();
    for range in [
        TimeRange::ALL,
        TimeRange {
            from_ms: Some(day("2021-03-01")),
            to_ms: Some(day("2022-07-01")),
        },
    ] {
        let loaded = backtest::load(&[btc_1h()], range).unwrap();
        let spec = |candles| BacktestSpec::new(&config, candles);
        let a = backtest::run(spec(Candles::Loaded(&loaded))).unwrap();
        let streams = backtest::stream(&[btc_1h()], range).unwrap();
        let b = backtest::run(spec(Candles::Streamed(streams))).unwrap();
        assert_eq!(a.bars, loaded[0].candles.len() as u64);
        assert_eq!(b.bars, a.bars, "{range:?}");
        assert!(a.trades.len() > 100, "{range:?}: {} trades", a.trades.len());
        let json = |r: &backtest::BacktestResult| {
            let mut v = serde_json::to_value(r).unwrap();
            v["elapsed_ms"] = Value::Null;
            v
        };
        assert_eq!(json(&b), json(&a), "{range:?}");
    }
}
