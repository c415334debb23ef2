//! The shipped model through the real ONNX Runtime: it loads, its manifest
//! holds, Rust's outputs equal Python onnxruntime's on the parity rows, and
//! any mismatch between model, manifest and cockpit refuses it with the reason.

use std::path::{Path, PathBuf};

use cockpit::ai::manifest::Manifest;
use cockpit::ai::model::{ModelSettings, OnnxConfirmer};
use cockpit::ai::{Confirmer, Verdict, runtime};
use cockpit::config::{Abstain, Config};
use cockpit::domain::{Side, Symbol};
use cockpit::strategy::Proposal;
use rust_decimal::Decimal;
use serde_json::Value;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn environment() -> ort::environment::Environment {
    let located = runtime::locate(None, None, None).unwrap_or_else(|e| {
        panic!("{e} (the test script fetches it: ./scripts/fetch-onnxruntime.sh)")
    });
    runtime::load(&located).unwrap_or_else(|e| panic!("{e}"))
}

fn settings(threshold: Option<f64>, abstain: Abstain) -> ModelSettings {
    ModelSettings {
        threshold,
        abstain,
        drift_limit: 0.25,
        drift_window: 50,
    }
}

fn gbm(threshold: Option<f64>, abstain: Abstain) -> OnnxConfirmer {
    OnnxConfirmer::load(
        &environment(),
        &models().join("gbm.onnx"),
        settings(threshold, abstain),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The parity rows Python wrote at training: (input row, output row).
fn parity() -> Vec<(Vec<f32>, Vec<f32>)> {
    let text = std::fs::read_to_string(models().join("gbm.parity.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let floats = |row: &Value| -> Vec<f32> {
        row.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    let rows = v["rows"].as_array().unwrap();
    let outputs = v["outputs"].as_array().unwrap();
    assert!(rows.len() >= 32, "the fixture holds {} rows", rows.len());
    rows.iter()
        .zip(outputs)
        .map(|(r, o)| (floats(r), floats(o)))
        .collect()
}

fn proposal(side: Side) -> Proposal {
    Proposal {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side,
        candle_open_ms: 0,
        entry: Decimal::from(100),
        stop: Decimal::from(97),
        take_profit: Decimal::from(106),
        atr: 2.0,
        strategy: "test".into(),
        reasons: Vec::new(),
    }
}

#[test]
fn rust_and_python_onnxruntime_agree_on_the_parity_rows() {
    let mut model = gbm(None, Abstain::Pass);
    let mut worst = 0.0f32;
    for (row, expected) in parity() {
        let got = model.infer(&row).unwrap();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            worst = worst.max((g - e).abs());
        }
    }
    assert!(worst <= 1e-5, "largest difference {worst}");
}

#[test]
fn the_model_confirms_at_its_threshold_vetoes_below_and_abstains_when_not_warm() {
    let (row, expected) = parity().swap_remove(0);
    let features: Vec<f64> = row[..row.len() - 1].iter().map(|x| f64::from(*x)).collect();
    let side = if row[row.len() - 1] > 0.0 {
        Side::Buy
    } else {
        Side::Sell
    };
    let p = f64::from(expected[1]);
    let mut below = gbm(Some(p - 0.01), Abstain::Pass);
    let c = below.confirm(&proposal(side), Some(&features));
    assert_eq!(c.verdict, Verdict::Confirmed, "{}", c.reason);
    assert!((c.confidence.unwrap() - p).abs() < 1e-6);
    assert!(c.reason.contains("p(take-profit first)"), "{}", c.reason);

    let mut above = gbm(Some(p + 0.01), Abstain::Pass);
    let c = above.confirm(&proposal(side), Some(&features));
    assert_eq!(c.verdict, Verdict::Vetoed, "{}", c.reason);

    let c = above.confirm(&proposal(side), None);
    assert_eq!(c.verdict, Verdict::AbstainedPass);
    assert!(c.reason.contains("not warm"), "{}", c.reason);
    let mut blocking = gbm(None, Abstain::Block);
    assert_eq!(
        blocking.confirm(&proposal(side), None).verdict,
        Verdict::Abstained
    );
    // Without a threshold in the config, the manifest's is used.
    let manifest = Manifest::load(&models().join("gbm.onnx")).unwrap();
    assert_eq!(blocking.threshold(), manifest.threshold);
}

#[test]
fn drift_over_its_limit_makes_the_model_abstain() {
    let mut model = gbm(None, Abstain::Block);
    let (row, _) = parity().swap_remove(0);
    let features: Vec<f64> = row[..row.len() - 1].iter().map(|x| f64::from(*x)).collect();
    // The same candle fifty times: every feature in one bin.
    for _ in 0..49 {
        model.observe(Some(&features));
        assert!(!model.drift_over(), "no score before the window is full");
    }
    model.observe(Some(&features));
    assert!(model.drift_over());
    let drift = model.drift().unwrap();
    assert!(drift.score.unwrap() > 1.0, "{drift:?}");
    assert_eq!(drift.features.len(), 20);
    let c = model.confirm(&proposal(Side::Buy), Some(&features));
    assert_eq!(c.verdict, Verdict::Abstained);
    assert!(c.reason.starts_with("drift "), "{}", c.reason);
}

/// A change to a manifest.
type Edit = Box<dyn FnOnce(&mut Value)>;

/// Copies the shipped model and its manifest into `dir`, changing the
/// manifest with `edit`.
fn tampered(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let model = dir.join("gbm.onnx");
    std::fs::copy(models().join("gbm.onnx"), &model).unwrap();
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(models().join("gbm.json")).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(dir.join("gbm.json"), manifest.to_string()).unwrap();
    model
}

#[test]
fn a_model_that_does_not_match_its_manifest_or_the_cockpit_is_refused_with_the_reason() {
    let env = environment();
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "feature version",
            Box::new(|m| m["feature_version"] = 2.into()),
            "feature version 2",
        ),
        (
            "feature order",
            Box::new(|m| m["features"].as_array_mut().unwrap().swap(0, 1)),
            "are not this cockpit's",
        ),
        (
            "onnx hash",
            Box::new(|m| m["onnx"]["sha256"] = "0".repeat(64).into()),
            "changed or replaced after training",
        ),
        (
            "input name",
            Box::new(|m| m["input"]["name"] = "x".into()),
            "no input named `x`",
        ),
        (
            "input width",
            Box::new(|m| m["input"]["shape"] = serde_json::json!([-1, 20])),
            "expected [-1, 21]",
        ),
        (
            "output name",
            Box::new(|m| m["output"]["name"] = "label".into()),
            "no output named `label`",
        ),
        (
            "drift bins",
            Box::new(|m| {
                m["drift_bins"][3]["edges"]
                    .as_array_mut()
                    .unwrap()
                    .reverse()
            }),
            "strictly increasing",
        ),
        (
            "unknown key",
            Box::new(|m| m["extra"] = 1.into()),
            "unknown field `extra`",
        ),
        ("format", Box::new(|m| m["format"] = 9.into()), "format 9"),
    ];
    for (what, edit, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let model = tampered(dir.path(), edit);
        let err = match OnnxConfirmer::load(&env, &model, settings(None, Abstain::Pass)) {
            Ok(_) => panic!("{what}: the tampered model loaded"),
            Err(e) => e,
        };
        assert!(err.contains(expected), "{what}: {err}");
    }

    let dir = tempfile::tempdir().unwrap();
    let model = tampered(dir.path(), |_| {});
    std::fs::remove_file(dir.path().join("gbm.json")).unwrap();
    let err = OnnxConfirmer::load(&env, &model, settings(None, Abstain::Pass))
        .err()
        .unwrap();
    assert!(err.contains("no manifest at"), "{err}");
}

#[test]
fn a_model_for_another_interval_or_missing_is_refused_and_the_run_goes_on_without_it() {
    environment();
    let mut config = Config::default();
    config.paths.models_dir = models().display().to_string();
    config.market.interval = "15m".parse().unwrap();
    let err = cockpit::ai::setup::load_model(&config, "gbm", None)
        .err()
        .unwrap();
    assert!(
        err.contains("trained on 1h candles and market.interval is 15m"),
        "{err}"
    );

    let flags = cockpit::ai::setup::AiFlags {
        model: Some("no-such-model".into()),
        onnxruntime: None,
    };
    let confirmer = cockpit::ai::setup::confirmer_for_run(&config, &flags);
    assert_eq!(confirmer.label(), "AI: unavailable");
    assert!(
        confirmer.detail().unwrap().contains("no model at"),
        "{:?}",
        confirmer.detail()
    );

    config.market.interval = "1h".parse().unwrap();
    let confirmer = cockpit::ai::setup::confirmer_for_run(&config, &Default::default());
    assert_eq!(confirmer.label(), "AI: gbm");
    assert_eq!(confirmer.detail(), None);
}
