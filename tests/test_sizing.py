"""The sizing trial's pieces (fxbot.backtest.sizing): no look-ahead in the scale, and the criterion as written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fxbot.backtest.sizing import compare, loss_999, sized_pnl, volatility_scale


def test_the_scale_uses_only_bars_up_to_the_day_and_never_sizes_up() -> None:
    rng = np.random.default_rng(2)
    days = pd.bdate_range("2010-01-01", periods=400)
    quiet, loud = rng.normal(0, 0.004, 300), rng.normal(0, 0.02, 100)
    closes = pd.Series(100 * np.cumprod(1 + np.concatenate([quiet, loud])), index=days)
    scale = volatility_scale(closes, days)
    assert np.all(scale <= 1.0) and np.all(scale > 0)
    assert scale[:61].tolist() == [1.0] * 61  # no 60-day history before the target exists: the shipped leverage
    assert scale[350] < 0.5  # loud days: sized down against the quiet median
    changed = closes.copy()
    changed.iloc[301:] *= 3.0  # everything after day 300 differs
    again = volatility_scale(changed, days)
    np.testing.assert_array_equal(scale[:301], again[:301])


def test_loss_999_is_the_rank_of_the_rolling_losses() -> None:
    pnl = np.zeros(1019)
    pnl[500] = -0.3  # one crash day: 20 windows hold it, 1,000 windows in all
    # the 99.9 % loss is the 999th smallest of 1,000 window losses: one of the 20 that hold the crash
    assert loss_999(pnl) == pytest.approx(0.3)


def test_the_criterion_needs_a_lower_loss_and_at_least_the_sharpe() -> None:
    rng = np.random.default_rng(4)
    fixed = rng.standard_t(3, 3000) * 0.01 + 0.0004
    calmer = np.where(fixed < -0.02, fixed / 2, fixed)  # the crash days halved: lower loss, higher Sharpe
    result = compare(fixed, calmer, resamples=200)
    assert result["loss_lower"] and result["sharpe_at_least"] and result["verdict"] == "vol_target wins"
    assert result["bootstrap"]["share_vol_target_loss_lower"] >= 0.95
    worse = np.where(fixed > 0.02, fixed / 2, fixed)  # the best days halved: the same loss, a lower Sharpe
    assert compare(fixed, worse, resamples=200)["verdict"] == "fixed stays"


def test_sized_pnl_scales_each_pair_by_its_own_volatility() -> None:
    rng = np.random.default_rng(8)
    days = pd.bdate_range("2012-01-02", periods=300)
    calm = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.005, 300)), index=days)
    loud = pd.Series(
        100 * np.cumprod(1 + np.concatenate([rng.normal(0, 0.005, 200), rng.normal(0, 0.03, 100)])), index=days
    )
    unit = np.ones((300, 2)) * 0.001  # +0.1 % a day per pair at leverage 1
    fixed, sized, mean_scale = sized_pnl(
        unit, ["A", "B"], days.to_numpy(), {"A": 2.0, "B": 1.0}, {"A": calm, "B": loud}
    )
    np.testing.assert_allclose(fixed, 0.003)  # 0.1 % x (2 + 1)
    assert np.all(sized <= fixed + 1e-15)
    assert mean_scale["B"] < mean_scale["A"] <= 1.0  # the loud pair is cut more
