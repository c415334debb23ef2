//! models/REPORT.md holds what `cockpit backtest --model` gives out of
//! sample; this reruns every row of its table and compares the figures.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// One row of the out-of-sample table: its cells, trimmed.
fn rows() -> Vec<Vec<String>> {
    let report = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/REPORT.md");
    let text = std::fs::read_to_string(report).unwrap();
    let table = text
        .split("## Out of sample")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .expect("REPORT.md has an out-of-sample section");
    table
        .lines()
        .filter(|l| l.starts_with("| BTCUSDT") || l.starts_with("| ETHUSDT"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn backtest(dir: &Path, symbol: &str, model: &str, abstain: &str) -> Value {
    let data = cockpit::shared_data::dir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join(format!("{symbol}-{model}-{abstain}.json"));
    let mut c = Command::new(env!("CARGO_BIN_EXE_cockpit"));
    c.env("COCKPIT_PATHS_DATA_DIR", dir)
        .env("COCKPIT_PATHS_LOG_DIR", dir)
        .env(
            "COCKPIT_AI_ABSTAIN",
            if abstain == "block" { "block" } else { "pass" },
        )
        .stdin(Stdio::null())
        .args(["backtest", "--data"])
        .arg(data.join(format!("klines/{symbol}-1h-umfutures.csv")))
        .arg("--funding")
        .arg(data.join(format!("klines/{symbol}-fundingrate.csv")))
        .args(["--from", "2025-01-01", "--to", "2026-06-01", "--json"])
        .arg(&out);
    if model != "algo-only" {
        c.args(["--model", model]);
    }
    let result = c.output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn pct(v: &Value) -> String {
    format!("{:+.2} %", v.as_f64().unwrap() * 100.0)
}

#[test]
fn every_out_of_sample_figure_in_the_report_is_what_the_backtest_gives() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows();
    assert!(rows.len() >= 4, "{rows:?}");
    for row in rows {
        let (symbol, model, abstain) = (&row[0], &row[1], &row[2]);
        let r = backtest(dir.path(), symbol, model, abstain);
        let m = &r["metrics"];
        let two = |v: &Value| format!("{:.2}", v.as_f64().unwrap());
        let got = vec![
            m["trades"].to_string(),
            pct(&m["total_return"]),
            two(&m["profit_factor"]),
            two(&m["sharpe"]),
            format!("{:.2} %", m["max_drawdown"].as_f64().unwrap() * 100.0),
        ];
        assert_eq!(got, row[3..8].to_vec(), "{symbol} {model} {abstain}");
        let ai = &r["ai"];
        if model == "algo-only" {
            assert!(ai.is_null());
            continue;
        }
        let group = |g: &Value| {
            format!(
                "{} ({:.1} %, {:+.2} R)",
                g["proposals"],
                g["precision"].as_f64().unwrap() * 100.0,
                g["mean_r"].as_f64().unwrap()
            )
        };
        assert_eq!(
            vec![
                group(&ai["confirmed"]),
                group(&ai["vetoed"]),
                ai["abstained"].to_string()
            ],
            row[8..11].to_vec(),
            "{symbol} {model} {abstain}"
        );
    }
}
