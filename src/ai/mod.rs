//! The confirmation step between strategy and risk: "algo proposes, AI
//! confirms". [`AlgoOnly`] passes everything; [`model::OnnxConfirmer`]
//! judges with an ONNX model; [`Unavailable`] stands in for a model that was
//! asked for and could not be used, abstaining with the reason.

pub mod drift;
pub mod manifest;
pub mod model;
pub mod outcome;
pub mod runtime;
pub mod setup;

use serde::{Deserialize, Serialize};

use crate::config::Abstain;
use crate::strategy::Proposal;

use drift::DriftView;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Confirmed,
    Vetoed,
    /// The model could not judge (not warm, missing, drift) and abstaining
    /// blocks (`ai.abstain = "block"`).
    Abstained,
    /// The model could not judge and abstaining passes on the algorithm
    /// alone (`ai.abstain = "pass"`).
    #[serde(rename = "abstained_pass")]
    AbstainedPass,
    /// No model in the loop: the proposal passes on the algorithm alone.
    Off,
}

impl Verdict {
    /// Whether the proposal goes on to risk.
    pub fn passes(self) -> bool {
        matches!(
            self,
            Verdict::Confirmed | Verdict::Off | Verdict::AbstainedPass
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    pub verdict: Verdict,
    /// The model's probability for the proposed side, when a model judged.
    pub confidence: Option<f64>,
    pub reason: String,
}

pub trait Confirmer: Send {
    /// For the header and the Confluence panel, e.g. "AI: off".
    fn label(&self) -> String;
    /// Why the model is not judging, when it cannot (for the Drift panel).
    fn detail(&self) -> Option<String> {
        None
    }
    /// Every closed candle's market features (None while warming up),
    /// before any proposal on that candle: the drift window.
    fn observe(&mut self, _features: Option<&[f64]>) {}
    /// Judges a proposal on the features of the candle it was made on.
    fn confirm(&mut self, proposal: &Proposal, features: Option<&[f64]>) -> Confirmation;
    /// The drift gauge, when a model is in the loop.
    fn drift(&self) -> Option<DriftView> {
        None
    }
    /// Whether drift is over its limit now (checked every candle: cheap).
    fn drift_over(&self) -> bool {
        false
    }
    /// Whether `observe` and `confirm` look at the features at all; when
    /// not, the engine does not build them (a backtest's hot path).
    fn reads_features(&self) -> bool {
        true
    }
}

/// No model: every proposal passes, marked "AI: off".
#[derive(Debug, Clone, Copy, Default)]
pub struct AlgoOnly;

impl Confirmer for AlgoOnly {
    fn label(&self) -> String {
        "AI: off".to_string()
    }

    fn reads_features(&self) -> bool {
        false
    }

    fn confirm(&mut self, _proposal: &Proposal, _features: Option<&[f64]>) -> Confirmation {
        Confirmation {
            verdict: Verdict::Off,
            confidence: None,
            reason: "AI: off".to_string(),
        }
    }
}

/// A model was asked for and cannot be used (runtime missing, model
/// missing or refused): every proposal is an abstention with the reason.
#[derive(Debug, Clone)]
pub struct Unavailable {
    pub reason: String,
    pub abstain: Abstain,
}

impl Confirmer for Unavailable {
    fn label(&self) -> String {
        "AI: unavailable".to_string()
    }

    fn detail(&self) -> Option<String> {
        Some(self.reason.clone())
    }

    fn confirm(&mut self, _proposal: &Proposal, _features: Option<&[f64]>) -> Confirmation {
        Confirmation {
            verdict: match self.abstain {
                Abstain::Pass => Verdict::AbstainedPass,
                Abstain::Block => Verdict::Abstained,
            },
            confidence: None,
            reason: self.reason.clone(),
        }
    }
}
