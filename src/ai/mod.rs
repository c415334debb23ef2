//! The confirmation step between strategy and risk: "algo proposes, AI confirms".
//! This module ships the algo-only confirmer; the model plugs in behind the
//! same trait.

pub mod runtime;

use serde::{Deserialize, Serialize};

use crate::indicators::IndicatorValues;
use crate::strategy::Proposal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Confirmed,
    Vetoed,
    /// The model could not judge (not warm, missing, drift): config decides.
    Abstained,
    /// No model in the loop: the proposal passes on the algorithm alone.
    Off,
}

impl Verdict {
    /// Whether the proposal goes on to risk.
    pub fn passes(self) -> bool {
        matches!(self, Verdict::Confirmed | Verdict::Off)
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
    fn confirm(&mut self, proposal: &Proposal, values: &IndicatorValues) -> Confirmation;
}

/// No model: every proposal passes, marked "AI: off".
#[derive(Debug, Clone, Copy, Default)]
pub struct AlgoOnly;

impl Confirmer for AlgoOnly {
    fn label(&self) -> String {
        "AI: off".to_string()
    }

    fn confirm(&mut self, _proposal: &Proposal, _values: &IndicatorValues) -> Confirmation {
        Confirmation {
            verdict: Verdict::Off,
            confidence: None,
            reason: "AI: off".to_string(),
        }
    }
}
