#!/usr/bin/env python3
"""Trains the LightGBM classifier that confirms or vetoes the strategy's proposals,
and writes <out-dir>/<name>.onnx, <name>.json (manifest format 1) and
<name>.parity.json. See training/README.md."""

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from cockpit_data import (DEFAULT_KLINES, FEATURE_NAMES, PipelineError, cockpit_binary,
                          export_features, file_sha256, kline_source, load_export,
                          shared_data_dir, utc_dates, utc_iso)
from evaluate import choose_threshold, split_metrics
from labels import label_proposals
from manifest import build_manifest, drift_bins, normalisation, to_json
from onnx_export import INPUT_NAME, OUTPUT_NAME, onnx_probabilities, parity_fixture, to_onnx

INPUTS = FEATURE_NAMES + ["side"]
SPLIT_NAMES = ("train", "validation", "test")
DATE_SPLITS = {"train": ("2019-09-01", "2023-12-31"),
               "validation": ("2024-01-01", "2024-12-31"),
               "test": ("2025-01-01", "2026-05-31")}
# Crash days; each window also takes the DAYS_AFTER days that follow, since a crash
# day alone holds only a handful of proposals (about three per symbol a day).
CRASH_WINDOWS = [("2020-03-12", "2020-03-12"), ("2021-05-19", "2021-05-19"),
                 ("2022-05-09", "2022-05-12"), ("2022-11-08", "2022-11-10"),
                 ("2024-08-05", "2024-08-05"), ("2025-10-10", "2025-10-10")]
CRASH_DAYS_AFTER = 3
QUICK_ROWS = 12_000
PARITY_ROWS = 64
# Small trees, strong regularisation, row and column subsampling: a few thousand
# noisy proposals support little more than a handful of coarse splits.
GBM_PARAMS = {
    "objective": "binary", "metric": "binary_logloss",
    "learning_rate": 0.02, "num_leaves": 7, "max_depth": 3,
    "min_data_in_leaf": 100, "lambda_l2": 10.0,
    "feature_fraction": 0.7, "bagging_fraction": 0.7, "bagging_freq": 1,
    "deterministic": True, "force_col_wise": True, "num_threads": 2, "verbose": -1,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", nargs="+", default=DEFAULT_KLINES, metavar="FILE",
                        help="1h kline CSVs, paths or names relative to the shared data dir "
                             "(default: the BTC and ETH 1h USD-M files)")
    parser.add_argument("--cockpit", help="cockpit binary (default: $COCKPIT_BIN, else target/release/cockpit)")
    parser.add_argument("--out-dir", default="models", help="where the model files go (default: models/)")
    parser.add_argument("--name", default="gbm", help="file stem of the model (default: gbm)")
    parser.add_argument("--horizon", type=int, default=48, help="label horizon in bars (default: 48)")
    parser.add_argument("--iterations", type=int, help="most boosting rounds (default: 2000, quick: 40)")
    parser.add_argument("--seed", type=int, default=7, help="LightGBM seed (default: 7)")
    parser.add_argument("--quick", action="store_true",
                        help="CI check: first 12,000 rows of each file, 60/20/20 time splits, few rounds")
    args = parser.parse_args(argv)
    if args.horizon < 1:
        parser.error("--horizon must be at least 1")
    if args.iterations is not None and args.iterations < 1:
        parser.error("--iterations must be at least 1")
    if not args.name or "/" in args.name or args.name.startswith("."):
        parser.error("--name must be a plain file stem such as gbm")
    if args.iterations is None:
        args.iterations = 40 if args.quick else 2000
    return args


def load_symbol(source, binary, work_dir, horizon, quick):
    """Exports one kline file and returns (used export rows, labelled proposals)."""
    export = load_export(export_features(binary, source.path, work_dir), source.path)
    if quick:
        # Features and proposals are causal, so the head of the full export equals
        # the export of the head of the file.
        export = export.iloc[:QUICK_ROWS].reset_index(drop=True)
    labelled = label_proposals(export, horizon)
    times = export["open_time_ms"].to_numpy()
    proposals = export.loc[labelled["row"], ["open_time_ms"] + FEATURE_NAMES].reset_index(drop=True)
    proposals["side"] = labelled["side"].astype(float)
    proposals["label"] = labelled["label"]
    proposals["r"] = labelled["r"]
    proposals["outcome"] = labelled["outcome"]
    proposals["label_end_ms"] = times[labelled["row"].to_numpy() + horizon]
    proposals["file"] = source.rel
    return export, proposals


def date_splits(proposal_times, quick):
    """Inclusive UTC date ranges per split: the fixed dates, or in quick mode 60/20/20
    of the proposals by time, cut at day boundaries."""
    if not quick:
        return {k: {"from": a, "to": b} for k, (a, b) in DATE_SPLITS.items()}
    days = np.sort(utc_dates(proposal_times))
    if len(np.unique(days)) < 3:
        raise PipelineError("quick mode needs proposals on at least three days")
    cut1, cut2 = days[int(0.6 * len(days))], days[int(0.8 * len(days))]
    cut2 = max(cut2, cut1 + np.timedelta64(1, "D"))
    last = max(days[-1], cut2)
    one_day = np.timedelta64(1, "D")
    return {"train": {"from": str(days[0]), "to": str(cut1 - one_day)},
            "validation": {"from": str(cut1), "to": str(cut2 - one_day)},
            "test": {"from": str(cut2), "to": str(last)}}


def split_of(times, splits):
    """Split name per open time ('' outside every split)."""
    days = utc_dates(times)
    out = np.full(len(days), "", dtype=object)
    for name, rng in splits.items():
        inside = (days >= np.datetime64(rng["from"])) & (days <= np.datetime64(rng["to"]))
        out[inside] = name
    return out


def train_booster(x, y, split, iterations, seed, quick):
    params = dict(GBM_PARAMS, seed=seed)
    if quick:
        params["min_data_in_leaf"] = 20  # quick mode has a few hundred proposals
    train = lgb.Dataset(x[split == "train"], y[split == "train"], feature_name=INPUTS, free_raw_data=False)
    valid = lgb.Dataset(x[split == "validation"], y[split == "validation"], reference=train)
    patience = 10 if quick else 200
    booster = lgb.train(params, train, num_boost_round=iterations, valid_sets=[valid],
                        valid_names=["validation"],
                        callbacks=[lgb.early_stopping(patience, verbose=False)])
    best = booster.best_iteration or booster.current_iteration()
    # Keep only the trees up to the best round: the ONNX converter takes every tree.
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best)), best


def print_summary(metrics, brier0, threshold, best_iter, parity_diff, counts):
    print(f"proposals per split: {counts}")
    print(f"boosting rounds kept: {best_iter}; threshold (chosen on validation): {threshold}")
    print(f"ONNX vs LightGBM: max |p diff| = {parity_diff:.3g} over all proposals")
    # brier0: Brier score of always predicting the train base rate, the bar to beat.
    print(f"{'':<24}{'n':>6}{'base':>7}{'auc':>7}{'brier':>8}{'brier0':>8}{'logloss':>8}"
          f"{'conf%':>7}{'prec_c':>7}{'R_conf':>8}{'R_all':>8}")

    def cell(value, width, digits):
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    rows = [(k, metrics[k]) for k in SPLIT_NAMES]
    rows += [(f"crash {k}", m) for k, m in metrics["crash_windows"].items()]
    for name, m in rows:
        print(f"{name:<24}{m['n']:>6}{cell(m['base_rate'], 7, 3)}{cell(m['auc'], 7, 3)}"
              f"{cell(m['brier'], 8, 4)}{cell(brier0[name], 8, 4)}{cell(m['log_loss'], 8, 4)}"
              f"{cell(100 * m['confirmed_share'], 7, 1)}{cell(m['precision_confirmed'], 7, 3)}"
              f"{cell(m['mean_r_confirmed'], 8, 3)}{cell(m['mean_r_all'], 8, 3)}")


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    shared = shared_data_dir()
    binary = cockpit_binary(args.cockpit)
    sources = [kline_source(name, shared) for name in args.data]
    if len({s.path for s in sources}) != len(sources):
        raise PipelineError("--data names the same file twice")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    exports, tables, training_data = [], [], []
    with tempfile.TemporaryDirectory(prefix="cockpit-train-") as work:
        for source in sources:
            export, proposals = load_symbol(source, binary, Path(work), args.horizon, args.quick)
            exports.append(export)
            tables.append(proposals)
            times = export["open_time_ms"]
            training_data.append({"file": source.rel, "sha256": source.sha256, "rows": int(len(export)),
                                  "first_open_time": utc_iso(int(times.iloc[0])),
                                  "last_open_time": utc_iso(int(times.iloc[-1]))})
    data = pd.concat(tables, ignore_index=True)
    finite = np.isfinite(data[INPUTS].to_numpy(float)).all(axis=1)
    data = data[finite].sort_values(["open_time_ms", "file"], kind="stable").reset_index(drop=True)
    if len(data) == 0:
        raise PipelineError("no labelled proposals with warm features in the data")

    splits = date_splits(data["open_time_ms"].to_numpy(), args.quick)
    split = split_of(data["open_time_ms"].to_numpy(), splits)
    # Purge proposals whose label looks past the end of their own split: their
    # outcome is decided by candles of the next split.
    crosses = split_of(data["label_end_ms"].to_numpy(), splits) != split
    split = np.where(crosses, "", split)
    counts = {k: int((split == k).sum()) for k in SPLIT_NAMES}
    for name, n in counts.items():
        if n == 0:
            raise PipelineError(f"the {name} split ({splits[name]['from']} .. {splits[name]['to']}) has no "
                                "proposals: pass --data files that cover it, or --quick")

    # Float32 inputs, as the cockpit feeds them; LightGBM learns on the same values.
    x = data[INPUTS].to_numpy(np.float32)
    y = data["label"].to_numpy(int)
    r = data["r"].to_numpy(float)
    booster, best_iter = train_booster(x.astype(np.float64), y, split, args.iterations, args.seed, args.quick)

    model_bytes = to_onnx(booster, len(INPUTS))
    p_onnx = onnx_probabilities(model_bytes, x)
    p = p_onnx[:, 1].astype(np.float64)  # metrics on what the cockpit will see
    parity_diff = float(np.abs(p - booster.predict(x.astype(np.float64))).max())
    if parity_diff > 1e-5:
        raise PipelineError(f"ONNX and LightGBM disagree by {parity_diff} on some proposal")

    validation = split == "validation"
    threshold = choose_threshold(p[validation], r[validation])
    train_base = float(y[split == "train"].mean())
    metrics, brier0 = {}, {}
    for k in SPLIT_NAMES:
        metrics[k] = split_metrics(y[split == k], p[split == k], r[split == k], threshold)
        brier0[k] = float(np.mean((y[split == k] - train_base) ** 2))
    metrics["crash_windows"] = {}
    days = utc_dates(data["open_time_ms"].to_numpy())
    for first, last in CRASH_WINDOWS:
        end = date.fromisoformat(last) + timedelta(days=CRASH_DAYS_AFTER)
        inside = (days >= np.datetime64(first)) & (days <= np.datetime64(end.isoformat()))
        if inside.any():  # quick mode covers only the first window or two
            key = first if first == last else f"{first}..{last}"
            metrics["crash_windows"][key] = split_metrics(y[inside], p[inside], r[inside], threshold)
            brier0[f"crash {key}"] = float(np.mean((y[inside] - train_base) ** 2))

    # Drift reference: every warm train candle of every file, not only proposals.
    candles = pd.concat(exports, ignore_index=True)
    warm = np.isfinite(candles[FEATURE_NAMES].to_numpy(float)).all(axis=1)
    train_candles = warm & (split_of(candles["open_time_ms"].to_numpy(), splits) == "train")
    bins = drift_bins(FEATURE_NAMES, candles.loc[train_candles, FEATURE_NAMES].to_numpy(float))

    onnx_path = out_dir / f"{args.name}.onnx"
    onnx_path.write_bytes(model_bytes)
    manifest = build_manifest(
        name=args.name, onnx_file=onnx_path.name, onnx_sha256=file_sha256(onnx_path),
        features=INPUTS, input_name=INPUT_NAME, output_name=OUTPUT_NAME,
        norm=normalisation(x[split == "train"].astype(np.float64)), bins=bins,
        label_meaning=(f"1 when the proposal's take-profit is hit before its stop within {args.horizon} bars "
                       "after the entry fills at the next bar's open (stop first when one bar touches both); "
                       "0 on stop first or timeout"),
        horizon=args.horizon, threshold=threshold, training_data=training_data,
        splits=splits, metrics=metrics)
    (out_dir / f"{args.name}.json").write_text(to_json(manifest))
    # Parity rows spread evenly over the test split (in time order).
    test_rows = np.flatnonzero(split == "test")
    picks = test_rows[np.unique(np.linspace(0, len(test_rows) - 1, PARITY_ROWS).round().astype(int))]
    (out_dir / f"{args.name}.parity.json").write_text(parity_fixture(model_bytes, x[picks]))

    print_summary(metrics, brier0, threshold, best_iter, parity_diff, counts)
    print(f"wrote {onnx_path}, {args.name}.json, {args.name}.parity.json in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except PipelineError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
