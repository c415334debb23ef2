"""The trading environment of the reinforcement-learning agent (training/train_agent.py).

One step = one closed 1h candle t of one symbol. The agent sees the cockpit's 20
exported features of candle t (export order) and its own position, and picks an
action; the trade fills at the open of candle t+1 and the step ends with the
account marked at the open of candle t+2 (the next decision's fill price).

  observation  float32 [21]: the 20 exported features, then position (-1 short,
               0 flat, +1 long), raw as the cockpit feeds them (the policy
               normalises inside; see agent_policy.py)
  actions      0 hold (keep the position), 1 long, 2 short, 3 close (go flat);
               long while long and short while short are holds, long while
               short (and short while long) reverses: close, then open
  fills        at the next candle's open, moved against the trade by the
               slippage (2 bp), plus the taker fee (0.05 % of the filled
               notional) on every entry and every exit
  size         an entry takes `leverage` x the equity at that moment as notional
               (fixed units until the exit, no rebalancing)
  funding      every funding time (8 h) of the symbol's funding file: the
               position held at that instant pays side x rate x notional
               (marked at that candle's open): longs pay a positive rate,
               shorts receive it. A funding time on candle k's open is paid by
               the position held over candle k-1, before the fill at k's open.
  reward       r = equity change of the step as a fraction of the equity
               before it; reward = reward_scale x (r - downside_penalty x
               min(r, 0)^2): gains count as they are, losses pay an extra
               penalty that grows with their square (Sortino-style: downside
               variance, not variance, is penalised)
  episodes     random windows of `episode_bars` decisions within one split of
               one symbol (symbols drawn in proportion to their rows), starting
               flat with equity 1; truncated at the window's end, terminated when
               equity falls to `ruin` or below.

Features come only from the cockpit export (cockpit_data.py): nothing here
computes one.
"""

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import pandas as pd
from gymnasium import spaces

from cockpit_data import FEATURE_NAMES, PipelineError, utc_iso

OBS_NAMES = FEATURE_NAMES + ["position"]
N_OBS = len(OBS_NAMES)
ACTIONS = ["hold", "long", "short", "close"]
HOLD, LONG, SHORT, CLOSE = range(len(ACTIONS))
POSITIONS = (-1, 0, 1)
HOURS_PER_YEAR = 24 * 365


@dataclass(frozen=True)
class SimConfig:
    leverage: float = 1.0          # entry notional / equity
    fee: float = 0.0005            # taker fee per side, fraction of filled notional
    slippage: float = 0.0002       # fill price moved against the trade (2 bp)
    downside_penalty: float = 1.0  # lambda in r - lambda * min(r, 0)^2
    reward_scale: float = 100.0    # rewards in percent of equity: PPO likes O(1) rewards
    ruin: float = 0.1              # equity at or below which an episode ends

    def __post_init__(self):
        if not (self.leverage > 0 and self.fee >= 0 and self.slippage >= 0
                and self.downside_penalty >= 0 and self.reward_scale > 0 and 0 <= self.ruin < 1):
            raise ValueError(f"invalid simulation settings {self}")


@dataclass
class Market:
    """One symbol's export: features of each candle (known at its close), candle
    opens (fill and mark prices) and the funding rate due at each candle's open."""
    name: str
    times: np.ndarray      # open_time_ms, int64
    features: np.ndarray   # float32 [n, 20], NaN while warming up
    open: np.ndarray       # float64 [n]
    funding: np.ndarray    # float64 [n]: sum of the funding rates due at this candle's open

    @property
    def warm(self) -> np.ndarray:
        return np.isfinite(self.features).all(axis=1)


def funding_per_candle(times: np.ndarray, funding: pd.DataFrame) -> np.ndarray:
    """Funding rate due at each candle's open. A funding time between two candle
    opens (none in Binance's files, which fall on the hour) is due at the next open;
    funding outside the candles' span is dropped (no position can be open then)."""
    ft = funding["funding_time_ms"].to_numpy("int64")
    rate = funding["funding_rate"].to_numpy(float)
    if len(ft) and ((np.diff(ft) <= 0).any() or not np.isfinite(rate).all()):
        raise PipelineError("funding file: times must increase strictly and rates be finite")
    idx = np.searchsorted(times, ft, side="left")
    inside = (ft >= times[0]) & (idx < len(times))
    out = np.zeros(len(times))
    np.add.at(out, idx[inside], rate[inside])
    return out


def load_funding(path) -> pd.DataFrame:
    df = pd.read_csv(path)
    if list(df.columns) != ["funding_time_ms", "funding_rate"]:
        raise PipelineError(f"{path}: expected columns funding_time_ms,funding_rate, got {list(df.columns)}")
    return df


def market_from_export(name: str, export: pd.DataFrame, funding: pd.DataFrame) -> Market:
    times = export["open_time_ms"].to_numpy("int64")
    return Market(name=name, times=times,
                  features=export[FEATURE_NAMES].to_numpy(np.float32),
                  open=export["open"].to_numpy(float),
                  funding=funding_per_candle(times, funding))


def decision_range(market: Market, rows: np.ndarray) -> tuple[int, int] | None:
    """Decisions on candles lo .. hi-1 of a split's rows (a boolean mask, contiguous):
    each needs the opens of the next two candles inside the same rows, so the last
    two rows of the split are only fill and mark prices."""
    idx = np.flatnonzero(rows & market.warm)
    if len(idx) == 0:
        return None
    if (np.diff(idx) != 1).any():
        raise PipelineError(f"{market.name}: the split's warm candles are not contiguous")
    lo, hi = int(idx[0]), int(idx[-1]) - 1
    return (lo, hi) if hi > lo else None


class Account:
    """Equity of one symbol's account: cash (realised) plus the open position."""
    __slots__ = ("cfg", "cash", "side", "qty", "entry", "trades", "fees", "funding")

    def __init__(self, cfg: SimConfig):
        self.cfg = cfg
        self.cash = 1.0
        self.side = 0       # -1, 0, +1
        self.qty = 0.0      # units of the asset
        self.entry = 0.0    # fill price of the entry
        self.trades = 0     # entries
        self.fees = 0.0     # fees and slippage paid, in equity units (slippage at the unmoved price)
        self.funding = 0.0  # funding paid (negative: received)

    def equity(self, price: float) -> float:
        return self.cash + self.side * self.qty * (price - self.entry)

    def move_to(self, target: int, price: float) -> None:
        """Fills at `price` (a candle's open) to reach position `target`."""
        if target == self.side:
            return
        cfg = self.cfg
        if self.side != 0:
            fill = price * (1 - self.side * cfg.slippage)   # a long sells lower, a short buys higher
            fee = cfg.fee * self.qty * fill
            self.cash += self.side * self.qty * (fill - self.entry) - fee
            self.fees += fee + self.qty * price * cfg.slippage
            self.side, self.qty, self.entry = 0, 0.0, 0.0
        if target != 0 and self.cash > 0:
            fill = price * (1 + target * cfg.slippage)
            notional = cfg.leverage * self.cash
            fee = cfg.fee * notional
            self.qty = notional / fill
            self.cash -= fee
            self.fees += fee + self.qty * price * cfg.slippage
            self.side, self.entry = target, fill
            self.trades += 1

    def pay_funding(self, rate: float, price: float) -> None:
        if self.side != 0 and rate != 0.0:
            paid = self.side * self.qty * price * rate
            self.cash -= paid
            self.funding += paid


def target_position(action: int, position: int) -> int:
    if action == HOLD:
        return position
    if action == LONG:
        return 1
    if action == SHORT:
        return -1
    if action == CLOSE:
        return 0
    raise ValueError(f"unknown action {action}")


def step_reward(r: float, cfg: SimConfig) -> float:
    return cfg.reward_scale * (r - cfg.downside_penalty * min(r, 0.0) ** 2)


class TradingEnv(gym.Env):
    """Random windows of `episode_bars` decisions over the given (market, lo, hi)
    decision ranges; see the module docstring for the rules."""
    metadata = {"render_modes": []}

    def __init__(self, segments: list[tuple[Market, int, int]], cfg: SimConfig, episode_bars: int):
        super().__init__()
        if episode_bars < 1:
            raise ValueError("episode_bars must be at least 1")
        self.cfg = cfg
        self.episode_bars = episode_bars
        # Only segments long enough for a full window.
        self.segments = [(m, lo, hi) for m, lo, hi in segments if hi - lo >= episode_bars]
        if not self.segments:
            raise PipelineError(f"no symbol has {episode_bars} consecutive decisions in the training split: "
                                "lower --episode-bars")
        starts = np.array([hi - lo - episode_bars + 1 for _, lo, hi in self.segments], dtype=float)
        self.weights = starts / starts.sum()
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(N_OBS,), dtype=np.float32)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self.market = None
        self.t = self.end = 0
        self.account = None
        self.eq = 1.0

    def _obs(self) -> np.ndarray:
        obs = np.empty(N_OBS, dtype=np.float32)
        obs[:-1] = self.market.features[self.t]
        obs[-1] = self.account.side
        return obs

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        k = int(self.np_random.choice(len(self.segments), p=self.weights))
        market, lo, hi = self.segments[k]
        start = lo + int(self.np_random.integers(0, hi - lo - self.episode_bars + 1))
        self.market, self.t, self.end = market, start, start + self.episode_bars
        self.account = Account(self.cfg)
        self.eq = 1.0
        return self._obs(), {}

    def step(self, action):
        m, t, acc = self.market, self.t, self.account
        acc.move_to(target_position(int(action), acc.side), m.open[t + 1])
        acc.pay_funding(m.funding[t + 2], m.open[t + 2])
        eq = acc.equity(m.open[t + 2])
        r = eq / self.eq - 1.0
        self.eq = eq
        self.t = t + 1
        terminated = eq <= self.cfg.ruin
        truncated = self.t >= self.end and not terminated
        return self._obs(), step_reward(r, self.cfg), terminated, truncated, {"equity": eq}


# ---------------------------------------------------------------------------
# Deterministic backtests of a policy: actions precomputed for every candle and
# every position (a policy's action depends only on the features and its position),
# then one cheap pass through the account.

def action_table(probs_fn, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(actions [n, 3] for positions -1, 0, +1 by argmax, probabilities [n, 3, 4])."""
    n = len(features)
    obs = np.empty((3 * n, N_OBS), dtype=np.float32)
    for j, pos in enumerate(POSITIONS):
        obs[j * n:(j + 1) * n, :-1] = features
        obs[j * n:(j + 1) * n, -1] = pos
    probs = np.asarray(probs_fn(obs), dtype=np.float64).reshape(3, n, len(ACTIONS)).transpose(1, 0, 2)
    return probs.argmax(axis=2), probs


def run_policy(market: Market, lo: int, hi: int, actions: np.ndarray, cfg: SimConfig) -> dict:
    """Trades `actions` (an action_table of candles lo .. hi-1: row i is candle lo+i)
    from flat with equity 1, and closes whatever is open at the last mark (paying its
    exit). Returns the equity after every step with its time, the rewards and the
    account's counters."""
    if len(actions) != hi - lo:
        raise ValueError("one row of actions per decision")
    acc = Account(cfg)
    opens, funding = market.open, market.funding
    n = hi - lo
    equity = np.empty(n)
    position = np.empty(n, dtype=np.int8)
    eq_prev, reward_sum = 1.0, 0.0
    for i in range(n):
        t = lo + i
        acc.move_to(target_position(int(actions[i, acc.side + 1]), acc.side), opens[t + 1])
        position[i] = acc.side
        acc.pay_funding(funding[t + 2], opens[t + 2])
        if i == n - 1:
            acc.move_to(0, opens[t + 2])
        eq = acc.equity(opens[t + 2])
        reward_sum += step_reward(eq / eq_prev - 1.0, cfg)
        equity[i] = eq_prev = eq
    return {"times": market.times[lo + 2:hi + 2], "equity": equity, "position": position,
            "trades": acc.trades, "fees": acc.fees, "funding": acc.funding, "reward_sum": reward_sum,
            "buy_and_hold": float(opens[hi + 1] / opens[lo + 1] - 1.0)}


def curve_stats(equity: np.ndarray) -> dict:
    """Return, annualised Sharpe and Sortino of the hourly returns, max drawdown."""
    eq = np.concatenate([[1.0], np.asarray(equity, dtype=float)])
    rets = eq[1:] / eq[:-1] - 1.0
    peak = np.maximum.accumulate(eq)
    sd = rets.std()
    downside = np.sqrt(np.mean(np.minimum(rets, 0.0) ** 2))
    return {"return": float(eq[-1] - 1.0),
            "sharpe": float(rets.mean() / sd * np.sqrt(HOURS_PER_YEAR)) if sd > 0 else None,
            "sortino": float(rets.mean() / downside * np.sqrt(HOURS_PER_YEAR)) if downside > 0 else None,
            "max_drawdown": float((1.0 - eq / peak).max())}


def portfolio(runs: list[dict]) -> dict:
    """Equal capital in each symbol, never rebalanced: the mean of the symbols'
    equity curves on the union of their times (1 before a symbol's first step,
    its last value after its last)."""
    times = np.unique(np.concatenate([r["times"] for r in runs]))
    total = np.zeros(len(times))
    for r in runs:
        k = np.searchsorted(r["times"], times, side="right") - 1
        total += np.where(k >= 0, r["equity"][np.maximum(k, 0)], 1.0)
    return {"times": times, "equity": total / len(runs)}


def backtest_summary(runs: dict[str, dict], cfg: SimConfig) -> dict:
    """The manifest's `agent` block: the portfolio over all symbols, then each symbol."""
    port = portfolio(list(runs.values()))
    steps = sum(len(r["equity"]) for r in runs.values())
    out = curve_stats(port["equity"])
    out.update({
        "trades": int(sum(r["trades"] for r in runs.values())),
        "long_exposure": float(sum((r["position"] == 1).sum() for r in runs.values()) / steps),
        "short_exposure": float(sum((r["position"] == -1).sum() for r in runs.values()) / steps),
        "mean_reward": float(sum(r["reward_sum"] for r in runs.values()) / steps),
        "buy_and_hold_return": float(np.mean([r["buy_and_hold"] for r in runs.values()])),
        "bars": int(steps),
        "settings": {"leverage": cfg.leverage, "fee": cfg.fee, "slippage": cfg.slippage,
                     "downside_penalty": cfg.downside_penalty},
        "symbols": {},
    })
    for name, r in runs.items():
        block = curve_stats(r["equity"])
        block.update({"trades": int(r["trades"]), "long_exposure": float((r["position"] == 1).mean()),
                      "short_exposure": float((r["position"] == -1).mean()),
                      "fees_and_slippage": float(r["fees"]), "funding": float(r["funding"]),
                      "buy_and_hold_return": r["buy_and_hold"], "bars": int(len(r["equity"])),
                      "first_mark": utc_iso(int(r["times"][0])), "last_mark": utc_iso(int(r["times"][-1]))})
        out["symbols"][name] = block
    return out
