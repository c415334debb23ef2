#!/usr/bin/env python3
"""Trains the reinforcement-learning agent (PPO, stable-baselines3) on the cockpit's
exported features, and writes <out-dir>/<name>.onnx (observation -> action
probabilities), <name>.json (manifest format 1, kind "policy") and
<name>.parity.json. Needs training/.venv-agent (training/setup-agent.sh), never CI.
See training/README.md, "The agent"."""

import argparse
import copy
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv

from agent_env import (ACTIONS, LONG, OBS_NAMES, SHORT, SimConfig, TradingEnv, action_table,
                       backtest_summary, decision_range, load_funding, market_from_export, run_policy)
from agent_onnx import INPUT_NAME, OUTPUT_NAME, onnx_action_probs, policy_parity_fixture, policy_to_onnx
from agent_policy import CLIP, FixedNormalizer, policy_probs, policy_weights, wrapper_probs
from cockpit_data import (DEFAULT_KLINES, FEATURE_NAMES, PipelineError, cockpit_binary, file_sha256,
                          kline_source, shared_data_dir, utc_dates, utc_iso)
from evaluate import choose_threshold, split_metrics
from manifest import build_policy_manifest, drift_bins, to_json
# The GBM's splits, crash windows, quick mode and proposal table, so that both
# models are scored on the same proposals.
from train_gbm import (CRASH_DAYS_AFTER, CRASH_WINDOWS, PARITY_ROWS, SPLIT_NAMES, date_splits,
                       load_symbol, split_of)

# One intra-op thread: the network (21 -> 64 -> 64 -> 4) is far too small to gain from
# more, and on a busy two-core machine two OpenMP threads made every tanh and softmax
# wait milliseconds for each other (PPO ran at ~170 steps/s with 2 threads, ~3,400 with 1).
TORCH_THREADS = 1
PPO_PARAMS = {
    "n_steps": 512,          # per env and rollout: 8 envs x 512 = 4,096 steps an update
    "batch_size": 512,
    "n_epochs": 10,
    "learning_rate": 3e-4,
    "gamma": 0.99,           # ~100 h horizon
    "gae_lambda": 0.95,
    "clip_range": 0.2,
    "ent_coef": 0.05,        # chosen on validation over 0.01 (see README)
    "vf_coef": 0.5,
    "max_grad_norm": 0.5,
}
N_ENVS = 8
NET_ARCH = [64, 64]
QUICK_PPO = {"n_steps": 256, "batch_size": 256, "n_epochs": 4}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", nargs="+", default=DEFAULT_KLINES, metavar="FILE",
                        help="1h kline CSVs, paths or names relative to the shared data dir "
                             "(default: the BTC and ETH 1h USD-M files)")
    parser.add_argument("--funding", nargs="+", metavar="FILE",
                        help="funding-rate CSVs (funding_time_ms,funding_rate), matched to --data by the "
                             "symbol before the first '-' of the file name (default: klines/<SYMBOL>-fundingrate.csv "
                             "beside each kline file)")
    parser.add_argument("--cockpit", help="cockpit binary (default: $COCKPIT_BIN, else target/release/cockpit)")
    parser.add_argument("--timesteps", type=int, help="PPO environment steps (default: 1,600,000; quick: 8,192)")
    parser.add_argument("--seed", type=int, default=7, help="seed of PPO, the environments and torch (default: 7)")
    parser.add_argument("--out-dir", default="models", help="where the model files go (default: models/)")
    parser.add_argument("--name", default="ppo", help="file stem of the model (default: ppo)")
    parser.add_argument("--quick", action="store_true",
                        help="pipeline check: first 12,000 rows of each file, 60/20/20 time splits, few steps")
    parser.add_argument("--leverage", type=float, default=1.0, help="entry notional / equity (default: 1)")
    parser.add_argument("--downside-penalty", type=float, default=1.0,
                        help="lambda of the reward r - lambda * min(r, 0)^2 (default: 1)")
    parser.add_argument("--fee", type=float, default=0.0005, help="taker fee per side (default: 0.0005)")
    parser.add_argument("--slippage", type=float, default=0.0002, help="slippage per fill (default: 0.0002)")
    parser.add_argument("--episode-bars", type=int, help="decisions per training episode (default: 1000; quick: 500)")
    parser.add_argument("--eval-every", type=int,
                        help="steps between validation evaluations; the best one is kept (default: 65,536; quick: 4,096)")
    parser.add_argument("--ent-coef", type=float, default=PPO_PARAMS["ent_coef"],
                        help=f"PPO entropy bonus (default: {PPO_PARAMS['ent_coef']})")
    parser.add_argument("--threads", type=int, default=TORCH_THREADS,
                        help=f"torch threads (default: {TORCH_THREADS}; more only slows this small network)")
    parser.add_argument("--horizon", type=int, default=48,
                        help="label horizon of the proposal metrics, bars (default: 48, as the GBM)")
    args = parser.parse_args(argv)
    if args.ent_coef < 0:
        parser.error("--ent-coef must not be negative")
    if args.timesteps is None:
        args.timesteps = 8_192 if args.quick else 1_600_000
    if args.episode_bars is None:
        args.episode_bars = 500 if args.quick else 1000
    if args.eval_every is None:
        args.eval_every = 4_096 if args.quick else 65_536
    for name in ("timesteps", "episode_bars", "eval_every", "horizon", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.name or "/" in args.name or args.name.startswith("."):
        parser.error("--name must be a plain file stem such as ppo")
    return args


def symbol_of(path: Path) -> str:
    return path.name.split("-")[0]


def funding_sources(args, sources, shared):
    """One funding file per kline file, matched by symbol."""
    if args.funding:
        funding = [kline_source(name, shared) for name in args.funding]
    else:
        funding = [kline_source(str(s.path.with_name(f"{symbol_of(s.path)}-fundingrate.csv")), shared)
                   for s in sources]
    by_symbol = {}
    for f in funding:
        if symbol_of(f.path) in by_symbol:
            raise PipelineError(f"two funding files for {symbol_of(f.path)}")
        by_symbol[symbol_of(f.path)] = f
    missing = [s.rel for s in sources if symbol_of(s.path) not in by_symbol]
    if missing:
        raise PipelineError(f"no --funding file for {missing} (matched by the symbol before the first '-')")
    return [by_symbol[symbol_of(s.path)] for s in sources]


class ValidationSelect(BaseCallback):
    """Every `every` steps (at a rollout's end) backtests the deterministic policy
    on the validation split and keeps the weights with the highest mean reward per
    step: early stopping's analogue, so that the policy is not simply the last,
    most over-fitted one."""

    def __init__(self, every, evaluate):
        super().__init__()
        self.every, self.evaluate = every, evaluate
        self.next_at = every
        self.best, self.best_state, self.best_step = -np.inf, None, 0
        self.history = []

    def check(self):
        score, info = self.evaluate(self.model.policy)
        self.history.append((self.num_timesteps, score, info))
        print(f"  step {self.num_timesteps:>9,}: validation mean reward {score:+.5f}, "
              f"return {info['return']:+.3f}, trades {info['trades']}, long/short {info['long']:.2f}/{info['short']:.2f}  "
              f"(train mean reward {info['train_mean_reward']:+.5f}, return {info['train_return']:+.3f})",
              flush=True)
        if score > self.best:
            self.best, self.best_step = score, self.num_timesteps
            self.best_state = copy.deepcopy(self.model.policy.state_dict())

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        if self.num_timesteps >= self.next_at:
            self.next_at += self.every
            self.check()


def backtest(probs_fn, markets, ranges, cfg):
    """The deterministic policy over each market's decision range, and its summary."""
    runs = {}
    for m in markets:
        rng = ranges.get(m.name)
        if rng is None:
            continue
        lo, hi = rng
        actions, _ = action_table(probs_fn, m.features[lo:hi])
        runs[m.name] = run_policy(m, lo, hi, actions, cfg)
    return backtest_summary(runs, cfg) if runs else None


def print_summary(metrics, threshold, parity, best_step, timesteps, counts, train_s):
    print(f"proposals per split: {counts}")
    print(f"PPO: {timesteps:,} steps in {train_s:.0f} s; kept the policy of step {best_step:,} "
          f"(best validation mean reward)")
    print(f"threshold (chosen on validation, on p(proposed side) at position 0): {threshold}")
    print(f"ONNX vs torch policy: max |p diff| = {parity:.3g} over every warm candle at positions -1/0/+1")

    def cell(value, width, digits):
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    def pct(share):
        return None if share is None else 100 * share

    print(f"{'':<24}{'n':>6}{'base':>7}{'auc':>7}{'conf%':>7}{'c%L':>5}{'c%S':>5}{'prec_c':>7}{'R_conf':>8}{'R_all':>8}"
          f" | {'return':>8}{'b&h':>8}{'sharpe':>7}{'maxdd':>7}{'trades':>7}{'long':>6}{'short':>6}")
    rows = [(k, metrics[k]) for k in SPLIT_NAMES]
    rows += [(f"crash {k}", m) for k, m in metrics["crash_windows"].items()]
    for name, m in rows:
        a = m["agent"] or {}
        conf = m["confirmed_share"]
        print(f"{name:<24}{m['n']:>6}{cell(m['base_rate'], 7, 3)}{cell(m['auc'], 7, 3)}"
              f"{cell(None if conf is None else 100 * conf, 7, 1)}"
              f"{cell(pct(m['confirmed_share_by_side']['long']), 5, 0)}"
              f"{cell(pct(m['confirmed_share_by_side']['short']), 5, 0)}{cell(m['precision_confirmed'], 7, 3)}"
              f"{cell(m['mean_r_confirmed'], 8, 3)}{cell(m['mean_r_all'], 8, 3)}"
              f" | {cell(a.get('return'), 8, 3)}{cell(a.get('buy_and_hold_return'), 8, 3)}"
              f"{cell(a.get('sharpe'), 7, 2)}{cell(a.get('max_drawdown'), 7, 3)}"
              f"{a.get('trades', '-'):>7}{cell(a.get('long_exposure'), 6, 2)}{cell(a.get('short_exposure'), 6, 2)}")


def proposal_metrics(y, p, r, side, threshold):
    """The GBM's per-split block on the policy's scores. The score p(proposed side) is
    not a probability of the label, so the probability scores (brier, log_loss) and
    the calibration table do not apply: null and []. A policy can favour one side
    whatever the candle, so the confirmed share is also given per side."""
    m = split_metrics(y, p, r, threshold)
    m.update({"brier": None, "log_loss": None, "calibration": []})
    m["confirmed_share_by_side"] = {
        name: (float((p[side == s] >= threshold).mean()) if (side == s).any() else None)
        for name, s in (("long", 1), ("short", -1))}
    return m


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    torch.set_num_threads(args.threads)
    shared = shared_data_dir()
    binary = cockpit_binary(args.cockpit)
    sources = [kline_source(name, shared) for name in args.data]
    if len({s.path for s in sources}) != len(sources):
        raise PipelineError("--data names the same file twice")
    if len({symbol_of(s.path) for s in sources}) != len(sources):
        raise PipelineError("--data names two files of one symbol: the funding files are matched by symbol")
    fundings = funding_sources(args, sources, shared)
    cfg = SimConfig(leverage=args.leverage, fee=args.fee, slippage=args.slippage,
                    downside_penalty=args.downside_penalty)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    markets, tables, exports, training_data = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="cockpit-agent-") as work:
        for source, fsource in zip(sources, fundings):
            export, proposals = load_symbol(source, binary, Path(work), args.horizon, args.quick)
            funding = load_funding(fsource.path)
            markets.append(market_from_export(source.rel, export, funding))
            exports.append(export)
            tables.append(proposals)
            times = export["open_time_ms"]
            training_data.append({"file": source.rel, "sha256": source.sha256, "rows": int(len(export)),
                                  "first_open_time": utc_iso(int(times.iloc[0])),
                                  "last_open_time": utc_iso(int(times.iloc[-1]))})
            used = funding[funding["funding_time_ms"].between(times.iloc[0], times.iloc[-1])]
            if len(used) == 0:
                raise PipelineError(f"{fsource.rel} has no funding time within {source.rel}'s candles")
            training_data.append({"file": fsource.rel, "sha256": fsource.sha256, "rows": int(len(used)),
                                  "first_open_time": utc_iso(int(used["funding_time_ms"].iloc[0])),
                                  "last_open_time": utc_iso(int(used["funding_time_ms"].iloc[-1]))})

    # The proposals and splits exactly as the GBM's (train_gbm.py).
    data = pd.concat(tables, ignore_index=True)
    data = data[np.isfinite(data[FEATURE_NAMES].to_numpy(float)).all(axis=1)]
    data = data.sort_values(["open_time_ms", "file"], kind="stable").reset_index(drop=True)
    if len(data) == 0:
        raise PipelineError("no labelled proposals with warm features in the data")
    splits = date_splits(data["open_time_ms"].to_numpy(), args.quick)
    split = split_of(data["open_time_ms"].to_numpy(), splits)
    split = np.where(split_of(data["label_end_ms"].to_numpy(), splits) != split, "", split)
    counts = {k: int((split == k).sum()) for k in SPLIT_NAMES}

    # Decision ranges of every market in every split.
    ranges = {k: {} for k in SPLIT_NAMES}
    for m in markets:
        in_split = split_of(m.times, splits)
        for k in SPLIT_NAMES:
            rng = decision_range(m, in_split == k)
            if rng is not None:
                ranges[k][m.name] = rng
    for k in SPLIT_NAMES:
        if not ranges[k] or counts[k] == 0:
            raise PipelineError(f"the {k} split ({splits[k]['from']} .. {splits[k]['to']}) has no candles or "
                                "no proposals: pass --data files that cover it, or --quick")

    # Fixed input normalisation: every warm train candle of every file, on the float32
    # values the policy is fed; position passes through (mean 0, std 1).
    train_features = np.concatenate([m.features[split_of(m.times, splits) == "train"] for m in markets])
    train_features = train_features[np.isfinite(train_features).all(axis=1)].astype(np.float64)
    mean = np.append(train_features.mean(axis=0), 0.0)
    std = np.append(np.where(train_features.std(axis=0) > 0, train_features.std(axis=0), 1.0), 1.0)
    # Drift bins exactly as the GBM's (train_gbm.py): the export's values of every warm
    # train candle, so that both manifests carry the same reference.
    candles = pd.concat(exports, ignore_index=True)
    warm = np.isfinite(candles[FEATURE_NAMES].to_numpy(float)).all(axis=1)
    train_candles = warm & (split_of(candles["open_time_ms"].to_numpy(), splits) == "train")
    bins = drift_bins(FEATURE_NAMES, candles.loc[train_candles, FEATURE_NAMES].to_numpy(float))

    # PPO.
    segments = [(m, *ranges["train"][m.name]) for m in markets if m.name in ranges["train"]]
    env = DummyVecEnv([lambda: TradingEnv(segments, cfg, args.episode_bars) for _ in range(N_ENVS)])
    params = dict(PPO_PARAMS, ent_coef=args.ent_coef, **(QUICK_PPO if args.quick else {}))
    model = PPO("MlpPolicy", env, seed=args.seed, device="cpu", verbose=0,
                policy_kwargs={"net_arch": NET_ARCH, "activation_fn": torch.nn.Tanh,
                               "features_extractor_class": FixedNormalizer,
                               "features_extractor_kwargs": {"mean": mean.astype(np.float32),
                                                             "std": std.astype(np.float32), "clip": CLIP}},
                **params)

    def evaluate(policy):
        probs = lambda obs: policy_probs(policy, obs)
        val = backtest(probs, markets, ranges["validation"], cfg)
        train = backtest(probs, markets, ranges["train"], cfg)
        return val["mean_reward"], {"return": val["return"], "trades": val["trades"],
                                    "long": val["long_exposure"], "short": val["short_exposure"],
                                    "train_mean_reward": train["mean_reward"],
                                    "train_return": train["return"]}

    select = ValidationSelect(args.eval_every, evaluate)
    print(f"training PPO for {args.timesteps:,} steps ({N_ENVS} envs, net {NET_ARCH}, torch threads "
          f"{torch.get_num_threads()}, leverage {cfg.leverage}, downside penalty {cfg.downside_penalty})", flush=True)
    train_started = time.monotonic()
    model.learn(total_timesteps=args.timesteps, callback=select)
    if not select.history or select.history[-1][0] != select.num_timesteps:
        select.check()  # the final policy is a candidate too
    train_s = time.monotonic() - train_started
    policy = model.policy
    policy.load_state_dict(select.best_state)
    policy.set_training_mode(False)

    # ONNX export, checked against the policy's own distribution on every warm candle
    # at every position.
    mean32, std32, clip, layers = policy_weights(policy)
    model_bytes = policy_to_onnx(mean32, std32, clip, layers, len(ACTIONS))
    all_features = np.concatenate([m.features[m.warm] for m in markets])
    obs = np.concatenate([np.column_stack([all_features, np.full(len(all_features), pos, np.float32)])
                          for pos in (-1, 0, 1)]).astype(np.float32)
    p_torch = policy_probs(policy, obs)
    p_onnx = onnx_action_probs(model_bytes, obs)
    parity = float(np.abs(p_onnx.astype(np.float64) - p_torch).max())
    wrapper_diff = float(np.abs(wrapper_probs(policy, obs[:4096]) - p_torch[:4096]).max())
    if parity > 1e-5 or wrapper_diff > 1e-6:
        raise PipelineError(f"ONNX and the torch policy disagree by {parity} (wrapper {wrapper_diff})")
    onnx_probs = lambda o: onnx_action_probs(model_bytes, o)  # metrics on what the cockpit will see

    # Proposal-level scores: p(action = proposed side) at position 0.
    x0 = np.column_stack([data[FEATURE_NAMES].to_numpy(np.float32), np.zeros(len(data), np.float32)])
    p_all = onnx_probs(x0).astype(np.float64)
    side = data["side"].to_numpy(int)
    p = np.where(side == 1, p_all[:, LONG], p_all[:, SHORT])
    y = data["label"].to_numpy(int)
    r = data["r"].to_numpy(float)
    threshold = choose_threshold(p[split == "validation"], r[split == "validation"])
    if not 0 < threshold < 1:
        raise PipelineError(f"the validation threshold {threshold} is not inside (0, 1): the policy's "
                            "probabilities for the proposed side are all 0 or 1 at the cut")

    metrics = {}
    for k in SPLIT_NAMES:
        metrics[k] = proposal_metrics(y[split == k], p[split == k], r[split == k], side[split == k], threshold)
        metrics[k]["agent"] = backtest(onnx_probs, markets, ranges[k], cfg)
    metrics["crash_windows"] = {}
    days = utc_dates(data["open_time_ms"].to_numpy())
    for first, last in CRASH_WINDOWS:
        end = (date.fromisoformat(last) + timedelta(days=CRASH_DAYS_AFTER)).isoformat()
        inside = (days >= np.datetime64(first)) & (days <= np.datetime64(end))
        window_ranges = {}
        for m in markets:
            d = utc_dates(m.times)
            rng = decision_range(m, (d >= np.datetime64(first)) & (d <= np.datetime64(end)))
            if rng is not None:
                window_ranges[m.name] = rng
        if inside.any():  # quick mode covers only the first window or two
            key = first if first == last else f"{first}..{last}"
            metrics["crash_windows"][key] = proposal_metrics(y[inside], p[inside], r[inside], side[inside],
                                                             threshold)
            metrics["crash_windows"][key]["agent"] = backtest(onnx_probs, markets, window_ranges, cfg)

    onnx_path = out_dir / f"{args.name}.onnx"
    onnx_path.write_bytes(model_bytes)
    norm = {"apply": False,  # baked into the ONNX graph: the cockpit feeds raw values
            "mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    manifest = build_policy_manifest(
        name=args.name, onnx_file=onnx_path.name, onnx_sha256=file_sha256(onnx_path),
        features=OBS_NAMES, input_name=INPUT_NAME, output_name=OUTPUT_NAME, actions=ACTIONS,
        norm=norm, bins=bins, threshold=threshold, training_data=training_data,
        splits=splits, metrics=metrics)
    (out_dir / f"{args.name}.json").write_text(to_json(manifest))
    # Parity rows: test proposals spread evenly in time, at position 0 (as the cockpit feeds them).
    test_rows = np.flatnonzero(split == "test")
    picks = test_rows[np.unique(np.linspace(0, len(test_rows) - 1, PARITY_ROWS).round().astype(int))]
    (out_dir / f"{args.name}.parity.json").write_text(policy_parity_fixture(model_bytes, x0[picks]))

    print_summary(metrics, threshold, parity, select.best_step, select.num_timesteps, counts, train_s)
    print(f"wrote {onnx_path}, {args.name}.json, {args.name}.parity.json in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except PipelineError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
