//! The indicators against TA-Lib 0.8's own output on real BTCUSDT 15m bars
//! (`reference/talib_BTCUSDT-15m-umfutures-2025.csv`, 26,244 bars including
//! the 2025-10-10 crash), and the batch path against the live one.

use cockpit::domain::Bar;
use cockpit::indicators::export::{csv_header, write_csv_row};
use cockpit::indicators::{IndicatorParams, IndicatorSet, IndicatorValues, compute_batch};
use proptest::prelude::*;

const REFERENCE: &str = "reference/talib_BTCUSDT-15m-umfutures-2025.csv";
const TOLERANCE: f64 = 1e-9;

/// Indicator columns of the reference file, in file order after the OHLCV.
const COLUMNS: [&str; 15] = [
    "ema20",
    "ema50",
    "ema200",
    "rsi14",
    "adx14",
    "plus_di14",
    "minus_di14",
    "atr14",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "obv",
];

fn column(v: &IndicatorValues, i: usize) -> Option<f64> {
    [
        v.ema[0],
        v.ema[1],
        v.ema[2],
        v.rsi,
        v.adx,
        v.plus_di,
        v.minus_di,
        v.atr,
        v.macd,
        v.macd_signal,
        v.macd_hist,
        v.bb_upper,
        v.bb_middle,
        v.bb_lower,
        v.obv,
    ][i]
}

struct Reference {
    header: String,
    bars: Vec<Bar>,
    /// NaN where TA-Lib left the cell empty (warm-up).
    expected: Vec<[f64; 15]>,
}

fn num(cell: &str, line: usize) -> f64 {
    cell.parse()
        .unwrap_or_else(|e| panic!("line {line}: bad number {cell:?}: {e}"))
}

fn load_reference() -> Reference {
    let path = cockpit::shared_data::file(REFERENCE).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().expect("empty reference file").to_string();
    let mut bars = Vec::new();
    let mut expected = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 21, "line {}: {line}", i + 2);
        bars.push(Bar {
            open_time_ms: cells[0].parse().expect("open_time_ms"),
            open: num(cells[1], i + 2),
            high: num(cells[2], i + 2),
            low: num(cells[3], i + 2),
            close: num(cells[4], i + 2),
            volume: num(cells[5], i + 2),
        });
        let mut row = [f64::NAN; 15];
        for (slot, cell) in row.iter_mut().zip(&cells[6..]) {
            if !cell.is_empty() {
                *slot = num(cell, i + 2);
            }
        }
        expected.push(row);
    }
    Reference {
        header,
        bars,
        expected,
    }
}

fn relative_error(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-9)
}

#[test]
fn every_column_matches_talib_within_1e_9_relative() {
    let r = load_reference();
    assert_eq!(r.bars.len(), 26_244);
    let out = compute_batch(&IndicatorParams::default(), &r.bars);

    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (c, name) in COLUMNS.iter().enumerate() {
        let (mut worst, mut worst_at, mut exact, mut compared) = (0.0f64, 0, 0usize, 0usize);
        for (i, (v, want)) in out.iter().zip(&r.expected).enumerate() {
            let want = want[c];
            let got = column(v, c);
            match (got, want.is_nan()) {
                (None, true) => {}
                (Some(g), false) => {
                    compared += 1;
                    if g.to_bits() == want.to_bits() {
                        exact += 1;
                    }
                    let e = relative_error(g, want);
                    if e > worst {
                        (worst, worst_at) = (e, i);
                    }
                }
                (got, _) => failures.push(format!(
                    "{name} row {i}: got {got:?}, TA-Lib {}",
                    if want.is_nan() {
                        "empty".to_string()
                    } else {
                        want.to_string()
                    }
                )),
            }
        }
        assert!(compared > 26_000, "{name}: only {compared} values compared");
        if worst > TOLERANCE {
            failures.push(format!(
                "{name}: worst relative error {worst:e} at row {worst_at}"
            ));
        }
        report.push(format!(
            "{name:>12}: worst rel err {worst:.3e} (row {worst_at}), {exact}/{compared} bit-identical"
        ));
    }
    // Shown with --nocapture; the figures go into reviews.
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn warm_up_ends_exactly_where_talib_starts() {
    let r = load_reference();
    let out = compute_batch(&IndicatorParams::default(), &r.bars);
    // TA-Lib's lookbacks with the default periods.
    let first_valid = [19, 49, 199, 14, 27, 14, 14, 14, 33, 33, 33, 19, 19, 19, 0];
    for (c, name) in COLUMNS.iter().enumerate() {
        let ours = out.iter().position(|v| column(v, c).is_some());
        let talib = r.expected.iter().position(|row| !row[c].is_nan());
        assert_eq!(ours, talib, "{name}");
        assert_eq!(ours, Some(first_valid[c]), "{name}");
    }
}

#[test]
fn batch_equals_incremental_bit_for_bit_on_real_bars() {
    let r = load_reference();
    let params = IndicatorParams::default();
    let batch = compute_batch(&params, &r.bars);
    let mut set = IndicatorSet::new(&params);
    for (i, bar) in r.bars.iter().enumerate() {
        let live = *set.update(bar);
        assert_bit_identical(&batch[i], &live, i);
    }
    assert_eq!(set.bars_seen(), r.bars.len() as u64);
}

#[test]
fn logret_std_matches_a_two_pass_computation_on_real_bars() {
    let r = load_reference();
    let params = IndicatorParams::default();
    let w = params.logret_std_period;
    let out = compute_batch(&params, &r.bars);
    let returns: Vec<f64> = r
        .bars
        .windows(2)
        .map(|p| (p[1].close / p[0].close).ln())
        .collect();
    let mut worst = 0.0f64;
    for (i, v) in out.iter().enumerate() {
        if i < w {
            assert_eq!(v.logret_std, None, "row {i}");
            continue;
        }
        let window = &returns[i - w..i];
        let mean = window.iter().sum::<f64>() / w as f64;
        let var = window.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / w as f64;
        let got = v.logret_std.unwrap_or_else(|| panic!("row {i}: no value"));
        worst = worst.max(relative_error(got, var.sqrt()));
    }
    println!("logret_std: worst rel err {worst:.3e} against two-pass");
    assert!(worst <= TOLERANCE, "worst relative error {worst:e}");
}

#[test]
fn exported_csv_has_the_reference_layout_and_round_trips() {
    let r = load_reference();
    let params = IndicatorParams::default();
    assert_eq!(csv_header(&params), r.header);
    let out = compute_batch(&params, &r.bars[..300]);
    let mut text = Vec::new();
    for (bar, v) in r.bars.iter().zip(&out) {
        write_csv_row(&mut text, bar, v).unwrap();
    }
    let text = String::from_utf8(text).unwrap();
    for ((line, bar), v) in text.lines().zip(&r.bars).zip(&out) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 21);
        assert_eq!(cells[4].parse::<f64>().unwrap(), bar.close);
        for (c, cell) in cells[6..].iter().enumerate() {
            match column(v, c) {
                Some(x) => assert_eq!(cell.parse::<f64>().unwrap().to_bits(), x.to_bits()),
                None => assert!(cell.is_empty()),
            }
        }
    }
}

fn bits(v: &IndicatorValues) -> Vec<Option<u64>> {
    let mut all: Vec<Option<f64>> = (0..15).map(|c| column(v, c)).collect();
    all.push(v.logret_std);
    all.into_iter().map(|x| x.map(f64::to_bits)).collect()
}

fn assert_bit_identical(batch: &IndicatorValues, live: &IndicatorValues, i: usize) {
    assert_eq!(bits(batch), bits(live), "row {i}");
}

/// Random but valid candles: positive prices, high ≥ open/close ≥ low, and
/// runs of unchanged closes so the zero-division guards are exercised.
fn arb_bars() -> impl Strategy<Value = Vec<Bar>> {
    prop::collection::vec(
        (
            -0.05f64..0.05,
            0.0f64..0.03,
            0.0f64..0.03,
            0.0f64..1e4,
            0u8..4,
        ),
        0..400,
    )
    .prop_map(|steps| {
        let mut close = 100.0;
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (ret, up, down, volume, flat))| {
                let open = close;
                if flat != 0 {
                    close *= ret.exp();
                }
                Bar {
                    open_time_ms: i as i64 * 60_000,
                    open,
                    high: open.max(close) * (1.0 + up),
                    low: open.min(close) * (1.0 - down),
                    close,
                    volume,
                }
            })
            .collect()
    })
}

fn arb_params() -> impl Strategy<Value = IndicatorParams> {
    (
        prop::array::uniform3(2usize..60),
        (2usize..30, 1usize..30, 2usize..30),
        (2usize..20, 1usize..20, 1usize..15),
        (2usize..40, 0.5f64..4.0, 2usize..40),
    )
        .prop_map(
            |(ema_periods, (rsi, atr, adx), (fast, extra, signal), (bb, k, lr))| IndicatorParams {
                ema_periods,
                rsi_period: rsi,
                atr_period: atr,
                adx_period: adx,
                macd_fast: fast,
                macd_slow: fast + extra,
                macd_signal: signal,
                bb_period: bb,
                bb_stddev: k,
                logret_std_period: lr,
            },
        )
}

proptest! {
    // Integration tests have no lib.rs beside them to persist failures next to.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn batch_equals_incremental_on_random_bars(bars in arb_bars(), params in arb_params()) {
        prop_assert!(params.validate().is_empty());
        let batch = compute_batch(&params, &bars);
        prop_assert_eq!(batch.len(), bars.len());
        let mut set = IndicatorSet::new(&params);
        for (i, bar) in bars.iter().enumerate() {
            let live = *set.update(bar);
            prop_assert_eq!(bits(&batch[i]), bits(&live), "row {}", i);
        }
    }
}
