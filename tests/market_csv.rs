//! The candle CSV loader on real files and on the broken ones an operator will feed it.

use std::io::Write;
use std::path::PathBuf;

use cockpit::domain::Interval;
use cockpit::market::Continuity;
use cockpit::market::csv::{CsvError, CsvLayout, load};

fn real(name: &str) -> PathBuf {
    cockpit::shared_data::file(name).unwrap_or_else(|e| panic!("{e}"))
}

fn temp_csv(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

#[test]
fn real_1h_file_loads_without_gaps() {
    let file = load(&real("klines/BTCUSDT-1h-umfutures.csv")).unwrap();
    assert_eq!(file.candles.len(), 58_623);
    assert_eq!(file.interval, Interval::H1);
    assert_eq!(file.layout, CsvLayout::Shared);
    assert!(file.gaps.is_empty());
    assert!(file.skipped.is_empty());
}

#[test]
fn stitched_15m_file_reports_its_two_real_gaps() {
    let file = load(&real("klines/BTCUSDT-15m-umfutures.csv")).unwrap();
    assert_eq!(file.interval, Interval::M15);
    assert_eq!(file.candles.len(), 121_894);
    assert_eq!(file.gaps.len(), 2, "{:?}", file.gaps);
    // 2022-11-24 → 2023-01-01 and 2024-05-14 → 2024-10-01 are weeks long.
    assert!(
        file.gaps.iter().all(|g| g.missing > 1000),
        "{:?}",
        file.gaps
    );
}

const BINANCE_ROWS: &str = "\
1714521600000,60672.00,60780.50,60550.10,60701.20,1234.567,1714521659999,74912345.12,10234,600.1,36400000.5,0
1714521660000,60701.20,60710.00,60600.00,60650.00,234.5,1714521719999,14212345.12,2234,100.1,6400000.5,0
";

#[test]
fn binance_kline_csv_loads_with_and_without_header() {
    let header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n";
    for content in [BINANCE_ROWS.to_string(), format!("{header}{BINANCE_ROWS}")] {
        let f = temp_csv(&content);
        let file = load(f.path()).unwrap();
        assert_eq!(file.layout, CsvLayout::Binance);
        assert_eq!(file.interval, Interval::M1);
        assert_eq!(file.candles.len(), 2);
        assert_eq!(file.candles[0].high.to_string(), "60780.5");
        assert_eq!(file.candles[1].volume.to_string(), "234.5");
    }
}

#[test]
fn shared_layout_with_extra_columns_reads_the_first_six() {
    let file = load(&real("reference/talib_BTCUSDT-15m-umfutures-2025.csv")).unwrap();
    assert_eq!(file.layout, CsvLayout::Shared);
    assert_eq!(file.candles.len(), 26_244);
    assert_eq!(file.interval, Interval::M15);
    assert_eq!(file.candles[0].close.to_string(), "117285.6");
}

#[test]
fn microsecond_timestamps_are_read_as_milliseconds() {
    let f = temp_csv(
        "1735689600000000,1,2,0.5,1.5,10,1735689659999999,0,0,0,0,0\n1735689660000000,1,2,0.5,1.5,10,1735689719999999,0,0,0,0,0\n",
    );
    let file = load(f.path()).unwrap();
    assert_eq!(file.candles[0].open_time_ms, 1_735_689_600_000);
    assert_eq!(file.interval, Interval::M1);
}

#[test]
fn duplicates_and_backward_rows_are_skipped_and_reported() {
    let f = temp_csv(
        "open_time_ms,open,high,low,close,volume\n0,1,1,1,1,1\n60000,1,1,1,1,1\n60000,1,1,1,1,1\n0,1,1,1,1,1\n300000,1,1,1,1,1\n",
    );
    let file = load(f.path()).unwrap();
    assert_eq!(file.candles.len(), 3);
    assert_eq!(file.skipped.len(), 2);
    assert_eq!(file.skipped[0].line, 4);
    assert_eq!(file.skipped[0].kind, Continuity::Duplicate);
    assert_eq!(file.skipped[1].kind, Continuity::OutOfOrder);
    assert_eq!(file.gaps.len(), 1);
    assert_eq!(file.gaps[0].missing, 3);
    assert_eq!(file.missing_candles(), 3);
}

#[test]
fn malformed_rows_name_the_file_and_line() {
    let cases = [
        ("0,1,1,1,1,1\n60000,1,abc,1,1,1\n", 2, "high `abc`"),
        (
            "0,1,1,1,1,1\n60000,1,1,1,1\n",
            2,
            "5 columns, but the file has 6",
        ),
        ("0,1,1,1,1\n", 1, "5 columns; expected 6"),
        (
            "time,o,h,l,c,v\n0,1,1,1,1,1\n",
            1,
            "header `time,o,h,l,c,v` is not recognised",
        ),
        ("0,1,1,1,1,1\nxx,1,1,1,1,1\n", 2, "open time `xx`"),
        ("0,1,2,0.5,3,1\n", 1, "close 3 is outside"),
        ("0,1,1,1,1,-5\n", 1, "volume `-5`"),
    ];
    for (content, line, needle) in cases {
        let f = temp_csv(content);
        let err = load(f.path()).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, CsvError::Malformed { line: l, .. } if l == line),
            "{msg}"
        );
        assert!(msg.contains(&f.path().display().to_string()), "{msg}");
        assert!(msg.contains(&format!(":{line}: ")), "{msg}");
        assert!(msg.contains(needle), "{msg}");
    }
}

#[test]
fn a_step_that_is_no_binance_interval_is_refused() {
    let f = temp_csv("0,1,1,1,1,1\n420000,1,1,1,1,1\n");
    let err = load(f.path()).unwrap_err();
    assert!(matches!(
        err,
        CsvError::UnknownInterval {
            step_ms: 420_000,
            ..
        }
    ));
    assert!(err.to_string().contains("not a Binance kline interval"));
}

#[test]
fn empty_and_missing_files_are_clear_errors() {
    let f = temp_csv("open_time_ms,open,high,low,close,volume\n");
    assert!(matches!(load(f.path()), Err(CsvError::Empty { .. })));
    let err = load(std::path::Path::new("/nonexistent/candles.csv")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/candles.csv")
    );
}
