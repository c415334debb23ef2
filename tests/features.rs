//! `cockpit features`: the batch export gives, bit for bit, the vectors the
//! engine builds live candle by candle; bad input is one message and exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cockpit::config::Config;
use cockpit::engine::{Engine, Event};
use cockpit::features::names;
use cockpit::market::csv;

fn cockpit(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cockpit"));
    c.env("COCKPIT_PATHS_DATA_DIR", dir)
        .env("COCKPIT_PATHS_LOG_DIR", dir)
        .stdin(Stdio::null());
    c
}

fn shared(name: &str) -> PathBuf {
    cockpit::shared_data::file(name).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `cockpit features` on a shared candle file; returns the CSV text.
fn export(dir: &Path, data: &Path, extra: &[&Path]) -> String {
    let out = dir.join("features.csv");
    let mut c = cockpit(dir);
    c.args(["features", "--data"])
        .arg(data)
        .arg("--out")
        .arg(&out);
    if let [flag, value] = extra {
        c.arg(flag).arg(value);
    }
    let run = c.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(&out).unwrap()
}

#[test]
fn the_export_equals_the_live_incremental_features_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let data = shared("klines/ETHUSDT-1h-umfutures.csv");
    let out = dir.path().join("features.csv");
    let run = cockpit(dir.path())
        .args(["features", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let first_feature = header.iter().position(|h| *h == "ret_1").unwrap();
    assert_eq!(&header[first_feature..], names(false).as_slice());

    // The live path: the engine fed one closed candle at a time.
    let file = csv::load(&data).unwrap();
    let symbol = csv::symbol_of_path(&data).unwrap();
    let mut config = Config::default();
    config.market.symbols = vec![symbol.clone()];
    config.market.interval = file.interval;
    let mut engine = Engine::new(&config, "replay", i64::MAX / 4).unwrap();
    // With no model in the loop the engine builds no features unless asked.
    engine.set_building_features(true);
    let step = file.interval.duration_ms();

    let (mut rows, mut warm) = (0, 0);
    for (candle, line) in file.candles.iter().zip(lines) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], candle.open_time_ms.to_string());
        engine.process(
            candle.open_time_ms + step,
            Event::Candle {
                symbol: symbol.clone(),
                candle: candle.clone(),
            },
        );
        let exported: Option<Vec<f64>> = cells[first_feature..]
            .iter()
            .map(|c| c.parse::<f64>().ok())
            .collect();
        let live = engine.features(&symbol).map(<[f64]>::to_vec);
        assert_eq!(
            live.as_ref()
                .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()),
            exported
                .as_ref()
                .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()),
            "candle {}",
            candle.open_time_ms
        );
        rows += 1;
        warm += usize::from(live.is_some());
    }
    assert_eq!(rows, file.candles.len());
    assert!(warm > 50_000, "{warm} warm rows");
}

#[test]
fn each_proposal_of_the_strategy_is_in_the_export_with_its_levels() {
    let dir = tempfile::tempdir().unwrap();
    let text = export(dir.path(), &shared("klines/BTCUSDT-1h-umfutures.csv"), &[]);
    let mut signals = 0;
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        match c[6] {
            "0" => assert!(c[7..10].iter().all(|x| x.is_empty()), "{line}"),
            side @ ("1" | "-1") => {
                signals += 1;
                let [entry, stop, tp] = [c[7], c[8], c[9]].map(|x| x.parse::<f64>().unwrap());
                if side == "1" {
                    assert!(stop < entry && entry < tp, "{line}");
                } else {
                    assert!(tp < entry && entry < stop, "{line}");
                }
                // A proposal comes only from warm indicators, so its features are warm.
                assert!(!c[10].is_empty(), "{line}");
            }
            other => panic!("signal {other}"),
        }
    }
    // The count the vectorbt comparison reproduces independently.
    assert_eq!(signals, 7049);
}

#[test]
fn funding_adds_the_rate_settled_by_each_close() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.csv");
    let run = cockpit(dir.path())
        .args(["features", "--data"])
        .arg(shared("klines/BTCUSDT-1h-umfutures.csv"))
        .arg("--funding")
        .arg(shared("klines/BTCUSDT-fundingrate.csv"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",funding_rate"), "{header}");
    let rates: Vec<f64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.parse().ok())
        .collect();
    assert!(rates.len() > 50_000);
    assert!(
        rates.iter().any(|r| *r != rates[0]),
        "the rate changes over time"
    );
    assert!(
        rates.iter().all(|r| r.abs() < 0.01),
        "funding rates are small"
    );
}

#[test]
fn bad_input_is_one_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--data", "/nonexistent/BTCUSDT-1h.csv", "--out", "x.csv"],
            "/nonexistent/BTCUSDT-1h.csv",
        ),
        (&["--out", "x.parquet"], "Parquet is not written"),
        (
            &["--funding", "/nonexistent/f.csv", "--out", "x.csv"],
            "--funding",
        ),
    ];
    for (args, expected) in cases {
        let mut c = cockpit(dir.path());
        c.current_dir(dir.path()).arg("features");
        if !args.contains(&"--data") {
            c.arg("--data")
                .arg(shared("klines/BTCUSDT-1h-umfutures.csv"));
        }
        let run = c.args(args).output().unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
