//! The manifest beside every model (`models/<name>.json` next to
//! `models/<name>.onnx`): what the model takes and gives, the features it was
//! trained on and their bins, what it was trained on and how it scored.
//! [`Manifest::load`] checks all of it against the `.onnx` file and this
//! build; the first mismatch refuses the model, with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::domain::Interval;
use crate::features::{self, FEATURE_VERSION};

/// The manifest layout this build reads.
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Probability that the proposed trade reaches its take-profit first.
    Classifier,
    /// An agent's action probabilities (hold, long, short, close).
    Policy,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnnxFile {
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    pub name: String,
    pub dtype: String,
    /// -1 for the batch axis.
    pub shape: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalisation {
    /// Whether the cockpit feeds (x − mean) / std rather than x.
    pub apply: bool,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// One feature's bins on the training data, for drift.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureBins {
    pub feature: String,
    /// Inner cut points, strictly increasing: bin = number of edges ≤ x.
    pub edges: Vec<f64>,
    /// Share of the training rows in each bin (edges + 1 of them).
    pub expected: Vec<f64>,
}

impl FeatureBins {
    pub fn bin(&self, x: f64) -> usize {
        self.edges.partition_point(|e| *e <= x)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub meaning: String,
    pub horizon_bars: u32,
    pub classes: Vec<String>,
    pub positive_class: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingFile {
    /// Relative to the shared data folder.
    pub file: String,
    pub sha256: String,
    pub rows: u64,
    pub first_open_time: String,
    pub last_open_time: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// Inclusive UTC dates, YYYY-MM-DD.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Splits {
    pub train: DateRange,
    pub validation: DateRange,
    pub test: DateRange,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub name: String,
    pub kind: ModelKind,
    pub created: String,
    pub onnx: OnnxFile,
    pub input: TensorSpec,
    pub output: TensorSpec,
    pub interval: String,
    pub feature_version: u32,
    /// The model's input columns in order: the exported features, then
    /// `side` (classifier) or `position` (policy).
    pub features: Vec<String>,
    pub normalisation: Normalisation,
    pub drift_bins: Vec<FeatureBins>,
    #[serde(default)]
    pub label: Option<Label>,
    #[serde(default)]
    pub actions: Option<Vec<String>>,
    /// The confirm threshold chosen on the validation data.
    pub threshold: f64,
    pub training_data: Vec<TrainingFile>,
    pub splits: Splits,
    /// Free-form per split; `validation` and `test` must be there.
    pub metrics: BTreeMap<String, serde_json::Value>,
}

/// The input that carries the proposal rather than the market.
pub const SIDE_INPUT: &str = "side";
/// The policy's input: the position held (−1, 0, +1).
pub const POSITION_INPUT: &str = "position";

impl Manifest {
    /// Reads `<model>.json` beside `model` and checks it against the model
    /// file and this build. The error says what does not match.
    pub fn load(model: &Path) -> Result<Manifest, String> {
        let path = manifest_path(model);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "no manifest at {} ({e}); a model needs the manifest its training wrote beside it",
                path.display()
            )
        })?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| format!("manifest {}: {e}", path.display()))?;
        manifest
            .check(model)
            .map_err(|e| format!("manifest {}: {e}", path.display()))?;
        Ok(manifest)
    }

    /// Every check that needs only the manifest and the model file.
    pub fn check(&self, model: &Path) -> Result<(), String> {
        if self.format != MANIFEST_FORMAT {
            return Err(format!(
                "format {} is not the format {MANIFEST_FORMAT} this cockpit reads",
                self.format
            ));
        }
        let file_name = model.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if self.onnx.file != file_name {
            return Err(format!("it describes {}, not {file_name}", self.onnx.file));
        }
        let bytes = std::fs::read(model)
            .map_err(|e| format!("cannot read the model {}: {e}", model.display()))?;
        let digest = sha256_hex(&bytes);
        if !digest.eq_ignore_ascii_case(&self.onnx.sha256) {
            return Err(format!(
                "{file_name} has sha256 {digest}, the manifest says {}: the model was changed or replaced after training",
                self.onnx.sha256
            ));
        }
        self.check_interval()?;
        self.check_features()?;
        self.check_tensors()?;
        self.check_normalisation()?;
        self.check_bins()?;
        self.check_meaning()?;
        self.check_provenance()
    }

    pub fn interval_parsed(&self) -> Result<Interval, String> {
        self.interval
            .parse()
            .map_err(|_| format!("interval `{}` is not a kline interval", self.interval))
    }

    fn check_interval(&self) -> Result<(), String> {
        self.interval_parsed().map(|_| ())
    }

    /// The exported features (without the proposal input).
    pub fn market_features(&self) -> &[String] {
        &self.features[..self.features.len().saturating_sub(1)]
    }

    fn check_features(&self) -> Result<(), String> {
        if self.feature_version != FEATURE_VERSION {
            return Err(format!(
                "trained on feature version {}, this cockpit computes version {FEATURE_VERSION}; retrain the model",
                self.feature_version
            ));
        }
        let extra = match self.kind {
            ModelKind::Classifier => SIDE_INPUT,
            ModelKind::Policy => POSITION_INPUT,
        };
        if self.features.last().map(String::as_str) != Some(extra) {
            return Err(format!(
                "a {} takes `{extra}` as its last input; the features end with {:?}",
                self.kind_name(),
                self.features.last()
            ));
        }
        let expected = features::names(false);
        if self.market_features().iter().any(|f| f == "funding_rate") {
            return Err(
                "trained with funding_rate, which the live cockpit does not compute; train without --funding"
                    .to_string(),
            );
        }
        if self.market_features() != expected.as_slice() {
            return Err(format!(
                "its features {:?} are not this cockpit's {:?}",
                self.market_features(),
                expected
            ));
        }
        Ok(())
    }

    fn check_tensors(&self) -> Result<(), String> {
        let width = self.features.len() as i64;
        let outputs = match self.kind {
            ModelKind::Classifier => self.label.as_ref().map_or(0, |l| l.classes.len()),
            ModelKind::Policy => self.actions.as_ref().map_or(0, Vec::len),
        } as i64;
        for (which, spec, want) in [
            ("input", &self.input, width),
            ("output", &self.output, outputs),
        ] {
            if spec.dtype != "float32" {
                return Err(format!(
                    "{which} `{}` is {}, the cockpit feeds and reads float32",
                    spec.name, spec.dtype
                ));
            }
            let batch_ok = matches!(spec.shape.first(), Some(-1 | 1));
            if spec.shape.len() != 2 || !batch_ok || spec.shape[1] != want {
                return Err(format!(
                    "{which} `{}` has shape {:?}, expected [-1, {want}]",
                    spec.name, spec.shape
                ));
            }
        }
        Ok(())
    }

    fn check_normalisation(&self) -> Result<(), String> {
        let n = &self.normalisation;
        let width = self.features.len();
        if n.mean.len() != width || n.std.len() != width {
            return Err(format!(
                "normalisation has {} means and {} standard deviations for {width} inputs",
                n.mean.len(),
                n.std.len()
            ));
        }
        let finite = n.mean.iter().chain(&n.std).all(|v| v.is_finite());
        if !finite || (n.apply && n.std.iter().any(|s| *s <= 0.0)) {
            return Err("normalisation holds a value that is not finite, or a std ≤ 0".to_string());
        }
        Ok(())
    }

    fn check_bins(&self) -> Result<(), String> {
        let features = self.market_features();
        if self.drift_bins.len() != features.len() {
            return Err(format!(
                "drift_bins has {} entries for {} features",
                self.drift_bins.len(),
                features.len()
            ));
        }
        for (bins, name) in self.drift_bins.iter().zip(features) {
            if &bins.feature != name {
                return Err(format!(
                    "drift_bins lists `{}` where the features have `{name}`",
                    bins.feature
                ));
            }
            let increasing = bins.edges.windows(2).all(|w| w[0] < w[1]);
            if !increasing || bins.edges.iter().any(|e| !e.is_finite()) {
                return Err(format!(
                    "drift_bins of `{name}`: edges must be finite and strictly increasing"
                ));
            }
            let sum: f64 = bins.expected.iter().sum();
            if bins.expected.len() != bins.edges.len() + 1
                || bins.expected.iter().any(|p| !(0.0..=1.0).contains(p))
                || (sum - 1.0).abs() > 1e-6
            {
                return Err(format!(
                    "drift_bins of `{name}`: expected needs one share per bin ({}), each in [0, 1], summing to 1 (sum {sum})",
                    bins.edges.len() + 1
                ));
            }
        }
        Ok(())
    }

    fn check_meaning(&self) -> Result<(), String> {
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(format!("threshold {} is not a probability", self.threshold));
        }
        match self.kind {
            ModelKind::Classifier => {
                let label = self
                    .label
                    .as_ref()
                    .ok_or("a classifier needs a `label` (its classes and their meaning)")?;
                if label.classes.len() != 2 || label.positive_class >= 2 {
                    return Err(format!(
                        "label: two classes and a positive class 0 or 1 expected, found {:?} and {}",
                        label.classes, label.positive_class
                    ));
                }
                if label.horizon_bars == 0 {
                    return Err("label: horizon_bars must be at least 1".to_string());
                }
            }
            ModelKind::Policy => {
                let actions = self
                    .actions
                    .as_ref()
                    .ok_or("a policy needs its `actions` (e.g. hold, long, short, close)")?;
                for needed in ["long", "short"] {
                    if !actions.iter().any(|a| a == needed) {
                        return Err(format!("actions {actions:?} lack `{needed}`"));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_provenance(&self) -> Result<(), String> {
        if self.training_data.is_empty() {
            return Err("training_data is empty: which data was it trained on?".to_string());
        }
        for f in &self.training_data {
            if !is_sha256(&f.sha256) {
                return Err(format!(
                    "training_data {}: sha256 `{}` is not 64 hex digits",
                    f.file, f.sha256
                ));
            }
            if f.first_open_time > f.last_open_time {
                return Err(format!(
                    "training_data {}: first_open_time after last_open_time",
                    f.file
                ));
            }
        }
        let s = &self.splits;
        let ordered = [&s.train, &s.validation, &s.test]
            .iter()
            .all(|r| is_date(&r.from) && is_date(&r.to) && r.from <= r.to)
            && s.train.to < s.validation.from
            && s.validation.to < s.test.from;
        if !ordered {
            return Err(
                "splits must be YYYY-MM-DD ranges in the order train, validation, test, without overlap"
                    .to_string(),
            );
        }
        for split in ["validation", "test"] {
            if !self.metrics.get(split).is_some_and(|m| m.is_object()) {
                return Err(format!("metrics lack the {split} split"));
            }
        }
        Ok(())
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ModelKind::Classifier => "classifier",
            ModelKind::Policy => "policy",
        }
    }

    /// Where in the output the probability of a proposed side is: the
    /// positive class, or the policy's long or short action.
    pub fn output_index(&self, long: bool) -> usize {
        match self.kind {
            ModelKind::Classifier => self.label.as_ref().map_or(1, |l| l.positive_class),
            ModelKind::Policy => {
                let want = if long { "long" } else { "short" };
                self.actions
                    .as_ref()
                    .and_then(|a| a.iter().position(|x| x == want))
                    .unwrap_or(0)
            }
        }
    }
}

/// `models/gbm.onnx` → `models/gbm.json`.
pub fn manifest_path(model: &Path) -> PathBuf {
    model.with_extension("json")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
