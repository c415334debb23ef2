"""Unit tests of the agent's environment, backtest and ONNX export. They need
training/.venv-agent (torch, gymnasium), so their file name does not match the
GBM suite's test_*.py that CI discovers. Run:
  training/.venv-agent/bin/python -m unittest discover -s training -p 'agenttest_*.py'"""

import json
import math
import unittest
import warnings

import numpy as np
import pandas as pd
import torch
from gymnasium.utils.env_checker import check_env
from stable_baselines3 import PPO

from agent_env import (CLOSE, HOLD, LONG, N_OBS, SHORT, Account, Market, SimConfig, TradingEnv,
                       action_table, curve_stats, decision_range, funding_per_candle, portfolio,
                       run_policy, step_reward)
from agent_onnx import onnx_action_probs, policy_parity_fixture, policy_to_onnx
from agent_policy import FixedNormalizer, policy_probs, policy_weights, wrapper_probs
from cockpit_data import FEATURE_NAMES

H = 3_600_000
NO_COSTS = SimConfig(fee=0.0, slippage=0.0, downside_penalty=0.0, reward_scale=1.0)


def market(opens, funding=None, features=None):
    n = len(opens)
    times = np.arange(n, dtype="int64") * H
    if features is None:
        features = np.tile(np.arange(len(FEATURE_NAMES), dtype=np.float32), (n, 1)) + np.arange(n)[:, None]
    return Market(name="TEST", times=times, features=np.asarray(features, dtype=np.float32),
                  open=np.asarray(opens, dtype=float),
                  funding=np.zeros(n) if funding is None else np.asarray(funding, dtype=float))


class AccountTest(unittest.TestCase):
    def test_long_round_trip_pays_fee_and_slippage_each_side(self):
        cfg = SimConfig(fee=0.001, slippage=0.0002, leverage=1.0)
        acc = Account(cfg)
        acc.move_to(1, 100.0)
        fill_in = 100.0 * 1.0002
        qty = 1.0 / fill_in
        self.assertAlmostEqual(acc.qty, qty)
        self.assertAlmostEqual(acc.cash, 1.0 - 0.001)
        acc.move_to(0, 110.0)
        fill_out = 110.0 * (1 - 0.0002)
        want = 1.0 - 0.001 + qty * (fill_out - fill_in) - 0.001 * qty * fill_out
        self.assertAlmostEqual(acc.cash, want, places=12)
        self.assertEqual((acc.side, acc.trades), (0, 1))

    def test_short_gains_when_price_falls_and_leverage_scales_it(self):
        acc = Account(SimConfig(fee=0.0, slippage=0.0, leverage=2.0))
        acc.move_to(-1, 100.0)
        self.assertAlmostEqual(acc.equity(90.0), 1.2)
        self.assertAlmostEqual(acc.equity(110.0), 0.8)

    def test_reversal_closes_then_opens(self):
        acc = Account(SimConfig(fee=0.0, slippage=0.0))
        acc.move_to(1, 100.0)
        acc.move_to(-1, 120.0)
        self.assertEqual((acc.side, acc.trades), (-1, 2))
        self.assertAlmostEqual(acc.cash, 1.2)
        self.assertAlmostEqual(acc.qty, 1.2 / 120.0)

    def test_funding_longs_pay_positive_rates_shorts_receive(self):
        for side, sign in ((1, -1), (-1, 1)):
            acc = Account(SimConfig(fee=0.0, slippage=0.0))
            acc.move_to(side, 100.0)
            acc.pay_funding(0.001, 100.0)
            self.assertAlmostEqual(acc.equity(100.0), 1.0 + sign * 0.001)
        flat = Account(SimConfig())
        flat.pay_funding(0.01, 100.0)
        self.assertEqual(flat.equity(100.0), 1.0)


class RewardTest(unittest.TestCase):
    def test_losses_pay_the_squared_penalty_gains_do_not(self):
        cfg = SimConfig(downside_penalty=2.0, reward_scale=100.0)
        self.assertAlmostEqual(step_reward(0.01, cfg), 1.0)
        self.assertAlmostEqual(step_reward(-0.01, cfg), 100.0 * (-0.01 - 2.0 * 1e-4))
        self.assertEqual(step_reward(0.0, cfg), 0.0)


class FundingTest(unittest.TestCase):
    def test_funding_lands_on_the_candle_whose_open_it_falls_on(self):
        times = np.arange(5, dtype="int64") * H
        f = pd.DataFrame({"funding_time_ms": [-8 * H, 1 * H, 2 * H + 5, 9 * H],
                          "funding_rate": [0.5, 0.001, 0.002, 0.7]})
        np.testing.assert_allclose(funding_per_candle(times, f), [0, 0.001, 0, 0.002, 0])


class EnvTest(unittest.TestCase):
    def test_action_fills_at_next_open_and_is_marked_at_the_one_after(self):
        m = market([100, 100, 110, 121, 121, 121, 121], funding=[0, 0, 0, 0.01, 0, 0, 0])
        env = TradingEnv([(m, 0, 4)], NO_COSTS, episode_bars=4)
        obs, _ = env.reset(seed=0)
        self.assertEqual(env.t, 0)
        np.testing.assert_array_equal(obs[:-1], m.features[0])
        self.assertEqual(obs[-1], 0)
        # Long on candle 0: fills at open[1] = 100, marked at open[2] = 110.
        obs, r, term, trunc, info = env.step(LONG)
        self.assertAlmostEqual(r, 0.10)
        self.assertEqual(obs[-1], 1)
        np.testing.assert_array_equal(obs[:-1], m.features[1])
        self.assertAlmostEqual(info["equity"], 1.1)
        # Hold: 110 -> 121, and the funding due at open[3] (1 % of the notional
        # marked there, 1.21) paid by the long.
        _, r, *_ = env.step(HOLD)
        self.assertAlmostEqual(r, (1.21 - 0.0121) / 1.1 - 1)
        obs, r, term, trunc, _ = env.step(CLOSE)
        self.assertEqual(obs[-1], 0)
        self.assertAlmostEqual(r, 0.0)
        self.assertFalse(trunc)
        _, _, term, trunc, _ = env.step(SHORT)
        self.assertTrue(trunc)
        self.assertFalse(term)

    def test_episodes_stay_inside_the_segment(self):
        m = market(np.linspace(100, 200, 60))
        env = TradingEnv([(m, 10, 40)], SimConfig(), episode_bars=10)
        rng = np.random.default_rng(0)
        for seed in range(30):
            env.reset(seed=seed)
            start = env.t
            self.assertTrue(10 <= start <= 30)
            done = False
            while not done:
                _, _, term, trunc, _ = env.step(int(rng.integers(4)))
                done = term or trunc
            self.assertEqual(env.t, start + 10)
            self.assertLessEqual(env.t + 1, 41)

    def test_gymnasium_env_checker(self):
        m = market(np.linspace(100, 200, 60))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the unbounded Box is meant: features are unbounded
            check_env(TradingEnv([(m, 0, 50)], SimConfig(), episode_bars=20), skip_render_check=True)

    def test_decision_range_leaves_two_candles_for_fill_and_mark(self):
        m = market(np.full(10, 100.0))
        m.features[:2] = np.nan
        self.assertEqual(decision_range(m, np.arange(10) < 8), (2, 6))


class BacktestTest(unittest.TestCase):
    def test_run_policy_matches_the_environment(self):
        rng = np.random.default_rng(1)
        opens = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 80)))
        m = market(opens, funding=np.where(np.arange(80) % 8 == 0, 0.0003, 0.0))
        actions = rng.integers(0, 4, size=(70, 3))
        cfg = SimConfig(leverage=2.0, downside_penalty=3.0)
        res = run_policy(m, 0, 70, actions, cfg)
        env = TradingEnv([(m, 0, 70)], cfg, episode_bars=70)
        env.reset(seed=0)
        env.t, env.end = 0, 70
        total = 0.0
        for i in range(70):
            _, r, *_ = env.step(int(actions[i, env.account.side + 1]))
            total += r
            if i < 69:
                self.assertAlmostEqual(res["equity"][i], env.eq, places=12)
        # The backtest also pays the last exit; the environment leaves it open.
        self.assertLess(res["equity"][-1], env.eq)
        self.assertEqual(res["trades"], env.account.trades)

    def test_curve_stats_and_portfolio(self):
        s = curve_stats(np.array([1.1, 0.99, 1.2]))
        self.assertAlmostEqual(s["return"], 0.2)
        self.assertAlmostEqual(s["max_drawdown"], 0.1)
        a = {"times": np.array([1, 2, 3]), "equity": np.array([1.0, 2.0, 3.0])}
        b = {"times": np.array([2, 3, 4]), "equity": np.array([0.5, 0.5, 0.25])}
        p = portfolio([a, b])
        np.testing.assert_array_equal(p["times"], [1, 2, 3, 4])
        np.testing.assert_allclose(p["equity"], [1.0, 1.25, 1.75, 1.625])


class ExportTest(unittest.TestCase):
    def test_onnx_equals_the_policy_distribution(self):
        torch.manual_seed(0)
        m = market(np.linspace(100, 200, 300),
                   features=np.random.default_rng(2).normal(0, 1, (300, len(FEATURE_NAMES))))
        mean = np.append(np.full(len(FEATURE_NAMES), 0.1), 0.0).astype(np.float32)
        std = np.append(np.full(len(FEATURE_NAMES), 0.5), 1.0).astype(np.float32)
        env = TradingEnv([(m, 0, 290)], SimConfig(), episode_bars=50)
        model = PPO("MlpPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu",
                    policy_kwargs={"net_arch": [16, 8], "features_extractor_class": FixedNormalizer,
                                   "features_extractor_kwargs": {"mean": mean, "std": std, "clip": 3.0}})
        model.learn(128)
        policy = model.policy
        model_bytes = policy_to_onnx(*policy_weights(policy), n_actions=4)
        obs = np.random.default_rng(3).normal(0, 3, (500, N_OBS)).astype(np.float32)
        obs[:, -1] = np.random.default_rng(4).integers(-1, 2, 500)
        want = policy_probs(policy, obs)
        got = onnx_action_probs(model_bytes, obs)
        self.assertLess(float(np.abs(got - want).max()), 1e-6)
        self.assertLess(float(np.abs(wrapper_probs(policy, obs) - want).max()), 1e-6)
        # The same weights give the same bytes.
        self.assertEqual(model_bytes, policy_to_onnx(*policy_weights(policy), n_actions=4))
        fixture = json.loads(policy_parity_fixture(model_bytes, obs[:5]))
        self.assertEqual((fixture["input"], fixture["output"]), ("features", "action_probs"))
        self.assertTrue(all(math.isfinite(v) for row in fixture["outputs"] for v in row))
        actions, probs = action_table(lambda o: onnx_action_probs(model_bytes, o), m.features[:10])
        self.assertEqual(actions.shape, (10, 3))
        np.testing.assert_array_equal(actions, probs.argmax(axis=2))


if __name__ == "__main__":
    unittest.main()
