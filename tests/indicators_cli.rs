//! `cockpit indicators` end to end: the real binary on real files, compared
//! with TA-Lib's values column by column.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn real(name: &str) -> PathBuf {
    cockpit::shared_data::file(name).unwrap_or_else(|e| panic!("{e}"))
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cockpit"))
        .env("XDG_CONFIG_HOME", "/nonexistent-cockpit-test-config")
        .arg("indicators")
        .args(args)
        .output()
        .unwrap()
}

fn indicators(input: &Path, output: &Path) -> Output {
    run(&[
        "--input".as_ref(),
        input.as_os_str(),
        "--output".as_ref(),
        output.as_os_str(),
    ])
}

fn read_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn reproduces_talib_on_every_column_to_1e_9_relative() {
    let reference = real("reference/talib_BTCUSDT-15m-umfutures-2025.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ind.csv");
    let result = indicators(&reference, &out);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );

    let (want_header, want) = read_table(&reference);
    let (got_header, got) = read_table(&out);
    assert_eq!(got_header, want_header);
    assert_eq!(got.len(), want.len());
    let mut worst = vec![0.0_f64; want_header.len()];
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.len(), w.len(), "row {i}");
        for (c, (gv, wv)) in g.iter().zip(w).enumerate() {
            let col = &want_header[c];
            match (gv.is_empty(), wv.is_empty()) {
                (true, true) => continue,
                (false, false) => {}
                _ => panic!("row {i} column {col}: got `{gv}`, TA-Lib `{wv}` (warm-up differs)"),
            }
            let (a, b): (f64, f64) = (gv.parse().unwrap(), wv.parse().unwrap());
            let rel = (a - b).abs() / b.abs().max(1e-9);
            assert!(
                rel <= 1e-9,
                "row {i} column {col}: got {a}, TA-Lib {b}, relative error {rel:e}"
            );
            worst[c] = worst[c].max(rel.min(1.0));
        }
    }
    for (name, w) in want_header.iter().zip(&worst) {
        eprintln!("{name:>12}: worst relative error {w:e}");
    }
}

#[test]
fn runs_on_other_real_files_including_one_with_gaps() {
    let dir = tempfile::tempdir().unwrap();
    for (file, rows, gaps) in [
        ("klines/BTCUSDT-1h-umfutures.csv", 58_623, false),
        ("klines/BTCUSDT-15m-umfutures.csv", 121_894, true),
    ] {
        let out = dir.path().join("out.csv");
        let result = indicators(&real(file), &out);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(result.status.success(), "{file}: {stderr}");
        assert_eq!(stderr.contains("gap(s)"), gaps, "{file}: {stderr}");
        let (header, table) = read_table(&out);
        assert_eq!(header.len(), 21);
        assert_eq!(table.len(), rows, "{file}");
        // Past the longest warm-up every cell is a finite number.
        let last = table.last().unwrap();
        assert!(
            last.iter()
                .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)),
            "{file}: {last:?}"
        );
    }
}

#[test]
fn bad_input_is_one_line_with_location_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "open_time_ms,open,high,low,close,volume\n0,1,1,1,1,1\n60000,1,x,1,1,1\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    for (input, needle) in [
        (bad.clone(), format!("{}:3: high `x`", bad.display())),
        (dir.path().join("missing.csv"), "cannot read".to_string()),
    ] {
        let result = indicators(&input, &out);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&needle), "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
}
