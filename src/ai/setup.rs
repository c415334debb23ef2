//! Picks the confirmer a run starts with: the configured model (or the one
//! named by `--model`) loaded through ONNX Runtime, algo-only when no model
//! is asked for, and [`Unavailable`] with the reason when one was asked for
//! and cannot be used.

use std::path::{Path, PathBuf};

use crate::config::Config;

use super::model::{ModelSettings, OnnxConfirmer};
use super::runtime;
use super::{AlgoOnly, Confirmer, Unavailable};

/// What the command line adds to the `[ai]` section.
#[derive(Debug, Clone, Default)]
pub struct AiFlags {
    /// `--model NAME|PATH` (overrides `ai.model`).
    pub model: Option<String>,
    /// `--onnxruntime PATH` (overrides `ai.onnxruntime`).
    pub onnxruntime: Option<PathBuf>,
}

/// The model file a model setting names: a path when it has a slash or
/// ends in `.onnx`, else `<models_dir>/<name>.onnx`. A relative models_dir is
/// looked up from the working directory, then from the project's checkout.
pub fn model_path(setting: &str, models_dir: &str) -> PathBuf {
    if setting.contains('/') || setting.ends_with(".onnx") {
        return PathBuf::from(setting);
    }
    let file = format!("{setting}.onnx");
    let dir = Path::new(models_dir);
    let here = dir.join(&file);
    if dir.is_absolute() || here.is_file() {
        return here;
    }
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(&file);
    if project.is_file() { project } else { here }
}

/// Loads the model `setting` names, checked against its manifest, the
/// runtime and the market interval. The error is one line for the operator.
pub fn load_model(
    config: &Config,
    setting: &str,
    onnxruntime_flag: Option<&Path>,
) -> Result<OnnxConfirmer, String> {
    let path = model_path(setting, &config.paths.models_dir);
    if !path.is_file() {
        return Err(format!(
            "AI unavailable: no model at {}; train one (training/README.md), fix ai.model, or set ai.model = \"\" for algo-only",
            path.display()
        ));
    }
    let config_lib = Some(Path::new(config.ai.onnxruntime.as_str()));
    let env_lib = std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from);
    let located = runtime::locate(onnxruntime_flag, config_lib, env_lib.as_deref())?;
    let env = runtime::load(&located)?;
    let model = OnnxConfirmer::load(&env, &path, ModelSettings::from(&config.ai))
        .map_err(|e| format!("AI unavailable: model refused: {e}"))?;
    let trained = model.manifest().interval.as_str();
    let market = config.market.interval.as_str();
    if trained != market {
        return Err(format!(
            "AI unavailable: model refused: {} was trained on {trained} candles and market.interval is {market}; set market.interval = \"{trained}\" or use a model trained on {market}",
            path.display()
        ));
    }
    Ok(model)
}

/// The confirmer for a run: never fails. A model that cannot be used is
/// logged once, and the run goes on with [`Unavailable`] (which abstains,
/// passing or blocking as `ai.abstain` says).
pub fn confirmer_for_run(config: &Config, flags: &AiFlags) -> Box<dyn Confirmer> {
    let setting = flags.model.as_deref().unwrap_or(config.ai.model.as_str());
    if setting.is_empty() {
        log::info!(target: "ai", "no model configured (ai.model = \"\"): algo-only");
        return Box::new(AlgoOnly);
    }
    match load_model(config, setting, flags.onnxruntime.as_deref()) {
        Ok(model) => {
            log::info!(
                target: "ai",
                "model {} loaded from {} ({}, {} inputs, confirm at p ≥ {:.2}, ONNX Runtime {})",
                model.manifest().name,
                model.path().display(),
                model.manifest().kind_name(),
                model.manifest().features.len(),
                model.threshold(),
                runtime::loaded_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            Box::new(model)
        }
        Err(reason) => {
            let then = match config.ai.abstain {
                crate::config::Abstain::Pass => "running algo-only",
                crate::config::Abstain::Block => "blocking every proposal (ai.abstain = \"block\")",
            };
            log::warn!(target: "ai", "{reason}; {then}");
            Box::new(Unavailable {
                reason,
                abstain: config.ai.abstain,
            })
        }
    }
}
