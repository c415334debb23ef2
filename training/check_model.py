#!/usr/bin/env python3
"""Checks a trained model's files against manifest format 1 the way the cockpit
will: <name>.json's keys and values, the .onnx's sha256, names, types and shapes,
and that python onnxruntime reproduces <name>.parity.json. Takes the classifier
(kind "classifier", train_gbm.py) and the agent's policy (kind "policy",
train_agent.py); needs only training/.venv, not torch.
Usage: check_model.py MODELS_DIR/NAME.json"""

import json
import math
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np

from cockpit_data import (FEATURE_NAMES, FEATURE_VERSION, INTERVAL, PipelineError,
                          file_sha256, shared_data_dir)
from manifest import FORMAT, LABEL_CLASSES
from onnx_export import INPUT_NAME, OUTPUT_NAME, onnx_probabilities
from agent_onnx import onnx_action_probs

TOP_KEYS = {"format", "name", "kind", "created", "onnx", "input", "output", "interval",
            "feature_version", "features", "normalisation", "drift_bins", "label",
            "threshold", "training_data", "splits", "metrics"}
# A policy (training/train_agent.py) names its output columns in `actions` instead
# of a `label`, and adds its own backtest to each metrics block.
POLICY_TOP_KEYS = TOP_KEYS - {"label"} | {"actions"}
POLICY_ACTIONS = ["hold", "long", "short", "close"]
POLICY_OUTPUT = "action_probs"
AGENT_KEYS = {"return", "sharpe", "sortino", "max_drawdown", "trades", "long_exposure", "short_exposure",
              "mean_reward", "buy_and_hold_return", "bars", "settings", "symbols"}
METRIC_KEYS = {"n", "base_rate", "auc", "brier", "log_loss", "confirmed_share",
               "precision_confirmed", "precision_vetoed", "mean_r_confirmed", "mean_r_all",
               "calibration"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def require(ok, what):
    if not ok:
        raise PipelineError(what)


def finite_list(values, n, what):
    require(isinstance(values, list) and len(values) == n, f"{what}: expected {n} numbers")
    require(all(isinstance(v, (int, float)) and math.isfinite(v) for v in values), f"{what}: not all finite numbers")


def is_policy(m):
    return m.get("kind") == "policy"


def check_manifest(m, stem):
    policy = is_policy(m)
    top = POLICY_TOP_KEYS if policy else TOP_KEYS
    require(set(m) == top, f"manifest keys differ: missing {top - set(m)}, extra {set(m) - top}")
    require(m["format"] == FORMAT and m["name"] == stem and m["kind"] in ("classifier", "policy"),
            "format/name/kind")
    require(UTC_TIME.match(m["created"]), f"created {m['created']!r} is not YYYY-MM-DDTHH:MM:SSZ")
    require(m["onnx"]["file"] == f"{stem}.onnx" and SHA256.match(m["onnx"]["sha256"]), "onnx block")
    features = FEATURE_NAMES + ["position" if policy else "side"]
    k = len(features)
    output = ({"name": POLICY_OUTPUT, "dtype": "float32", "shape": [-1, len(POLICY_ACTIONS)]} if policy
              else {"name": OUTPUT_NAME, "dtype": "float32", "shape": [-1, 2]})
    require(m["features"] == features, f"features {m['features']} != {features}")
    require(m["input"] == {"name": INPUT_NAME, "dtype": "float32", "shape": [-1, k]}, f"input {m['input']}")
    require(m["output"] == output, f"output {m['output']}")
    require(m["interval"] == INTERVAL and m["feature_version"] == FEATURE_VERSION, "interval/feature_version")
    norm = m["normalisation"]
    require(set(norm) == {"apply", "mean", "std"} and isinstance(norm["apply"], bool), "normalisation keys")
    finite_list(norm["mean"], k, "normalisation.mean")
    finite_list(norm["std"], k, "normalisation.std")
    require(all(s > 0 for s in norm["std"]), "normalisation.std must be positive")
    require([b["feature"] for b in m["drift_bins"]] == FEATURE_NAMES, "drift_bins features/order")
    for b in m["drift_bins"]:
        require(set(b) == {"feature", "edges", "expected"}, f"drift_bins {b['feature']} keys")
        edges, expected = b["edges"], b["expected"]
        finite_list(edges, len(edges), f"drift_bins {b['feature']} edges")
        require(len(edges) >= 1 and all(a < c for a, c in zip(edges, edges[1:])),
                f"drift_bins {b['feature']}: edges not strictly increasing")
        finite_list(expected, len(edges) + 1, f"drift_bins {b['feature']} expected")
        require(min(expected) >= 0 and abs(sum(expected) - 1) <= 1e-6, f"drift_bins {b['feature']}: expected")
    if policy:
        require(m["actions"] == POLICY_ACTIONS, f"actions {m['actions']} != {POLICY_ACTIONS}")
    else:
        label = m["label"]
        require(set(label) == {"meaning", "horizon_bars", "classes", "positive_class"}, "label keys")
        require(isinstance(label["horizon_bars"], int) and label["horizon_bars"] >= 1, "label.horizon_bars")
        require(label["classes"] == LABEL_CLASSES and label["positive_class"] == 1, "label classes")
    require(isinstance(m["threshold"], float) and 0 < m["threshold"] < 1, "threshold in (0, 1)")
    require(len(m["training_data"]) >= 1, "training_data is empty")
    for t in m["training_data"]:
        require(set(t) == {"file", "sha256", "rows", "first_open_time", "last_open_time"}, "training_data keys")
        require(SHA256.match(t["sha256"]) and t["rows"] > 0, f"training_data {t['file']}")
        require(UTC_TIME.match(t["first_open_time"]) and UTC_TIME.match(t["last_open_time"]), "training_data times")
        source = shared_data_dir() / t["file"]
        require(source.is_file() and file_sha256(source) == t["sha256"], f"{source} missing or its sha256 differs")
    ranges = [m["splits"][s] for s in ("train", "validation", "test")]
    require(set(m["splits"]) == {"train", "validation", "test"}, "splits keys")
    days = [date.fromisoformat(d) for r in ranges for d in (r["from"], r["to"])]
    require(all(a < b for a, b in zip(days[1::2], days[2::2])) and all(a <= b for a, b in zip(days[::2], days[1::2])),
            "splits must be ordered and disjoint")
    windows = [m["metrics"][s] for s in ("train", "validation", "test")] + list(m["metrics"]["crash_windows"].values())
    require(set(m["metrics"]) == {"train", "validation", "test", "crash_windows"}, "metrics keys")
    keys = METRIC_KEYS | {"agent", "confirmed_share_by_side"} if policy else METRIC_KEYS
    for w in windows:
        require(set(w) == keys, f"metrics keys {set(w) ^ keys}")
        for key in METRIC_KEYS - {"calibration", "n"}:
            require(w[key] is None or math.isfinite(w[key]), f"metric {key} = {w[key]}")
        if policy:
            check_agent_block(w["agent"])
            by_side = w["confirmed_share_by_side"]
            require(set(by_side) == {"long", "short"} and all(v is None or 0 <= v <= 1 for v in by_side.values()),
                    f"confirmed_share_by_side {by_side}")


def check_agent_block(a):
    """A policy's own backtest in a metrics block (null where no candle was traded)."""
    if a is None:
        return
    require(set(a) == AGENT_KEYS, f"agent metrics keys {set(a) ^ AGENT_KEYS}")
    for key in AGENT_KEYS - {"settings", "symbols"}:
        require(a[key] is None or (isinstance(a[key], (int, float)) and math.isfinite(a[key])),
                f"agent metric {key} = {a[key]}")
    require(a["max_drawdown"] is not None and 0 <= a["max_drawdown"] <= 1, "agent max_drawdown in [0, 1]")
    require(isinstance(a["trades"], int) and a["trades"] >= 0 and isinstance(a["bars"], int) and a["bars"] > 0,
            "agent trades/bars")
    require(set(a["settings"]) == {"leverage", "fee", "slippage", "downside_penalty"}, "agent settings keys")
    require(len(a["symbols"]) >= 1, "agent symbols empty")


def check_onnx(m, model_path, parity_path):
    require(file_sha256(model_path) == m["onnx"]["sha256"], f"{model_path}: sha256 differs from the manifest")
    model = model_path.read_bytes()
    fixture = json.loads(parity_path.read_text())
    output_name, run = (POLICY_OUTPUT, onnx_action_probs) if is_policy(m) else (OUTPUT_NAME, onnx_probabilities)
    require(fixture["input"] == INPUT_NAME and fixture["output"] == output_name, "parity input/output names")
    rows = np.array(fixture["rows"], dtype=np.float64)
    require(rows.ndim == 2 and rows.shape[1] == len(m["features"]) and len(rows) > 0, "parity rows shape")
    require((rows.astype(np.float32).astype(np.float64) == rows).all(), "parity rows are not float32 values")
    if is_policy(m):
        require(np.isin(rows[:, -1], (-1, 0, 1)).all(), "parity rows: position must be -1, 0 or +1")
    got = run(model, rows.astype(np.float32))
    want = np.array(fixture["outputs"], dtype=np.float64)
    require(got.shape == want.shape, f"parity outputs shape {want.shape}, model gives {got.shape}")
    diff = float(np.abs(got - want).max())
    require(diff <= 1e-6, f"onnxruntime differs from the parity fixture by {diff}")
    require(np.allclose(got.sum(axis=1), 1, atol=1e-5), "probabilities do not sum to 1")
    return len(rows), diff


def main(argv):
    if len(argv) != 1 or not argv[0].endswith(".json"):
        raise PipelineError("usage: check_model.py MODELS_DIR/NAME.json")
    manifest_path = Path(argv[0])
    require(manifest_path.is_file(),
            f"{manifest_path} not found: train a model first (training/train_gbm.py or train_agent.py)")
    stem = manifest_path.name[:-len(".json")]
    m = json.loads(manifest_path.read_text())
    check_manifest(m, stem)
    n, diff = check_onnx(m, manifest_path.with_name(f"{stem}.onnx"), manifest_path.with_name(f"{stem}.parity.json"))
    print(f"ok: {manifest_path} (format {m['format']}, {len(m['features'])} inputs, threshold {m['threshold']}); "
          f"parity {n} rows, max diff {diff:.3g}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (PipelineError, KeyError, TypeError, ValueError) as e:
        print(f"error: {type(e).__name__ + ': ' if not isinstance(e, PipelineError) else ''}{e}", file=sys.stderr)
        sys.exit(1)
