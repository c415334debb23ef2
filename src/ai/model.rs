//! The ONNX model behind [`Confirmer`]: the proposal's side (or the
//! position, for a policy) after the candle's features, one inference per
//! proposal, confirm at or above the threshold and veto below. It abstains
//! when the features are not warm, when drift is over its limit, or when an
//! inference fails, and the config says whether abstaining passes or blocks.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorRef, ValueType};

use crate::config::Abstain;
use crate::domain::Side;
use crate::strategy::Proposal;

use super::drift::{DriftMonitor, DriftView};
use super::manifest::{Manifest, ModelKind};
use super::{Confirmation, Confirmer, Verdict};

pub struct OnnxConfirmer {
    session: Session,
    manifest: Manifest,
    path: PathBuf,
    threshold: f64,
    abstain: Abstain,
    drift: DriftMonitor,
    /// The input row, reused between proposals.
    input: Vec<f32>,
}

/// How the model is used: threshold, abstention and drift settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelSettings {
    /// None: the manifest's own threshold.
    pub threshold: Option<f64>,
    pub abstain: Abstain,
    pub drift_limit: f64,
    pub drift_window: usize,
}

impl From<&crate::config::AiConfig> for ModelSettings {
    /// The `[ai]` section's settings; a threshold of 0 means the manifest's.
    fn from(ai: &crate::config::AiConfig) -> Self {
        ModelSettings {
            threshold: (ai.threshold > 0.0).then_some(ai.threshold),
            abstain: ai.abstain,
            drift_limit: ai.drift_limit,
            drift_window: ai.drift_window,
        }
    }
}

impl OnnxConfirmer {
    /// Loads `model` with the ONNX Runtime environment `env` and checks it
    /// against its manifest; the error says which check failed.
    pub fn load(
        env: &ort::environment::Environment,
        model: &Path,
        settings: ModelSettings,
    ) -> Result<OnnxConfirmer, String> {
        let manifest = Manifest::load(model)?;
        let session = Session::builder(env)
            .map_err(|e| e.to_string())?
            .with_intra_threads(1)
            .map_err(|e| e.to_string())?
            .commit_from_file(model)
            .map_err(|e| format!("ONNX Runtime cannot load {}: {e}", model.display()))?;
        check_session(&session, &manifest)
            .map_err(|e| format!("{} does not match its manifest: {e}", model.display()))?;
        let drift = DriftMonitor::new(
            manifest.drift_bins.clone(),
            settings.drift_window,
            settings.drift_limit,
        );
        Ok(OnnxConfirmer {
            session,
            threshold: settings.threshold.unwrap_or(manifest.threshold),
            abstain: settings.abstain,
            drift,
            input: Vec::with_capacity(manifest.features.len()),
            path: model.to_path_buf(),
            manifest,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The model's output for one input row (features then the proposal
    /// input), before any threshold: the whole output row.
    pub fn infer(&mut self, row: &[f32]) -> Result<Vec<f32>, String> {
        let shape = [1usize, row.len()];
        let tensor = TensorRef::from_array_view((shape, row)).map_err(|e| e.to_string())?;
        let outputs = self
            .session
            .run(ort::inputs![self.manifest.input.name.as_str() => tensor])
            .map_err(|e| e.to_string())?;
        let name = self.manifest.output.name.as_str();
        let value = outputs
            .get(name)
            .ok_or_else(|| format!("the model gave no `{name}` output"))?;
        let (_, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| e.to_string())?;
        Ok(data.to_vec())
    }

    fn abstain(&self, reason: String) -> Confirmation {
        Confirmation {
            verdict: match self.abstain {
                Abstain::Pass => Verdict::AbstainedPass,
                Abstain::Block => Verdict::Abstained,
            },
            confidence: None,
            reason,
        }
    }

    /// The input row: the market features, then the side (classifier) or
    /// the position, flat at a proposal (policy); standardised when the
    /// manifest says so.
    fn fill_input(&mut self, features: &[f64], side: Side) {
        let extra = match self.manifest.kind {
            ModelKind::Classifier => match side {
                Side::Buy => 1.0,
                Side::Sell => -1.0,
            },
            ModelKind::Policy => 0.0,
        };
        let norm = &self.manifest.normalisation;
        self.input.clear();
        for (i, x) in features.iter().copied().chain([extra]).enumerate() {
            let x = if norm.apply {
                (x - norm.mean[i]) / norm.std[i]
            } else {
                x
            };
            self.input.push(x as f32);
        }
    }
}

impl Confirmer for OnnxConfirmer {
    fn label(&self) -> String {
        format!("AI: {}", self.manifest.name)
    }

    fn observe(&mut self, features: Option<&[f64]>) {
        if let Some(f) = features {
            self.drift.observe(f);
        }
    }

    fn confirm(&mut self, proposal: &Proposal, features: Option<&[f64]>) -> Confirmation {
        let width = self.manifest.market_features().len();
        let Some(features) = features.filter(|f| f.len() == width) else {
            return self.abstain("features not warm yet".to_string());
        };
        if let Some(score) = self.drift.score().filter(|s| *s > self.drift.limit()) {
            return self.abstain(format!(
                "drift {score:.2} over its limit {}",
                self.drift.limit()
            ));
        }
        self.fill_input(features, proposal.side);
        let row = std::mem::take(&mut self.input);
        let result = self.infer(&row);
        self.input = row;
        let output = match result {
            Ok(output) => output,
            Err(e) => {
                log::error!(target: "ai", "{}: inference failed: {e}", self.manifest.name);
                return self.abstain(format!("inference failed: {e}"));
            }
        };
        let index = self.manifest.output_index(proposal.side == Side::Buy);
        let Some(p) = output.get(index).map(|p| f64::from(*p)) else {
            return self.abstain(format!("the output has no value {index}"));
        };
        let what = match self.manifest.kind {
            ModelKind::Classifier => "p(take-profit first)",
            ModelKind::Policy => "p(action)",
        };
        let (verdict, cmp) = if p >= self.threshold {
            (Verdict::Confirmed, "≥")
        } else {
            (Verdict::Vetoed, "<")
        };
        Confirmation {
            verdict,
            confidence: Some(p),
            reason: format!("{what} {p:.2} {cmp} {:.2}", self.threshold),
        }
    }

    fn drift(&self) -> Option<DriftView> {
        Some(self.drift.view())
    }

    fn drift_over(&self) -> bool {
        self.drift.over()
    }
}

/// The session's real input and output against the manifest's.
fn check_session(session: &Session, manifest: &Manifest) -> Result<(), String> {
    for (which, outlets, spec) in [
        ("input", session.inputs(), &manifest.input),
        ("output", session.outputs(), &manifest.output),
    ] {
        let outlet = outlets
            .iter()
            .find(|o| o.name() == spec.name)
            .ok_or_else(|| {
                let names: Vec<&str> = outlets.iter().map(|o| o.name()).collect();
                format!("no {which} named `{}` (it has {names:?})", spec.name)
            })?;
        match outlet.dtype() {
            ValueType::Tensor { ty, shape, .. } => {
                if *ty != ort::value::TensorElementType::Float32 {
                    return Err(format!("{which} `{}` is {ty:?}, not float32", spec.name));
                }
                let dims: &[i64] = shape;
                let fits = dims.len() == spec.shape.len()
                    && dims
                        .iter()
                        .zip(&spec.shape)
                        .all(|(real, want)| *real == *want || *real < 0 || *want < 0);
                if !fits {
                    return Err(format!(
                        "{which} `{}` has shape {dims:?}, the manifest says {:?}",
                        spec.name, spec.shape
                    ));
                }
            }
            other => {
                return Err(format!(
                    "{which} `{}` is {other:?}, not a tensor (export without zipmap)",
                    spec.name
                ));
            }
        }
    }
    if session.inputs().len() != 1 {
        return Err(format!(
            "it takes {} inputs, the cockpit feeds one",
            session.inputs().len()
        ));
    }
    Ok(())
}
