"""Unit tests of the pieces whose mistakes would not show in a training run:
the label rules, the threshold rule, the drift bins, the manifest's JSON, the ONNX
export. Run: training/.venv/bin/python -m unittest discover -s training"""

import json
import math
import unittest

import lightgbm as lgb
import numpy as np
import pandas as pd

from evaluate import MIN_CONFIRMED_SHARE, choose_threshold, split_metrics
from labels import label_proposals
from manifest import drift_bins, to_json
from onnx_export import onnx_probabilities, parity_fixture, to_onnx


def candles(bars, signal_row=0, side=1, entry=100.0, stop=98.0, take=104.0):
    """An export-shaped frame: bars are (open, high, low, close); one proposal."""
    df = pd.DataFrame(bars, columns=["open", "high", "low", "close"], dtype=float)
    df["signal"] = 0
    df.loc[signal_row, "signal"] = side
    for col, value in (("entry", entry), ("stop", stop), ("take_profit", take)):
        df[col] = np.nan
        df.loc[signal_row, col] = value
    return df


FLAT = (100, 100.5, 99.5, 100)


class LabelTest(unittest.TestCase):
    def one(self, df, horizon=3):
        out = label_proposals(df, horizon)
        self.assertEqual(len(out), 1)
        return out.iloc[0]

    def test_take_profit_first_is_positive_with_reward_over_risk(self):
        row = self.one(candles([FLAT, FLAT, (100, 104.5, 99, 104), FLAT]))
        self.assertEqual((row.label, row.outcome), (1, "take_profit"))
        self.assertAlmostEqual(row.r, 2.0)

    def test_bar_touching_both_counts_as_stop(self):
        row = self.one(candles([FLAT, (100, 105, 97, 101), FLAT, FLAT]))
        self.assertEqual((row.label, row.r, row.outcome), (0, -1.0, "stop"))

    def test_open_through_take_profit_wins_over_low_through_stop(self):
        row = self.one(candles([FLAT, FLAT, (105, 106, 97, 100), FLAT]))
        self.assertEqual(row.label, 1)

    def test_open_through_stop_is_negative_even_if_high_reaches_target(self):
        row = self.one(candles([FLAT, FLAT, (97, 106, 96, 100), FLAT]))
        self.assertEqual(row.label, 0)

    def test_signal_bar_itself_is_not_scanned(self):
        # Bar t touches both levels; the trade only starts at t+1's open.
        row = self.one(candles([(100, 110, 90, 100), FLAT, FLAT, (100, 101, 99, 101)]))
        self.assertEqual(row.outcome, "timeout")

    def test_timeout_is_negative_and_marked_to_close_of_bar_t_plus_n(self):
        row = self.one(candles([FLAT, FLAT, FLAT, (100, 101, 99, 101)]))
        self.assertEqual((row.label, row.outcome), (0, "timeout"))
        self.assertAlmostEqual(row.r, 0.5)  # (101 - 100) / (100 - 98)

    def test_short_mirrors_long(self):
        short = dict(side=-1, entry=100.0, stop=102.0, take=96.0)
        self.assertEqual(self.one(candles([FLAT, FLAT, (100, 101, 95.5, 96), FLAT], **short)).label, 1)
        self.assertEqual(self.one(candles([FLAT, (100, 103, 95, 100), FLAT, FLAT], **short)).label, 0)
        self.assertEqual(self.one(candles([FLAT, FLAT, (95, 103, 94, 100), FLAT], **short)).label, 1)
        timeout = self.one(candles([FLAT, FLAT, FLAT, (100, 101, 99, 99)], **short))
        self.assertAlmostEqual(timeout.r, 0.5)  # short gains (100 - 99) / 2

    def test_proposal_without_a_full_horizon_is_dropped(self):
        df = candles([FLAT, FLAT, FLAT, FLAT], signal_row=1)
        self.assertEqual(len(label_proposals(df, 3)), 0)
        self.assertEqual(len(label_proposals(df, 2)), 1)


class ThresholdTest(unittest.TestCase):
    def test_best_mean_r_with_enough_confirmed(self):
        rng = np.random.default_rng(0)
        p = rng.uniform(0.2, 0.5, 1000)
        r = np.where(p > 0.45, 2.0, -1.0)  # only the top ~17 % win: below the minimum share
        t = choose_threshold(p, r)
        confirmed = p >= t
        self.assertGreaterEqual(confirmed.mean(), MIN_CONFIRMED_SHARE)
        self.assertLess(confirmed.mean(), MIN_CONFIRMED_SHARE + 0.01)

    def test_threshold_confirms_exactly_the_chosen_proposals_and_is_short(self):
        p = np.array([0.9, 0.8, 0.7, 0.61, 0.6, 0.1])
        r = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0])
        t = choose_threshold(p, r)
        self.assertEqual(list(p >= t), [True, True, True, True, False, False])
        self.assertEqual(t, 0.61)

    def test_metrics_are_finite_or_null(self):
        m = split_metrics(np.array([1, 1]), np.array([0.4, 0.6]), np.array([2.0, 2.0]), 0.9)
        self.assertIsNone(m["auc"])             # one class only
        self.assertIsNone(m["mean_r_confirmed"])  # nothing confirmed
        json.loads(json.dumps(m, allow_nan=False))


class DriftBinTest(unittest.TestCase):
    def test_edges_strictly_increase_and_expected_sums_to_one(self):
        rng = np.random.default_rng(1)
        values = np.column_stack([rng.normal(size=5000), rng.integers(0, 3, 5000).astype(float)])
        bins = drift_bins(["a", "b"], values)
        for b in bins:
            edges = np.array(b["edges"])
            self.assertTrue((np.diff(edges) > 0).all())
            self.assertEqual(len(b["expected"]), len(edges) + 1)
            self.assertAlmostEqual(sum(b["expected"]), 1.0, places=9)
        self.assertEqual(len(bins[0]["edges"]), 9)
        self.assertLess(len(bins[1]["edges"]), 9)  # three values: duplicates removed

    def test_manifest_json_refuses_nan(self):
        with self.assertRaises(ValueError):
            to_json({"metrics": {"auc": math.nan}})


class OnnxExportTest(unittest.TestCase):
    def test_probabilities_match_lightgbm_and_fixture_rows_are_float32(self):
        rng = np.random.default_rng(2)
        x = rng.normal(size=(600, 21)).astype(np.float32)
        y = (x[:, 0] + rng.normal(size=600) > 0).astype(int)
        booster = lgb.train({"objective": "binary", "num_leaves": 4, "verbose": -1},
                            lgb.Dataset(x.astype(np.float64), y), num_boost_round=10)
        model = to_onnx(booster, 21)
        self.assertEqual(model, to_onnx(booster, 21))  # same booster, same bytes (and sha256)
        p = onnx_probabilities(model, x)
        self.assertEqual(p.shape, (600, 2))
        self.assertLess(np.abs(p[:, 1] - booster.predict(x.astype(np.float64))).max(), 1e-5)
        fixture = json.loads(parity_fixture(model, x[:3]))
        rows = np.array(fixture["rows"])
        self.assertTrue((rows.astype(np.float32).astype(np.float64) == rows).all())
        np.testing.assert_array_equal(np.array(fixture["outputs"], dtype=np.float32), p[:3])


if __name__ == "__main__":
    unittest.main()
