"""Metrics of a confirm/veto classifier on one set of labelled proposals, and the
rule that picks the suggested threshold. A proposal is confirmed when its
take-profit probability p >= threshold, vetoed otherwise.
"""

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

CALIBRATION_BINS = 10
# The threshold must leave at least this share of validation proposals confirmed:
# a threshold that keeps a handful of trades would be chosen for its noise.
MIN_CONFIRMED_SHARE = 0.20


def _mean_or_none(values: np.ndarray) -> float | None:
    # None (JSON null) where a metric has no rows to average: never NaN in the manifest.
    return float(values.mean()) if len(values) else None


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Reliability table with equal-count bins by predicted probability (equal-width
    bins would be mostly empty: predictions sit in a narrow band around the base rate)."""
    order = np.argsort(p, kind="stable")
    table = []
    for chunk in np.array_split(order, min(bins, len(order))):
        if len(chunk):
            table.append({"p_mean": float(p[chunk].mean()),
                          "observed": float(y[chunk].mean()),
                          "n": int(len(chunk))})
    return table


def split_metrics(y: np.ndarray, p: np.ndarray, r: np.ndarray, threshold: float) -> dict:
    """The manifest's metrics block for one split or window."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    r = np.asarray(r, dtype=float)
    confirmed = p >= threshold
    two_classes = len(np.unique(y)) == 2
    eps = 1e-15  # log loss of a probability of exactly 0 or 1 would be infinite
    return {
        "n": int(len(y)),
        "base_rate": _mean_or_none(y),
        "auc": float(roc_auc_score(y, p)) if two_classes else None,
        "brier": float(brier_score_loss(y, p, pos_label=1)) if len(y) else None,
        "log_loss": float(log_loss(y, np.clip(p, eps, 1 - eps), labels=[0, 1])) if len(y) else None,
        "confirmed_share": _mean_or_none(confirmed),
        # Share of confirmed proposals that reached take profit first.
        "precision_confirmed": _mean_or_none(y[confirmed]),
        # Share of vetoed proposals that did hit the stop or time out (the veto was right).
        "precision_vetoed": _mean_or_none(1 - y[~confirmed]),
        "mean_r_confirmed": _mean_or_none(r[confirmed]),
        "mean_r_all": _mean_or_none(r),
        "calibration": calibration_table(y, p) if len(y) else [],
    }


def choose_threshold(p: np.ndarray, r: np.ndarray) -> float:
    """On validation: the threshold whose confirmed proposals have the highest mean R,
    among thresholds that confirm at least MIN_CONFIRMED_SHARE of the proposals.
    Candidates are the predicted probabilities themselves (each is a distinct cut);
    ties go to the lower threshold (more trades)."""
    p = np.asarray(p, dtype=float)
    r = np.asarray(r, dtype=float)
    if len(p) == 0:
        raise ValueError("no validation proposals to choose a threshold on")
    order = np.argsort(-p, kind="stable")          # most confident first
    mean_r_top = np.cumsum(r[order]) / np.arange(1, len(p) + 1)
    ps = p[order]
    min_count = max(1, int(np.ceil(MIN_CONFIRMED_SHARE * len(p))))
    best_k, best = None, -np.inf
    for k in range(min_count, len(p) + 1):
        # Only cut between distinct probabilities: a threshold confirms all equal p's.
        if k < len(p) and ps[k] == ps[k - 1]:
            continue
        if mean_r_top[k - 1] >= best - 1e-12:  # >=: on a tie the later, larger k wins
            best_k, best = k, mean_r_top[k - 1]
    # Any threshold in (first vetoed p, last confirmed p] confirms the same proposals:
    # take the one with the fewest decimals, so that it reads well in a config file.
    hi = ps[best_k - 1]
    lo = ps[best_k] if best_k < len(p) else -np.inf
    for decimals in range(1, 9):
        t = np.floor(hi * 10**decimals) / 10**decimals
        if lo < t <= hi:
            return float(round(t, decimals))
    return float(hi)
