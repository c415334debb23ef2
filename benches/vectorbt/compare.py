#!/usr/bin/env python3
"""cockpit backtest side by side with vectorbt and with plain pandas.

The default strategy (trend_momentum_volatility) is written three times:
cockpit itself (`cockpit backtest`), vectorbt (a custom indicator built with
`vbt.IndicatorFactory` from Numba kernels, and `vbt.Portfolio.from_signals`
with stop-loss and take-profit), and plain pandas/NumPy (indicators with
`Series.ewm`, the one-position-at-a-time simulation in a Python loop over the
signals). All three run on the same candle file in one go; the script prints
the trade counts, the entries that differ and the time each took, indicator
computation included.

What is modelled (see README.md next to this file for the details):
  * the entry rules of src/strategy/trend_momentum.rs with the parameters of
    cockpit's effective configuration (`cockpit config check`), and the
    indicators seeded as src/indicators/ seeds them (TA-Lib style);
  * a market entry filling at the NEXT candle's open with slippage, rounded
    to the tick against the trader; the stop and the take-profit placed
    stop_atr_mult/take_profit_atr_mult ATRs from the signal close on the tick
    grid, then moved by (fill - rounded close) (src/engine/reports.rs);
  * one position at a time: no entry while a position is open; a signal on
    the close of the candle whose range closed the position enters on the
    next open, also when that candle is the one whose open filled the entry
    (Runner::step processes the stop's fill before that candle's close);
  * the stop and the take-profit triggered by the candle range, on the entry
    candle too; the stop first when one candle touches both, the take-profit
    at the open when the market opens beyond it;
  * the times cockpit stamps: an entry at the open time of the candle whose
    open filled it (src/exec/paper.rs), an exit at the close time of the
    candle whose range reached the stop or the take-profit.
NOT modelled: the 3-losses cooldown and the daily loss breaker (cockpit runs
here with a configuration that switches both off, written to a temporary
file), position sizing (vectorbt trades a fixed size), funding and
liquidation (an isolated 5x liquidation is ~19 % away, the stop at most
1.5 x 5 % = 7.5 %).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DATA_REL = "klines/BTCUSDT-1h-umfutures.csv"

# Prices are compared as integers of 1/SCALE USDT, so that "low <= stop" is
# exact as it is on cockpit's Decimal prices.
SCALE = 10_000
# src/exec/instruments.rs: the paper exchange's tick sizes.
TICKS = {"BTCUSDT": "0.1", "ETHUSDT": "0.01", "SOLUSDT": "0.01"}
DEFAULT_TICK = "0.0001"
TA_EPSILON = 1e-14  # src/indicators/talib.rs

# The comparison's configuration: cockpit's defaults with the cooldown and the
# daily loss breaker out of the way (validate.rs allows daily_loss_limit up to
# 0.5; a 50 % loss within one UTC day never happens at 1 % risk per trade).
COMPARE_CONFIG = """\
# Written by benches/vectorbt/compare.py: the defaults, without the cooldown
# and the circuit breaker, which the vectorbt and pandas versions do not model.
[risk]
cooldown_losses = 1000000000
daily_loss_limit = 0.5
"""


# --------------------------------------------------------------------------
# Shared: input, parameters, signal rules, levels
# --------------------------------------------------------------------------


def default_data_path() -> Path:
    shared = os.environ.get("COCKPIT_SHARED_DATA")
    if shared:
        return Path(shared) / DATA_REL
    return REPO.parent / "shared" / "data" / DATA_REL


def load_candles(path: Path) -> pd.DataFrame:
    df = pd.read_csv(
        path,
        usecols=["open_time_ms", "open", "high", "low", "close"],
        dtype={"open_time_ms": np.int64, "open": np.float64, "high": np.float64,
               "low": np.float64, "close": np.float64},
        engine="c",
    )
    t = df["open_time_ms"].to_numpy()
    # cockpit's reader skips duplicate and out-of-order rows.
    if len(t) > 1 and not (np.diff(t) > 0).all():
        prev_max = np.maximum.accumulate(np.r_[np.iinfo(np.int64).min, t[:-1]])
        df = df[t > prev_max].reset_index(drop=True)
    return df


def bar_ms(df: pd.DataFrame) -> int:
    """The candle interval: the smallest step between open times."""
    return int(np.diff(df["open_time_ms"].to_numpy()).min())


def scaled(x: np.ndarray) -> np.ndarray:
    """Prices as exact integers of 1/SCALE (the CSV has at most 4 decimals)."""
    u = np.rint(x * SCALE)
    if np.abs(x * SCALE - u).max() > 1e-3:
        raise SystemExit(f"prices with more than {int(math.log10(SCALE))} decimals")
    return u.astype(np.int64)


class Params:
    """The strategy's inputs, read from cockpit's effective configuration."""

    def __init__(self, cfg: dict, symbol: str):
        s, i, p = cfg["strategy"], cfg["indicators"], cfg["paper"]
        if s["name"] != "trend_momentum_volatility":
            raise SystemExit(f"strategy.name is {s['name']!r}; this compares trend_momentum_volatility")
        if cfg["engine"]["entry_order"] != "market":
            raise SystemExit("engine.entry_order must be \"market\" for this comparison")
        self.ema_fast, self.ema_slow = int(s["ema_fast"]), int(s["ema_slow"])
        self.rsi_n, self.atr_n, self.adx_n = int(i["rsi_period"]), int(i["atr_period"]), int(i["adx_period"])
        self.rsi_long = (float(s["rsi_long_min"]), float(s["rsi_long_max"]))
        self.rsi_short = (float(s["rsi_short_min"]), float(s["rsi_short_max"]))
        self.adx_min = float(s["adx_min"])
        self.atr_pct = (float(s["atr_pct_min"]), float(s["atr_pct_max"]))
        self.stop_mult, self.tp_mult = float(s["stop_atr_mult"]), float(s["take_profit_atr_mult"])
        # Slippage as an exact fraction num/den (it is a Decimal in cockpit).
        slip = str(p["slippage"])
        self.slip_den = 10 ** (len(slip.split(".")[1]) if "." in slip else 0)
        self.slip_num = round(float(slip) * self.slip_den)
        self.slippage = float(slip)
        self.taker_fee = float(p["taker_fee"])
        self.tick = round(float(TICKS.get(symbol, DEFAULT_TICK)) * SCALE)


def signal_sides(close, fast, slow, rsi, atr, adx, pdi, mdi, P: Params) -> np.ndarray:
    """+1 long, -1 short, 0 nothing: TrendMomentumVolatility::on_closed.

    Every comparison is False on NaN (a warming-up indicator), as in cockpit.
    """
    prev_rsi = np.r_[np.nan, rsi[:-1]]
    with np.errstate(invalid="ignore"):
        up = (fast > slow) & (close > fast)
        down = (fast < slow) & (close < fast)
        long_ = (up & (P.rsi_long[0] <= rsi) & (rsi <= P.rsi_long[1]) & (rsi > prev_rsi)
                 & (adx >= P.adx_min) & (pdi > mdi))
        short = (down & (P.rsi_short[0] <= rsi) & (rsi <= P.rsi_short[1]) & (rsi < prev_rsi)
                 & (adx >= P.adx_min) & (mdi > pdi))
        atr_pct = atr / close
        vol_ok = (P.atr_pct[0] <= atr_pct) & (atr_pct <= P.atr_pct[1])
    side = np.zeros(len(close), dtype=np.int8)
    side[long_ & vol_ok] = 1
    side[short & vol_ok] = -1
    # A signal on the last candle has no next open to fill at.
    side[-1:] = 0
    return side


def _floor_div(a, b):
    return np.floor_divide(a, b)


def _ceil_div(a, b):
    return -np.floor_divide(-a, b)


def entry_levels(idx, side, close_u, open_u, atr, P: Params):
    """Fill, stop and take-profit (integers of 1/SCALE) of entries signalled at `idx`.

    decide.rs/sizing.rs: entry = close rounded to the nearest tick (half away
    from zero), stop rounded away from it, take-profit toward it; paper.rs:
    the market order fills at the next open made worse by the slippage and
    rounded to the tick against the trader; reports.rs: both levels move by
    (fill - entry) and stay put when that would put one on the wrong side.
    """
    t = P.tick
    c = close_u[idx]
    o = open_u[idx + 1]
    a = atr[idx]
    off_s = (P.stop_mult * a) * SCALE
    off_t = (P.tp_mult * a) * SCALE
    q, r = np.divmod(c, t)
    entry = (q + (2 * r >= t)) * t
    long_ = side > 0
    # Long: levels down; short: levels up.
    stop0 = np.where(long_, np.floor((c - off_s) / t), np.ceil((c + off_s) / t)).astype(np.int64) * t
    tp0 = np.where(long_, np.floor((c + off_t) / t), np.ceil((c - off_t) / t)).astype(np.int64) * t
    den = P.slip_den * t
    fill = np.where(
        long_,
        _ceil_div(o * (P.slip_den + P.slip_num), den),
        _floor_div(o * (P.slip_den - P.slip_num), den),
    ) * t
    shift = fill - entry
    stop, tp = stop0 + shift, tp0 + shift
    valid = np.where(long_, (stop < fill) & (tp > fill) & (stop != 0), (stop > fill) & (tp < fill) & (tp != 0))
    stop = np.where(valid, stop, stop0)
    tp = np.where(valid, tp, tp0)
    return fill, stop, tp


# --------------------------------------------------------------------------
# Plain pandas
# --------------------------------------------------------------------------


def _seeded_ewm(x: np.ndarray, start: int, n_seed: int, alpha: float, divisor: float | None = None) -> np.ndarray:
    """Mean of x[start:start+n_seed] (summed in order, like cockpit), placed at
    start+n_seed-1, then an ewm(adjust=False) over the following inputs."""
    out = np.full(len(x), np.nan)
    first = start + n_seed - 1
    if first >= len(x):
        return out
    seed = np.cumsum(x[start:start + n_seed])[-1] / (divisor if divisor else n_seed)
    series = pd.Series(np.r_[seed, x[first + 1:]])
    out[first:] = series.ewm(alpha=alpha, adjust=False, ignore_na=True).mean().to_numpy()
    return out


def indicators_pandas(df: pd.DataFrame, P: Params):
    close = df["close"]
    c = close.to_numpy()
    h = df["high"].to_numpy()
    lo = df["low"].to_numpy()

    def ema(n):
        return _seeded_ewm(c, 0, n, 2.0 / (n + 1))

    # RSI: Wilder's averages of the gains and losses, seeded by their mean.
    n = P.rsi_n
    delta = close.diff().to_numpy()
    gain = np.where(delta < 0, 0.0, delta)
    loss = np.where(delta < 0, -delta, 0.0)
    g = _seeded_ewm(gain, 1, n, 1.0 / n)
    lo_ = _seeded_ewm(loss, 1, n, 1.0 / n)
    total = g + lo_
    with np.errstate(invalid="ignore", divide="ignore"):
        rsi = np.where(np.abs(total) < TA_EPSILON, 0.0, 100.0 * (g / total))

    # True range and ATR.
    prev_c = close.shift(1).to_numpy()
    tr = np.maximum(h - lo, np.maximum(np.abs(h - prev_c), np.abs(lo - prev_c)))
    atr = _seeded_ewm(tr, 1, P.atr_n, 1.0 / P.atr_n)

    # ADX: TA-Lib sums n-1 moves first, then s - s/n + x; as averages that is
    # an ewm(alpha=1/n) seeded with (sum of the first n-1) / n.
    n = P.adx_n
    up = h - df["high"].shift(1).to_numpy()
    dn = df["low"].shift(1).to_numpy() - lo
    with np.errstate(invalid="ignore"):
        minus_first = (dn > 0) & (up < dn)
        pdm = np.where(~minus_first & (up > 0) & (up > dn), up, 0.0)
        mdm = np.where(minus_first, dn, 0.0)
    s_p = _seeded_ewm(pdm, 1, n - 1, 1.0 / n, divisor=n)
    s_m = _seeded_ewm(mdm, 1, n - 1, 1.0 / n, divisor=n)
    s_tr = _seeded_ewm(tr, 1, n - 1, 1.0 / n, divisor=n)
    s_p[:n] = s_m[:n] = s_tr[:n] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        no_tr = np.abs(s_tr) < TA_EPSILON / n
        pdi = np.where(no_tr, 0.0, 100.0 * (s_p / s_tr))
        mdi = np.where(no_tr, 0.0, 100.0 * (s_m / s_tr))
        dsum = mdi + pdi
        dx = np.where(no_tr | (np.abs(dsum) < TA_EPSILON), np.nan, 100.0 * (np.abs(mdi - pdi) / dsum))
    adx = np.full(len(c), np.nan)
    if 2 * n - 1 < len(c):
        # The mean of the first n DX (a missing one counts 0), then Wilder;
        # a missing DX later keeps the ADX (ignore_na).
        seed = np.cumsum(np.nan_to_num(dx[n:2 * n]))[-1] / n
        series = pd.Series(np.r_[seed, dx[2 * n:]])
        adx[2 * n - 1:] = series.ewm(alpha=1.0 / n, adjust=False, ignore_na=True).mean().to_numpy()
    return dict(fast=ema(P.ema_fast), slow=ema(P.ema_slow), rsi=rsi, atr=atr, adx=adx, pdi=pdi, mdi=mdi)


def _first_hit(low_u, high_u, start, long_, stop, tp):
    """First candle index >= start whose range reaches the stop or the take-profit."""
    n = len(low_u)
    width = 64
    i = start
    while i < n:
        j = min(n, i + width)
        lo, hi = low_u[i:j], high_u[i:j]
        hit = (lo <= stop) | (hi >= tp) if long_ else (hi >= stop) | (lo <= tp)
        k = hit.argmax()
        if hit[k]:
            return i + k
        i, width = j, width * 2
    return -1


def backtest_pandas(path: Path, P: Params):
    """Returns the trades, the indicators, how many entries were signalled on
    the close of a candle that stopped out (or took profit on) the trade
    entered at its open, the time of each phase, and the signals."""
    clock = [time.perf_counter()]
    lap = lambda: clock.append(time.perf_counter())
    df = load_candles(path)
    lap()
    ind = indicators_pandas(df, P)
    lap()
    c = df["close"].to_numpy()
    side = signal_sides(c, ind["fast"], ind["slow"], ind["rsi"], ind["atr"], ind["adx"], ind["pdi"], ind["mdi"], P)
    open_u, high_u, low_u, close_u = (scaled(df[k].to_numpy()) for k in ("open", "high", "low", "close"))
    idx = np.flatnonzero(side)
    fill, stop, tp = entry_levels(idx, side[idx], close_u, open_u, ind["atr"], P)
    lap()
    # cockpit stamps an entry with the open time of the candle whose open
    # filled it, and an exit with the close time of the candle it happened in.
    t_open = df["open_time_ms"].to_numpy()
    t_close = t_open + bar_ms(df)
    trades = []
    same_candle = 0
    free_from = 0  # the first candle whose close may signal an entry
    for k in range(len(idx)):
        i = int(idx[k])
        if i < free_from:
            continue
        long_ = side[i] > 0
        s, tpk = int(stop[k]), int(tp[k])
        e = i + 1  # the entry candle
        j = _first_hit(low_u, high_u, e, long_, s, tpk)
        if j < 0:
            trades.append((int(t_open[e]), int(side[i]), None, "open", fill[k], s, tpk))
            break
        if j == e:  # entry window: the stop is placed (and checked) first
            hit_stop = low_u[j] <= s if long_ else high_u[j] >= s
            reason = "stop" if hit_stop else "take_profit"
        elif (open_u[j] >= tpk) if long_ else (open_u[j] <= tpk):
            reason = "take_profit"  # opened through the take-profit
        else:
            hit_stop = low_u[j] <= s if long_ else high_u[j] >= s
            reason = "stop" if hit_stop else "take_profit"
        trades.append((int(t_open[e]), int(side[i]), int(t_close[j]), reason, fill[k], s, tpk))
        # The exit happens inside candle j, so its close may signal the next
        # entry, the entry candle's close too: cockpit processes a stop or a
        # take-profit filled in that candle before it decides on its close.
        same_candle += j == e and side[j] != 0
        free_from = j
    lap()
    phases = np.diff(clock)
    return trades, ind, int(same_candle), dict(zip(("load", "indicators", "signals", "simulation"), phases)), side


# --------------------------------------------------------------------------
# vectorbt
# --------------------------------------------------------------------------


def build_vectorbt():
    """Imports vectorbt and defines the Numba kernels (compiled on first use)."""
    import vectorbt as vbt
    from numba import njit, types
    from numba.extending import intrinsic

    @intrinsic
    def fma(typingctx, a, b, c):
        # f64::mul_add, which cockpit's EMA and ATR steps use: one rounding.
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(context, builder, signature, args):
            return builder.fma(*args)

        return sig, codegen

    @njit
    def ta_is_zero(v):
        return -1e-14 < v < 1e-14

    @njit
    def ema_nb(x, n, out):
        k = 2.0 / (n + 1)
        s = 0.0
        for i in range(len(x)):
            if i < n - 1:
                s += x[i]
                out[i] = np.nan
            elif i == n - 1:
                s += x[i]
                out[i] = s / n
            else:
                prev = out[i - 1]
                out[i] = fma(x[i] - prev, k, prev)

    @njit
    def true_range_nb(h, lo, pc):
        tr = h - lo
        up = abs(h - pc)
        if up > tr:
            tr = up
        down = abs(lo - pc)
        if down > tr:
            tr = down
        return tr

    @njit
    def rsi_nb(c, n, out):
        # Wilder "classic": (avg*(n-1) + x)/n, seeded by the mean of n changes.
        out[0] = np.nan
        g = 0.0
        l = 0.0
        for i in range(1, len(c)):
            ch = c[i] - c[i - 1]
            if ch < 0:
                u, d = 0.0, -ch
            else:
                u, d = ch, 0.0
            if i < n:
                g += u
                l += d
                out[i] = np.nan
                continue
            if i == n:
                g = (g + u) / n
                l = (l + d) / n
            else:
                g = (g * (n - 1.0) + u) / n
                l = (l * (n - 1.0) + d) / n
            tot = g + l
            out[i] = 0.0 if ta_is_zero(tot) else 100.0 * (g / tot)

    @njit
    def atr_nb(h, lo, c, n, out):
        # Wilder "fused": fma(beta, avg, alpha*x), beta = (n-1)/n, alpha = 1 - beta.
        beta = (n - 1.0) / n
        alpha = 1.0 - beta
        out[0] = np.nan
        a = 0.0
        for i in range(1, len(c)):
            tr = true_range_nb(h[i], lo[i], c[i - 1])
            if i < n:
                a += tr
                out[i] = np.nan
            elif i == n:
                a = (a + tr) / n
                out[i] = a
            else:
                a = fma(beta, a, alpha * tr)
                out[i] = a

    @njit
    def adx_nb(h, lo, c, n, adx_out, pdi_out, mdi_out):
        sp = 0.0
        sm = 0.0
        st = 0.0
        sum_dx = 0.0
        adx = np.nan
        nf = float(n)
        adx_out[0] = pdi_out[0] = mdi_out[0] = np.nan
        for i in range(1, len(c)):
            up = h[i] - h[i - 1]
            dn = lo[i - 1] - lo[i]
            if dn > 0.0 and up < dn:
                p, m = 0.0, dn
            elif up > 0.0 and up > dn:
                p, m = up, 0.0
            else:
                p, m = 0.0, 0.0
            tr = true_range_nb(h[i], lo[i], c[i - 1])
            if i < n:
                sp += p
                sm += m
                st += tr
                adx_out[i] = pdi_out[i] = mdi_out[i] = np.nan
                continue
            sp = sp - sp / nf + p
            sm = sm - sm / nf + m
            st = st - st / nf + tr
            has_di = not ta_is_zero(st)
            pdi = 100.0 * (sp / st) if has_di else 0.0
            mdi = 100.0 * (sm / st) if has_di else 0.0
            has_dx = False
            dx = 0.0
            if has_di:
                s = mdi + pdi
                if not ta_is_zero(s):
                    has_dx = True
                    dx = 100.0 * (abs(mdi - pdi) / s)
            if i < 2 * n - 1:
                sum_dx += dx
            elif i == 2 * n - 1:
                sum_dx += dx
                adx = sum_dx / nf
            elif has_dx and not np.isnan(adx):
                adx = (adx * (nf - 1.0) + dx) / nf
            adx_out[i] = adx
            pdi_out[i] = pdi
            mdi_out[i] = mdi

    @njit
    def cockpit_ta_nb(high, low, close, ema_fast, ema_slow, rsi_n, atr_n, adx_n):
        shape = close.shape
        fast = np.empty(shape)
        slow = np.empty(shape)
        rsi = np.empty(shape)
        atr = np.empty(shape)
        adx = np.empty(shape)
        pdi = np.empty(shape)
        mdi = np.empty(shape)
        for col in range(shape[1]):
            ema_nb(close[:, col], ema_fast, fast[:, col])
            ema_nb(close[:, col], ema_slow, slow[:, col])
            rsi_nb(close[:, col], rsi_n, rsi[:, col])
            atr_nb(high[:, col], low[:, col], close[:, col], atr_n, atr[:, col])
            adx_nb(high[:, col], low[:, col], close[:, col], adx_n, adx[:, col], pdi[:, col], mdi[:, col])
        return fast, slow, rsi, atr, adx, pdi, mdi

    CockpitTA = vbt.IndicatorFactory(
        class_name="CockpitTA",
        input_names=["high", "low", "close"],
        param_names=["ema_fast", "ema_slow", "rsi_n", "atr_n", "adx_n"],
        output_names=["fast", "slow", "rsi", "atr", "adx", "pdi", "mdi"],
    ).from_apply_func(cockpit_ta_nb)
    return vbt, CockpitTA


def backtest_vectorbt(path: Path, P: Params, vbt, CockpitTA):
    from vectorbt.portfolio.enums import StopEntryPrice

    clock = [time.perf_counter()]
    lap = lambda: clock.append(time.perf_counter())
    df = load_candles(path)
    lap()
    ta = CockpitTA.run(
        df["high"], df["low"], df["close"],
        ema_fast=P.ema_fast, ema_slow=P.ema_slow, rsi_n=P.rsi_n, atr_n=P.atr_n, adx_n=P.adx_n,
    )
    ind = {k: getattr(ta, k).to_numpy() for k in ("fast", "slow", "rsi", "atr", "adx", "pdi", "mdi")}
    lap()
    c = df["close"].to_numpy()
    side = signal_sides(c, ind["fast"], ind["slow"], ind["rsi"], ind["atr"], ind["adx"], ind["pdi"], ind["mdi"], P)
    open_u, close_u = scaled(df["open"].to_numpy()), scaled(c)
    idx = np.flatnonzero(side)
    fill, stop, tp = entry_levels(idx, side[idx], close_u, open_u, ind["atr"], P)

    # Two rows per candle: row 2i is candle i trading (open, high, low), where
    # the stops trigger; row 2i+1 is its close, where a signal enters at the
    # next open's fill price. vectorbt then checks the stops from the next row
    # on, which is the entry candle itself, as cockpit's paper exchange does,
    # and a candle can both close a trade (row 2i) and signal the next (2i+1),
    # the entry candle included.
    n = len(df)
    o, h, lo = (df[k].to_numpy() for k in ("open", "high", "low"))
    grid = lambda a, b: np.column_stack((a, b)).ravel()
    g_open, g_high, g_low, g_close = grid(o, c), grid(h, c), grid(lo, c), grid(c, c)
    rows = 2 * idx + 1
    long_entries = np.zeros(2 * n, dtype=bool)
    short_entries = np.zeros(2 * n, dtype=bool)
    long_entries[rows[side[idx] > 0]] = True
    short_entries[rows[side[idx] < 0]] = True
    price = g_close.copy()
    price[rows] = fill / SCALE
    # Stops as fractions of the fill, half a price unit inside the integer
    # level so that float rounding cannot turn "low == stop" either way.
    long_ = side[idx] > 0
    f = fill.astype(np.float64)
    sl = np.full(2 * n, np.nan)
    tpf = np.full(2 * n, np.nan)
    sl[rows] = np.where(long_, 1.0 - (stop + 0.5) / f, (stop - 0.5) / f - 1.0)
    tpf[rows] = np.where(long_, (tp - 0.5) / f - 1.0, 1.0 - (tp + 0.5) / f)
    slippage = np.tile([P.slippage, 0.0], n)  # entries have it in their fill price
    lap()
    pf = vbt.Portfolio.from_signals(
        close=g_close, open=g_open, high=g_high, low=g_low,
        entries=long_entries, short_entries=short_entries,
        price=price, size=1.0, fees=P.taker_fee, slippage=slippage,
        sl_stop=sl, tp_stop=tpf, stop_entry_price=StopEntryPrice.Price,
        upon_opposite_entry="ignore", accumulate=False, init_cash=1e12,
    )
    rec = pf.trades.records
    # As cockpit stamps them: the entry at the open time of the candle after
    # the signal, the exit at the close time of the candle that reached a level.
    t_open = df["open_time_ms"].to_numpy()
    t_close = t_open + bar_ms(df)
    trades = []
    for entry_row, exit_row, direction, status in zip(rec["entry_idx"], rec["exit_idx"], rec["direction"], rec["status"]):
        i = entry_row // 2
        if status == 0:  # open
            trades.append((int(t_open[i + 1]), 1 if direction == 0 else -1, None, "open"))
        else:
            trades.append((int(t_open[i + 1]), 1 if direction == 0 else -1, int(t_close[exit_row // 2]), "closed"))
    lap()
    phases = np.diff(clock)
    return trades, ind, dict(zip(("load", "indicators", "signals", "simulation"), phases)), side


# --------------------------------------------------------------------------
# cockpit
# --------------------------------------------------------------------------


def cockpit_env():
    # COCKPIT_<SECTION>_<KEY> variables would override the configuration.
    return {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_") or k == "COCKPIT_SHARED_DATA"}


def effective_config(binary: Path, config: Path) -> dict:
    out = subprocess.run([str(binary), "config", "check", str(config)], capture_output=True, text=True,
                         env=cockpit_env())
    if out.returncode != 0:
        raise SystemExit(f"cockpit config check failed:\n{out.stderr}{out.stdout}")
    return tomllib.loads(out.stdout)


def run_cockpit(binary: Path, config: Path, data: Path, json_out: Path):
    """Runs `cockpit backtest`; returns (wall s, CPU s, the JSON result)."""
    cmd = [str(binary), "--config", str(config), "backtest", "--data", str(data), "--json", str(json_out)]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=cockpit_env())
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, json.loads(json_out.read_text())


def timed(fn, *args):
    """(wall s, CPU s of this process, fn's result)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0, out


def cockpit_indicators(binary: Path, config: Path, data: Path, out: Path) -> pd.DataFrame:
    cmd = [str(binary), "--config", str(config), "indicators", "--input", str(data), "--output", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, env=cockpit_env())
    return pd.read_csv(out)


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def fmt_ms(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))


def differing(a, b):
    """Entries (time, side) in one list and not in the other."""
    sa, sb = {(x[0], x[1]) for x in a}, {(x[0], x[1]) for x in b}
    return sorted(sa - sb), sorted(sb - sa)


def report_diff(name, ref, other, show):
    only_ref, only_other = differing(ref, other)
    total = len(only_ref) + len(only_other)
    print(f"  cockpit vs {name:<9} {total} differing entries "
          f"({len(only_ref)} only in cockpit, {len(only_other)} only in {name})")
    side = {1: "long", -1: "short"}
    for label, items in (("cockpit", only_ref), (name, only_other)):
        for t, s in items[:show]:
            print(f"      only in {label:<9} {fmt_ms(t)} UTC ({t}) {side[s]}")
        if len(items) > show:
            print(f"      ... and {len(items) - show} more only in {label}")
    by_entry = {(x[0], x[1]): x for x in ref}
    common = [(by_entry[(x[0], x[1])], x) for x in other if (x[0], x[1]) in by_entry]
    same_exit = sum(1 for a, b in common if a[2] == b[2])
    print(f"  {'':<21} exits: {same_exit} of {len(common)} common trades close on the same candle", end="")
    if common and len(common[0][1]) > 4:
        same_reason = sum(1 for a, b in common if a[3] == b[3])
        same_levels = sum(1 for a, b in common if a[4:7] == tuple(int(v) for v in b[4:7]))
        print(f", {same_reason} by the same order (stop/take-profit), "
              f"{same_levels} with the same fill, stop and take-profit prices", end="")
    print()
    return total


def indicator_check(ref: pd.DataFrame, mine: dict, P: Params, label: str):
    cols = {"fast": f"ema{P.ema_fast}", "slow": f"ema{P.ema_slow}", "rsi": f"rsi{P.rsi_n}", "atr": f"atr{P.atr_n}",
            "adx": f"adx{P.adx_n}", "pdi": f"plus_di{P.adx_n}", "mdi": f"minus_di{P.adx_n}"}
    parts = []
    for k, col in cols.items():
        a = ref[col].to_numpy()
        b = mine[k]
        both_nan = np.isnan(a) & np.isnan(b)
        same = (a == b) | both_nan
        warm_same = (np.isnan(a) == np.isnan(b)).all()
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.nanmax(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)) if (~both_nan).any() else 0.0
        parts.append(f"{k} {'=' if same.all() else f'{(~same).sum()} differ (max rel {rel:.1e})'}"
                     + ("" if warm_same else " WARM-UP DIFFERS"))
    print(f"  {label:<9} vs cockpit's `indicators`: " + ", ".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", type=Path, default=None,
                    help=f"candle CSV (default: $COCKPIT_SHARED_DATA/{DATA_REL}, else ../shared/data/{DATA_REL} "
                         "beside the repository)")
    ap.add_argument("--cockpit", type=Path, default=None,
                    help="cockpit binary (default: $CARGO_TARGET_DIR/release/cockpit, else target/release/cockpit)")
    ap.add_argument("--runs", type=int, default=3, help="warm runs of each after the first; the best is reported")
    ap.add_argument("--show", type=int, default=5, help="differing entries listed per side (default 5)")
    ap.add_argument("--no-indicator-check", action="store_true",
                    help="skip comparing the indicators with `cockpit indicators` bit for bit")
    args = ap.parse_args()
    runs = max(args.runs, 1)

    data = (args.data or default_data_path()).resolve()
    if not data.is_file():
        raise SystemExit(f"{data}: no such file (pass the candle CSV as the first argument)")
    # Cargo reads a relative CARGO_TARGET_DIR from where it runs: run.sh runs it in the repository.
    binary = args.cockpit or REPO / (os.environ.get("CARGO_TARGET_DIR") or "target") / "release" / "cockpit"
    binary = binary.resolve()
    if not binary.is_file():
        raise SystemExit(f"{binary}: not built (cargo build --release)")
    symbol = data.name.split("-")[0].split("_")[0].split(".")[0]

    with tempfile.TemporaryDirectory(prefix="cockpit-vbt-") as tmp:
        tmp = Path(tmp)
        config = tmp / "compare.toml"
        config.write_text(COMPARE_CONFIG)
        P = Params(effective_config(binary, config), symbol)

        print(f"data       {data} ({symbol}, tick {P.tick / SCALE:g})")
        print(f"strategy   trend_momentum_volatility: EMA{P.ema_fast} vs EMA{P.ema_slow} and close vs EMA{P.ema_fast}, "
              f"RSI{P.rsi_n} in [{P.rsi_long[0]:g}, {P.rsi_long[1]:g}] rising / [{P.rsi_short[0]:g}, "
              f"{P.rsi_short[1]:g}] falling, ADX{P.adx_n} >= {P.adx_min:g} with the DIs agreeing, "
              f"ATR{P.atr_n}/close in [{P.atr_pct[0]:g}, {P.atr_pct[1]:g}]; stop {P.stop_mult:g} ATR, "
              f"take-profit {P.tp_mult:g} ATR; market entry at the next open, slippage {P.slippage:g}")
        print("cockpit    --config with risk.cooldown_losses = 1000000000 and risk.daily_loss_limit = 0.5: "
              "no cooldown, no breaker (not modelled in pandas/vectorbt)")
        print()

        # First runs: cockpit's first process, pandas' first call, vectorbt's
        # import and its first call (Numba compiles on it).
        ck_runs, pd_runs, vbt_runs = [], [], []
        wall, cpu, result = run_cockpit(binary, config, data, tmp / "bt.json")
        ck_runs.append((wall, cpu, result["elapsed_ms"]))
        wall, cpu, (pd_trades, pd_ind, pd_same_candle, pd_phases, pd_side) = timed(backtest_pandas, data, P)
        pd_runs.append((wall, cpu, pd_phases))
        vbt_import, _, (vbt, CockpitTA) = timed(build_vectorbt)
        wall, cpu, (vbt_trades, vbt_ind, vbt_phases, vbt_side) = timed(
            backtest_vectorbt, data, P, vbt, CockpitTA)
        vbt_runs.append((wall, cpu, vbt_phases))
        # Warm runs, interleaved so that the machine's load falls on all three alike.
        for _ in range(runs):
            wall, cpu, result = run_cockpit(binary, config, data, tmp / "bt.json")
            ck_runs.append((wall, cpu, result["elapsed_ms"]))
            wall, cpu, (pd_trades, pd_ind, pd_same_candle, pd_phases, pd_side) = timed(backtest_pandas, data, P)
            pd_runs.append((wall, cpu, pd_phases))
            wall, cpu, (vbt_trades, vbt_ind, vbt_phases, vbt_side) = timed(
                backtest_vectorbt, data, P, vbt, CockpitTA)
            vbt_runs.append((wall, cpu, vbt_phases))

        m = result["metrics"]
        units = lambda x: int(Decimal(x) * SCALE)
        ck_trades = [(t["entry_time_ms"], 1 if t["side"] == "buy" else -1, t["exit_time_ms"], t["exit_reason"],
                      units(t["entry_price"]), units(t["stop_price"]), units(t["take_profit_price"]))
                     for t in result["trades"]]
        pd_closed = [x for x in pd_trades if x[2] is not None]
        vbt_closed = [x for x in vbt_trades if x[2] is not None]
        print(f"bars       {result['bars']}")
        print("trades     (closed ones; cockpit lists no trade for a position still open at the end)")
        print(f"  cockpit  {len(ck_trades):>6}   open at the end: {m.get('open_at_end', '?')}; "
              f"breaker trips {m.get('breaker_trips', '?')}, cooldowns {m.get('cooldowns', '?')}")
        print(f"  pandas   {len(pd_closed):>6}   open at the end: {len(pd_trades) - len(pd_closed)}")
        print(f"  vectorbt {len(vbt_closed):>6}   open at the end: {len(vbt_trades) - len(vbt_closed)}")
        print(f"  {pd_same_candle} of pandas' entries were signalled on the close of the candle whose range closed "
              "the trade entered at its open (cockpit knows of that exit before it decides on the close)")
        print()
        print("entries    (time as cockpit's entry_time_ms: the open time of the candle whose open filled it, i.e. the "
              "signal candle's close; and side)")
        print("           (exits as exit_time_ms: the close time of the candle whose range reached the stop or the "
              "take-profit)")
        diffs = report_diff("pandas", ck_trades, pd_closed, args.show)
        diffs += report_diff("vectorbt", ck_trades, vbt_closed, args.show)
        print()

        if not args.no_indicator_check:
            ref = cockpit_indicators(binary, config, data, tmp / "indicators.csv")
            print("indicators (every bar, bit for bit: '=' means the same f64 everywhere)")
            indicator_check(ref, vbt_ind, P, "vectorbt")
            indicator_check(ref, pd_ind, P, "pandas")
            print()

        differ = np.flatnonzero(pd_side != vbt_side)
        print(f"signals    {np.count_nonzero(vbt_side)} (vectorbt, bit-exact indicators); pandas differs on "
              f"{len(differ)}" + (":" if len(differ) else ""))
        candles = load_candles(data)
        closes, t_open = candles["close"].to_numpy(), candles["open_time_ms"].to_numpy()
        for i in differ[:args.show]:
            flat = i > 0 and closes[i] == closes[i - 1]
            print(f"  {fmt_ms(t_open[i])} UTC candle: vectorbt {vbt_side[i]:+d}, pandas {pd_side[i]:+d}"
                  + ("  (close unchanged: 'RSI rising/falling' is a one-ulp rounding tie)" if flat else ""))
        print()

        best = lambda rs, k: min(r[k] for r in rs[1:])
        ms = lambda x: f"{x * 1e3:9.1f}"
        print(f"time (ms)  one run = read the CSV + indicators + signals + simulation; "
              f"first run, then the best of {runs}")
        print("                first wall   best wall    best CPU")
        print(f"  cockpit     {ms(ck_runs[0][0])}    {ms(best(ck_runs, 0))}   {ms(best(ck_runs, 1))}   "
              f"whole process; its own elapsed_ms: first {ck_runs[0][2]}, best {best(ck_runs, 2)}")
        print(f"  pandas      {ms(pd_runs[0][0])}    {ms(best(pd_runs, 0))}   {ms(best(pd_runs, 1))}")
        print(f"  vectorbt    {ms(vbt_runs[0][0])}    {ms(best(vbt_runs, 0))}   {ms(best(vbt_runs, 1))}   "
              f"first = cold: Numba compiles the kernels and the simulator; "
              f"`import vectorbt` ({vbt_import * 1e3:.0f} ms) not counted")
        for name, rs in (("pandas", pd_runs), ("vectorbt", vbt_runs)):
            fastest = min(rs[1:], key=lambda r: r[0])[2]
            print(f"  {name} phases of its best run: " + ", ".join(f"{k} {v * 1e3:.1f}" for k, v in fastest.items()))
        print()
        print("ratios     other's time / cockpit's time (above 1: cockpit is faster)")
        for name, rs in (("vectorbt", vbt_runs), ("pandas", pd_runs)):
            print(f"  cockpit vs {name:<9} warm wall {best(rs, 0) / best(ck_runs, 0):5.2f}x   "
                  f"warm CPU {best(rs, 1) / best(ck_runs, 1):5.2f}x   "
                  f"first run {rs[0][0] / ck_runs[0][0]:6.2f}x")
    return 0 if diffs == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
