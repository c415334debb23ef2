//! The training pipeline end to end, small: `training/e2e.sh` exports
//! features with this cockpit binary from a slice of the real data, trains a
//! few boosting rounds, writes the ONNX model and its manifest; then the
//! cockpit loads what it wrote and scores Python's parity rows with the same
//! outputs. This proves the pipeline, not the model.

use std::path::Path;
use std::process::Command;

use cockpit::ai::model::{ModelSettings, OnnxConfirmer};
use cockpit::ai::runtime;
use cockpit::config::AiConfig;
use serde_json::Value;

#[test]
fn a_model_trained_from_the_cockpit_export_loads_in_the_cockpit_and_agrees_with_python() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let result = Command::new(root.join("training/e2e.sh"))
        .arg(out.path())
        .env("COCKPIT_BIN", env!("CARGO_BIN_EXE_cockpit"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("training/e2e.sh: {e} (it needs bash and python3.11)"));
    assert!(
        result.status.success(),
        "training/e2e.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );

    let located = runtime::locate(None, None, None).unwrap_or_else(|e| {
        panic!("{e} (the test script fetches it: ./scripts/fetch-onnxruntime.sh)")
    });
    let env = runtime::load(&located).unwrap_or_else(|e| panic!("{e}"));
    let settings = ModelSettings::from(&AiConfig::default());
    let mut model = OnnxConfirmer::load(&env, &out.path().join("gbm.onnx"), settings)
        .unwrap_or_else(|e| panic!("the cockpit refuses the model it was just given: {e}"));
    assert_eq!(model.manifest().training_data.len(), 2);

    let parity: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("gbm.parity.json")).unwrap())
            .unwrap();
    let rows = parity["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let mut worst = 0.0f64;
    for (row, expected) in rows.iter().zip(parity["outputs"].as_array().unwrap()) {
        let row: Vec<f32> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let got = model.infer(&row).unwrap();
        for (g, e) in got.iter().zip(expected.as_array().unwrap()) {
            worst = worst.max((f64::from(*g) - e.as_f64().unwrap()).abs());
        }
        let sum: f32 = got.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "probabilities sum to {sum}");
    }
    assert!(worst <= 1e-5, "largest difference {worst}");
}
