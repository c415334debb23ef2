"""The label: did a proposal's take-profit come before its stop?

Proposal on candle t (signal +1 long, -1 short, levels entry/stop/take_profit).
The entry fills at the open of bar t+1; bars t+1 ... t+N are scanned in order and
the first bar that decides wins:
  long:  open >= take_profit -> positive   (gapped through the target)
         open <= stop        -> negative   (gapped through the stop)
         low  <= stop        -> negative   (pessimistic: stop first when a bar
         high >= take_profit -> positive    touches both, since 1h bars do not
                                            say which came first)
  short: the mirror image (open <= tp, open >= stop, high >= stop, low <= tp).
No decision within N bars is a timeout: negative. Proposals with fewer than N bars
after them are dropped, since their outcome is unknown.

R (for reporting, not training), in units of the proposal's risk |entry - stop|:
  take profit first: +|take_profit - entry| / |entry - stop|
  stop first:        -1
  timeout:           side * (close[t+N] - entry) / |entry - stop|  (marked to close)
No fees or slippage.
"""

import numpy as np
import pandas as pd

NEGATIVE, POSITIVE = 0, 1


def label_proposals(export: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per labelled proposal: row (index into export), side, label, r, outcome."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1 bar")
    open_ = export["open"].to_numpy(float)
    high = export["high"].to_numpy(float)
    low = export["low"].to_numpy(float)
    close = export["close"].to_numpy(float)
    signal = export["signal"].to_numpy()
    entry = export["entry"].to_numpy(float)
    stop = export["stop"].to_numpy(float)
    take = export["take_profit"].to_numpy(float)

    rows, sides, labels, rs, outcomes = [], [], [], [], []
    last = len(export) - 1
    for t in np.flatnonzero(signal != 0):
        if t + horizon > last:
            continue  # the outcome window runs past the data
        side = int(np.sign(signal[t]))
        bars = slice(t + 1, t + horizon + 1)
        # Flip shorts into a long frame: price p -> -p turns every short test into the long one.
        o, h, l = side * open_[bars], side * high[bars], side * low[bars]
        tp, sl, e = side * take[t], side * stop[t], side * entry[t]
        if side == -1:
            h, l = l, h  # after negation the bar's high is the old low
        risk = abs(e - sl)
        if not (risk > 0 and tp > e > sl):
            raise ValueError(f"proposal at row {t} has inconsistent levels entry={entry[t]} "
                             f"stop={stop[t]} take_profit={take[t]} for side {side}")
        # First deciding bar: +1 take profit, -1 stop, 0 nothing; priority as documented above.
        event = np.where(o >= tp, 1, np.where(o <= sl, -1, np.where(l <= sl, -1, np.where(h >= tp, 1, 0))))
        hits = np.flatnonzero(event)
        if len(hits) == 0:
            label, r, outcome = NEGATIVE, (side * close[t + horizon] - e) / risk, "timeout"
        elif event[hits[0]] == 1:
            label, r, outcome = POSITIVE, (tp - e) / risk, "take_profit"
        else:
            label, r, outcome = NEGATIVE, -1.0, "stop"
        rows.append(t)
        sides.append(side)
        labels.append(label)
        rs.append(r)
        outcomes.append(outcome)
    return pd.DataFrame({"row": np.asarray(rows, dtype="int64"),
                         "side": np.asarray(sides, dtype="int64"),
                         "label": np.asarray(labels, dtype="int64"),
                         "r": np.asarray(rs, dtype="float64"),
                         "outcome": outcomes})
