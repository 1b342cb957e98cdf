"""Backtest statistics, baselines and calibration against hand-computed values (fast: no TensorFlow)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fxbot.backtest import stats
from fxbot.backtest.baselines import always_buy, logistic_probabilities, repeat_yesterday
from fxbot.backtest.calibrate import calibrate, largest_scale


def test_binomial_p_value_is_the_exact_two_sided_test() -> None:
    # P(X >= 7) + P(X <= 3) for X ~ Bin(10, 1/2) = 2 * (120 + 45 + 10 + 1) / 1024
    assert stats.binomial_p_value(7, 10) == pytest.approx(2 * 176 / 1024)
    assert stats.binomial_p_value(5, 10) == pytest.approx(1.0)
    assert stats.binomial_p_value(10, 10) == pytest.approx(2 / 1024)


def test_random_band_uses_binomial_quantiles() -> None:
    # Bin(10, 1/2): CDF(0) = 1/1024 < 0.005 <= CDF(1) = 11/1024; CDF(8) = 1013/1024 < 0.995 <= CDF(9)
    assert stats.random_band(10, 0.99) == (0.1, 0.9)
    low, high = stats.random_band(1300, 0.99)
    assert 0.46 < low < 0.47 and 0.53 < high < 0.54  # +/- 2.576 x sqrt(.25 / 1300) = 3.6 points


def test_tranche_positions_hold_each_call_for_its_horizon() -> None:
    # BUY, BUY, SELL, BUY, SELL held 3 days each in thirds: day 0 holds one tranche, day 2 three.
    held = stats.tranche_positions(np.array([1, 1, -1, 1, -1]), 3)
    np.testing.assert_allclose(held, [1 / 3, 2 / 3, 1 / 3, 1 / 3, -1 / 3])
    np.testing.assert_array_equal(stats.tranche_positions(np.array([1, -1]), 1), [1, -1])
    with pytest.raises(ValueError, match="horizon"):
        stats.tranche_positions(np.array([1]), 0)


def test_daily_pnl_of_a_two_day_call_by_hand() -> None:
    # closes 100 -> 101 -> 99 -> 100; calls BUY, SELL, BUY held 2 days each; leverage 2; cost 1 pip of 0.01.
    close, next_close = np.array([100.0, 101.0, 99.0]), np.array([101.0, 99.0, 100.0])
    direction = np.array([1, -1, 1])
    # positions: 1/2, (1 - 1)/2 = 0, (-1 + 1)/2 = 0
    gross = np.array([0.5 * 0.01 * 2, 0.0, 0.0])
    every_day = stats.daily_pnl(direction, close, next_close, 2.0, 1.0, 0.01, "every_day", horizon=2)
    np.testing.assert_allclose(every_day, gross - 0.01 / close * 2 / 2)  # half a round trip a day (one tranche)
    on_change = stats.daily_pnl(direction, close, next_close, 2.0, 1.0, 0.01, "on_change", horizon=2)
    # traded: day 0 opens 1/2 (its close counted too: 1/2 of a round trip), day 1 closes it (1/4), day 2 nothing
    np.testing.assert_allclose(on_change, gross - 0.01 / close * 2 * np.array([0.5, 0.25, 0.0]))


def test_daily_pnl_every_day_and_on_change() -> None:
    direction = np.array([1, -1, 1])
    close, nxt = np.array([100.0, 101.0, 100.0]), np.array([101.0, 100.0, 100.0])
    pnl = stats.daily_pnl(direction, close, nxt, leverage=2.0, cost_pips=0.4, pip_size=0.01)
    # cost = 0.4 pip x 0.01 / close x leverage 2
    np.testing.assert_allclose(pnl, [0.02 - 0.008 / 100, (2 - 0.008) / 101, -0.008 / 100])
    held = stats.daily_pnl(np.array([1, 1, -1]), close, nxt, 2.0, 0.4, 0.01, charge="on_change")
    np.testing.assert_allclose(held, [0.02 - 0.008 / 100, 2 * (100 / 101 - 1), -0.008 / 100])
    with pytest.raises(ValueError, match="cost rule"):
        stats.daily_pnl(direction, close, nxt, 1.0, 0.4, 0.01, charge="weekly")  # type: ignore[arg-type]


def test_blocks_and_rolling_sums() -> None:
    np.testing.assert_allclose(stats.block_sums(np.arange(1, 46), 20), [210, 610])  # 41..45 incomplete
    np.testing.assert_allclose(stats.rolling_sums(np.array([1, 2, 3, 4]), 2), [3, 5, 7])
    assert len(stats.rolling_sums(np.ones(3), 5)) == 0


def test_summarize_blocks_interval() -> None:
    s = stats.summarize_blocks(np.array([1.0, 2.0, 3.0, 4.0]), z=2.0)
    sd = math.sqrt(5 / 3)  # sample std, ddof = 1
    assert (s.count, s.mean, s.min, s.max) == (4, 2.5, 1.0, 4.0)
    assert s.std == pytest.approx(sd) and s.low == pytest.approx(2.5 - 2 * sd) and s.high == pytest.approx(2.5 + 2 * sd)
    assert math.isnan(stats.summarize_blocks(np.array([1.0])).std)
    assert stats.z_for(0.999) == pytest.approx(stats.Z_999, abs=1e-4)


def test_drawdown_sharpe_correlation_rolling_accuracy() -> None:
    # equity 1, 1.1, 0.88, 0.93: the fall from 1.1 to 0.88 is 20 % of the peak
    assert stats.max_drawdown(np.array([0.1, -0.22, 0.05])) == pytest.approx(0.2)
    assert stats.max_drawdown(np.array([0.01, 0.02])) == 0.0
    # mean 0.005, sample std sqrt(500e-6 / 3)
    assert stats.sharpe_ratio(np.array([0.01, -0.01, 0.02, 0.0])) == pytest.approx(
        0.005 / math.sqrt(500e-6 / 3) * math.sqrt(252)
    )
    x = np.array([1.0, 2.0, 4.0, 3.0])
    np.testing.assert_allclose(
        stats.correlation_matrix(np.column_stack([x, 2 * x + 1, -x])), [[1, 1, -1], [1, 1, -1], [-1, -1, 1]]
    )
    np.testing.assert_allclose(stats.rolling_accuracy(np.array([1, 0, 1, 1]), 2), [0.5, 0.5, 1.0])


def test_baselines() -> None:
    assert always_buy(3).tolist() == [True, True, True]
    assert repeat_yesterday(np.array([101.0, 100.0, 100.0]), np.array([100.0, 101.0, 100.0])).tolist() == [
        True,
        False,
        False,
    ]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2400, 20, 8)).astype("float32")
    y = (x[:, -1, 0] > 0).astype("float32")  # learnable from the last day's first feature
    probs = logistic_probabilities(x[:2000], y[:2000], x[2000:])
    assert probs.shape == (400,) and np.mean((probs > 0.5) == (y[2000:] > 0.5)) > 0.9


def test_largest_scale_closed_form() -> None:
    # k x 0.01 - 3 x k x 0.02 = -0.25  ->  k = 0.25 / 0.05
    assert largest_scale(0.01, 0.02, 3.0, 0.25) == pytest.approx(5.0)
    assert largest_scale(0.1, 0.02, 3.0, 0.25) == math.inf  # the mean outruns the spread


def test_calibrate_puts_the_historical_loss_and_the_worst_window_on_the_budget() -> None:
    rng = np.random.default_rng(1)
    unit = rng.standard_t(3, size=(2000, 3)) * 0.004  # fat tails: the normal curve understates them
    unit[:, 1] += 0.5 * unit[:, 0]  # correlated pairs
    pairs = ["USDJPY", "EURJPY", "GBPJPY"]
    configured = {"USDJPY": 1.79, "EURJPY": 1.68, "GBPJPY": 1.03}
    days = np.datetime64("2008-01-01") + np.arange(2000)
    cal = calibrate(unit, pairs, configured, max_loss=0.25, horizon=20, confidence=0.999, dates=days)
    assert cal.windows == 1981
    # independently: the rolling 20-day losses at the proposed leverages, their 99.9 % quantile by sorting
    for key, measure in (("proposed", "quantile"), ("proposed_worst", "worst")):
        lev = np.array([getattr(cal, key)[p] for p in pairs])
        losses = np.sort(-stats.rolling_sums(unit @ lev, 20))
        # the smallest loss with at least 99.9 % of windows at or below it:
        # rank ceil(0.999 x 1981) = ceil(1979.02) = 1980
        figure = losses[1979] if measure == "quantile" else losses[-1]
        assert figure == pytest.approx(0.25)
        ratios = {p: getattr(cal, key)[p] / configured[p] for p in pairs}
        assert max(ratios.values()) == pytest.approx(min(ratios.values()))  # the configured mix, scaled
    assert cal.scale_worst < cal.scale  # the worst window is a tighter limit than the quantile
    worst_end = np.argmax(-stats.rolling_sums(unit @ np.array(list(configured.values())), 20)) + 19
    assert cal.worst_end == str(days[worst_end])
    own = np.sort(-stats.rolling_sums(unit[:, 2] * cal.alone["GBPJPY"], 20))
    assert own[1979] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="windows"):
        calibrate(unit[:21], pairs, configured)
    with pytest.raises(ValueError, match="max_loss"):
        calibrate(unit, pairs, configured, max_loss=1.5)
