//! One model decision: the shipped classifier (models/gbm.onnx) through ONNX
//! Runtime on real feature rows, as `confirm` runs it for a proposal (the
//! issue's budget: ≤ 30 µs median), and one candle into the drift window.

use std::hint::black_box;
use std::path::Path;

use cockpit::ai::model::{ModelSettings, OnnxConfirmer};
use cockpit::ai::{Confirmer, runtime};
use cockpit::config::AiConfig;
use cockpit::domain::{Side, Symbol};
use cockpit::strategy::Proposal;
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;

fn model() -> OnnxConfirmer {
    let located = runtime::locate(None, None, None)
        .unwrap_or_else(|e| panic!("{e} (./scripts/fetch-onnxruntime.sh fetches it)"));
    let env = runtime::load(&located).unwrap_or_else(|e| panic!("{e}"));
    let settings = ModelSettings::from(&AiConfig::default());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/gbm.onnx");
    OnnxConfirmer::load(&env, &path, settings).unwrap_or_else(|e| panic!("{e}"))
}

/// The parity rows' market features (the proposal input dropped).
fn feature_rows() -> Vec<Vec<f64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/gbm.parity.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    v["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let row: Vec<f64> = row
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_f64())
                .collect();
            row[..row.len() - 1].to_vec()
        })
        .collect()
}

fn decision(c: &mut Criterion) {
    let mut model = model();
    let rows = feature_rows();
    let proposal = Proposal {
        symbol: Symbol::new("BTCUSDT").unwrap_or_else(|e| panic!("{e}")),
        side: Side::Buy,
        candle_open_ms: 0,
        entry: Decimal::from(100),
        stop: Decimal::from(97),
        take_profit: Decimal::from(106),
        atr: 2.0,
        strategy: "bench".into(),
        reasons: Vec::new(),
    };
    let mut i = 0usize;
    c.bench_function("model_confirm_one_proposal", |b| {
        b.iter(|| {
            i = (i + 1) % rows.len();
            black_box(model.confirm(black_box(&proposal), Some(&rows[i])))
        })
    });
    c.bench_function("drift_observe_one_candle", |b| {
        b.iter(|| {
            i = (i + 1) % rows.len();
            model.observe(Some(black_box(&rows[i])));
            black_box(model.drift_over())
        })
    });
}

criterion_group!(benches, decision);
criterion_main!(benches);
