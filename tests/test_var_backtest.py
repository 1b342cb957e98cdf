"""VaR backtesting (fxbot.backtest.var_backtest) against textbook figures and hand counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fxbot.backtest.var_backtest import backtest_entry, christoffersen, kupiec, traffic_light, walk_forward_figures


def test_kupiec_on_the_textbook_example() -> None:
    # 5 exceedances in 250 days of a 99 % VaR (Jorion, Value at Risk, ch. 6):
    # LR = -2 [245 ln 0.99 + 5 ln 0.01] + 2 [245 ln 0.98 + 5 ln 0.02]
    #    = -2 (-2.462333 - 23.025851) + 2 (-4.949663 - 19.560115) = 50.976368 - 49.019556 = 1.956812
    result = kupiec(5, 250, 0.01)
    assert result.lr == pytest.approx(1.956812, abs=1e-5)
    # chi-squared(1) above 1.9568: p = 0.1619 (3.841 is the 5 % critical value, so 5 in 250 is not rejected)
    assert result.p_value == pytest.approx(0.1619, abs=1e-4)
    assert kupiec(2, 250, 0.01).lr == pytest.approx(0.0, abs=0.5)  # 2.5 expected: close to no evidence
    # no exceedance at all: LR = -2 x 250 ln 0.99 = 5.025168
    assert kupiec(0, 250, 0.01).lr == pytest.approx(5.025168, abs=1e-5)
    assert math.isnan(kupiec(0, 0, 0.01).lr)


def test_christoffersen_counts_clustered_exceedances() -> None:
    # 10 days, exceedances on days 3 and 4 (a cluster): transitions n00=6, n01=1, n10=1, n11=1.
    hits = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 0], bool)
    # pi0 = 1/7, pi1 = 1/2, pi = 2/9
    # ln L0 = 7 ln(7/9) + 2 ln(2/9) = -1.759201 - 3.008155 = -4.767356
    # ln L1 = 6 ln(6/7) + ln(1/7) + ln(1/2) + ln(1/2) = -0.924906 - 1.945910 - 1.386294 = -4.257110
    # LR_ind = -2 (-4.767356 + 4.257110) = 1.020492
    result = christoffersen(hits, 0.1)
    assert result.lr_ind == pytest.approx(1.020492, abs=1e-5)
    # conditional coverage adds Kupiec's LR for 2 in 10 at 10 %
    assert result.lr_cc == pytest.approx(result.lr_ind + kupiec(2, 10, 0.1).lr)
    # apart (days 2 and 6): n00=5, n01=2, n10=2, n11=0; pi0 = 2/7, pi1 = 0
    # ln L1 = 5 ln(5/7) + 2 ln(2/7) = -1.682361 - 2.505526 = -4.187887; LR_ind = -2 (-4.767356 + 4.187887) = 1.158938
    spread = christoffersen(np.array([0, 0, 1, 0, 0, 0, 1, 0, 0, 0], bool), 0.1)
    assert spread.lr_ind == pytest.approx(1.158938, abs=1e-5)


def test_traffic_light_reproduces_basels_zones_for_250_days() -> None:
    # Basel: 250 days of a 99 % VaR; green 0-4 exceedances, yellow 5-9, red 10 or more.
    assert [traffic_light(x, 250, 0.01) for x in (0, 4, 5, 9, 10)] == ["green", "green", "yellow", "yellow", "red"]


def test_backtest_entry_counts_and_thins_overlapping_outcomes() -> None:
    loss = np.array([1.0, 5.0, 1.0, 5.0, 1.0, 5.0, np.nan])
    figure = np.full(7, 2.0)
    every = backtest_entry(loss, figure, 0.01, "1-day")
    assert (every.observations, every.exceedances) == (6, 3)
    thinned = backtest_entry(loss, figure, 0.01, "20-day", step=2)  # days 0, 2, 4: no exceedance
    assert (thinned.observations, thinned.exceedances, thinned.exceedances_overlapping) == (3, 0, 3)


def test_walk_forward_figures_use_only_what_was_known_that_day() -> None:
    # 600 days of two pairs; the calls start on day 300. Changing every bar after a call day must not change
    # the figure posted that day.
    rng = np.random.default_rng(5)
    closes = 100 * np.cumprod(1 + rng.normal(0, 0.01, size=(600, 2)), axis=0)
    dates = np.datetime64("2010-01-01") + np.arange(600)
    call_dates = dates[300:599]
    exposures = np.tile([1.5, -1.0], (len(call_dates), 1))
    pnl = rng.normal(0, 0.01, len(call_dates))
    first = walk_forward_figures(dates, closes, call_dates, exposures, pnl, days=5, confidence=0.99)
    day = 570  # late enough for 250 windows of following the calls
    later = closes.copy()
    later[day + 1 :, 1] *= 3.0  # a shock to the short pair after the call day
    pnl_later = pnl.copy()
    pnl_later[day - 300 :] = -1.0  # that day's P/L and after: realised only later
    second = walk_forward_figures(dates, later, call_dates, exposures, pnl_later, days=5, confidence=0.99)
    i = day - 300
    for key in ("book_day", "filtered_day", "book", "filtered", "calls", "headline"):
        assert first[key][i] == second[key][i], key
    assert not np.isnan(first["calls"][i])
    assert not np.array_equal(first["headline"][i + 1 :], second["headline"][i + 1 :])  # it changes what follows
