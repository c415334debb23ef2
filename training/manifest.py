"""The model manifest, format 1 (/work/notes/manifest-spec.md; the cockpit checks
every field before it loads the .onnx beside it)."""

import json
import math
from datetime import datetime, timezone

import numpy as np

from cockpit_data import FEATURE_VERSION, INTERVAL

FORMAT = 1
DRIFT_QUANTILES = np.linspace(0.1, 0.9, 9)  # deciles
LABEL_CLASSES = ["stop_or_timeout", "take_profit_first"]


def drift_bins(names: list[str], values: np.ndarray) -> list[dict]:
    """Decile edges of each feature over the train split's warm candles (every
    candle, not only proposals: the live drift monitor sees every candle), and the
    share of those candles per bin. Bin of x = searchsorted(edges, x, side="right")."""
    bins = []
    for j, name in enumerate(names):
        x = values[:, j]
        x = x[np.isfinite(x)]
        if len(x) == 0:
            raise ValueError(f"feature {name} has no finite train values for its drift bins")
        edges = np.unique(np.quantile(x, DRIFT_QUANTILES))  # sorted, duplicates gone
        counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
        bins.append({"feature": name,
                     "edges": [float(e) for e in edges],
                     "expected": [float(c) for c in counts / counts.sum()]})
    return bins


def normalisation(inputs: np.ndarray) -> dict:
    """Mean and population std of each model input over the train proposals. The GBM
    does not need it (apply=false); it is there for models that do and for reference.
    A constant input gets std 1 so that (x - mean) / std stays finite."""
    mean = inputs.mean(axis=0, dtype=np.float64)
    std = inputs.std(axis=0, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    return {"apply": False, "mean": [float(v) for v in mean], "std": [float(v) for v in std]}


def _manifest(*, kind, name, onnx_file, onnx_sha256, features, input_name, output_name,
              outputs, norm, bins, meaning, threshold, training_data, splits, metrics) -> dict:
    """The layout both kinds share; `meaning` ("label" or "actions") says what
    the output columns are."""
    return {
        "format": FORMAT,
        "name": name,
        "kind": kind,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "onnx": {"file": onnx_file, "sha256": onnx_sha256},
        "input": {"name": input_name, "dtype": "float32", "shape": [-1, len(features)]},
        "output": {"name": output_name, "dtype": "float32", "shape": [-1, outputs]},
        "interval": INTERVAL,
        "feature_version": FEATURE_VERSION,
        "features": list(features),
        "normalisation": norm,
        "drift_bins": bins,
        **meaning,
        "threshold": threshold,
        "training_data": training_data,
        "splits": splits,
        "metrics": metrics,
    }


def build_manifest(*, label_meaning, horizon, **common) -> dict:
    """A classifier's manifest (training/train_gbm.py): two output columns, the
    label they predict."""
    return _manifest(kind="classifier", outputs=2, meaning={"label": {
        "meaning": label_meaning, "horizon_bars": horizon,
        "classes": LABEL_CLASSES, "positive_class": 1}}, **common)


def to_json(manifest: dict) -> str:
    """JSON with every float in full precision; refuses NaN and infinities, which
    JSON cannot carry and the cockpit would reject."""
    def check(value, where):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"manifest value at {where} is {value}")
        if isinstance(value, dict):
            for k, v in value.items():
                check(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                check(v, f"{where}[{i}]")
    check(manifest, "$")
    return json.dumps(manifest, indent=2, allow_nan=False) + "\n"


def build_policy_manifest(*, actions, **common) -> dict:
    """A policy's manifest (kind "policy", training/train_agent.py): the classifier's
    layout with `actions` (the output columns' meaning) in place of `label`."""
    return _manifest(kind="policy", outputs=len(actions),
                     meaning={"actions": list(actions)}, **common)
