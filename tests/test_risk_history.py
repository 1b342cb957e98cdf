"""Loss from history (fxbot.risk): each estimator on a small series whose figures are obvious by eye."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from fxbot.data.bars import as_date
from fxbot.risk import (
    aligned_closes,
    book_tail,
    budget_scale,
    ewma_volatility,
    filtered_tail,
    pair_risk,
    stress_results,
    tail_loss,
)
from fxbot.signals import PortfolioRisk, TailLoss


def _days(n: int, first: str = "2020-01-01") -> np.ndarray:
    return np.datetime64(first, "D") + np.arange(n)


def test_tail_quantile_shortfall_and_worst_window_by_eye() -> None:
    # 1,000 windows losing 1..1,000 (P/L -1..-1000): at 99.9 % the quantile is the 999th smallest loss (999:
    # 999 of 1,000 windows lose no more), the shortfall the mean of the losses at or beyond it (999.5), the
    # worst window the one losing 1,000, the last.
    pnl = -np.arange(1.0, 1001.0)
    days = _days(1001)
    tail = tail_loss(pnl, 0.999, days[:-1], days[1:], days=1, source="book")
    assert tail is not None
    assert (tail.loss_jpy, tail.shortfall_jpy, tail.worst_jpy) == (999.0, 999.5, 1000.0)
    assert (tail.worst_start, tail.worst_end) == (as_date(days[999]), as_date(days[1000]))
    # at 99 %: the 990th smallest loss, shortfall the mean of 990..1000 = 995
    tail99 = tail_loss(pnl, 0.99, days[:-1], days[1:], days=1, source="book")
    assert tail99 is not None and (tail99.loss_jpy, tail99.shortfall_jpy) == (990.0, 995.0)
    # shuffled, the same figures: order does not matter
    shuffled = np.random.default_rng(0).permutation(pnl)
    again = tail_loss(shuffled, 0.999, days[:-1], days[1:], days=1, source="book")
    assert again is not None and (again.loss_jpy, again.shortfall_jpy) == (999.0, 999.5)
    assert tail_loss(pnl[:100], 0.999, days[:100], days[1:101], days=1, source="book") is None  # too few windows


def test_book_tail_applies_every_past_window_to_todays_positions() -> None:
    # Two pairs, 301 days: pair A rises 1 % a day except day 150, which falls 10 %; pair B is flat. Long
    # 1,000,000 of A and short 500,000 of B: the worst 1-day window is the fall, losing 100,000 (B adds 0).
    a = np.ones(301)
    for t in range(1, 301):
        a[t] = a[t - 1] * (0.90 if t == 150 else 1.01)
    closes = np.stack([a, np.full(301, 2.0)], axis=1)
    dates = _days(301)
    tail = book_tail(dates, closes, np.array([1_000_000.0, -500_000.0]), 1, 0.999)
    assert tail is not None and tail.windows == 300
    assert tail.worst_jpy == pytest.approx(100_000.0)
    assert (tail.worst_start, tail.worst_end) == (as_date(dates[149]), as_date(dates[150]))
    # 300 windows at 99.9 %: the 300th smallest loss is the worst itself
    assert tail.loss_jpy == pytest.approx(100_000.0)
    # short A: the worst is a 1 % rise, 10,000
    short = book_tail(dates, closes, np.array([-1_000_000.0, 0.0]), 1, 0.999)
    assert short is not None and short.worst_jpy == pytest.approx(10_000.0)
    # 20 days long A: a window holding the fall returns 0.9 x 1.01^19 - 1 = +8.6 %: no window loses
    month = book_tail(dates, closes, np.array([1_000_000.0, 0.0]), 20, 0.999, min_windows=10)
    assert month is not None and month.loss_jpy == 0.0


def test_aligned_closes_keep_only_days_every_pair_has() -> None:
    d1 = np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[D]")
    d2 = np.array(["2024-01-02", "2024-01-03", "2024-01-04"], dtype="datetime64[D]")
    dates, closes = aligned_closes([(d1, np.array([1.0, 2.0, 3.0])), (d2, np.array([20.0, 30.0, 40.0]))])
    assert dates.tolist() == [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    assert closes.tolist() == [[2.0, 20.0], [3.0, 30.0]]


def test_ewma_volatility_matches_pandas() -> None:
    pd = pytest.importorskip("pandas")
    returns = np.random.default_rng(3).normal(0, 0.01, size=(400, 2))
    vol = ewma_volatility(returns, 0.94)
    for j in range(2):
        seed = float(np.mean(returns[:20, j] ** 2))
        squared = pd.Series(np.concatenate([[seed], returns[:, j] ** 2]))
        expected = np.sqrt(squared.ewm(alpha=0.06, adjust=False).mean().to_numpy())
        np.testing.assert_allclose(vol[:, j], expected, rtol=1e-12)


def test_filtered_tail_scales_with_todays_volatility() -> None:
    # Quiet history (0.5 % days), then a loud last stretch (2 % days): the filtered loss of a long position is
    # larger than the plain historical one, which still remembers the quiet days.
    rng = np.random.default_rng(7)
    returns = np.concatenate([rng.normal(0, 0.005, 900), rng.normal(0, 0.02, 100)])
    closes = (100 * np.cumprod(1 + np.concatenate([[0.0], returns]))).reshape(-1, 1)
    dates = _days(len(closes))
    plain = book_tail(dates, closes, np.array([1_000_000.0]), 20, 0.99)
    filtered = filtered_tail(dates, closes, np.array([1_000_000.0]), 20, 0.99)
    assert plain is not None and filtered is not None and filtered.loss_jpy > 1.5 * plain.loss_jpy


def test_stress_windows_are_close_to_close_and_skip_what_history_lacks() -> None:
    dates = np.array(["2016-06-22", "2016-06-23", "2016-06-24", "2016-06-27"], dtype="datetime64[D]")
    closes = np.array([[100.0, 150.0], [100.0, 160.0], [96.0, 140.0], [97.0, 141.0]])
    # Long 1,000,000 of the first, short 500,000 of the second over 06-23 -> 06-24:
    # 1,000,000 x (96/100 - 1) - 500,000 x (140/160 - 1) = -40,000 + 62,500 = +22,500
    windows = [("Brexit", "2016-06-23", "2016-06-24"), ("later", "2020-03-06", "2020-03-24")]
    [brexit] = stress_results(dates, closes, np.array([1_000_000.0, -500_000.0]), windows)
    assert brexit.pnl_jpy == pytest.approx(22_500.0) and brexit.start == dt.date(2016, 6, 23)


def test_budget_scale_is_the_budget_over_the_loss() -> None:
    # 574,185 of 1,000,000 at a 25 % budget: 250,000 / 574,185 = 0.4354
    assert budget_scale(574_185.0, 1_000_000.0, 0.25) == pytest.approx(0.4354, abs=1e-4)
    assert math.isinf(budget_scale(0.0, 1_000_000.0, 0.25))
    with pytest.raises(ValueError, match="budget"):
        budget_scale(1.0, 1.0, 1.5)


def test_the_headline_is_the_largest_view_and_the_worst_has_real_dates() -> None:
    day = dt.date(2008, 10, 23)

    def tail(source: str, loss: float, worst: float) -> TailLoss:
        return TailLoss(source, 20, 0.999, loss, loss, worst, day, day, 300, day, day)

    risk = PortfolioRisk(
        4.5,
        1_000_000.0,
        book=tail("book", 234_000, 349_000),
        filtered=tail("filtered", 250_000, 999_000),
        calls=tail("calls", 574_000, 737_000),
    )
    assert risk.headline is not None and risk.headline.source == "calls"
    # the filtered windows are rescaled, not real: the worst real 20 days are the calls' 737,000
    assert risk.worst is not None and risk.worst.worst_jpy == 737_000
    assert risk.budget_multiple == pytest.approx(574_000 / 250_000)


def test_too_few_bars_is_not_available_with_the_count_needed() -> None:
    closes = 100 + np.arange(100.0)
    risk = pair_risk(_days(100), closes, 1_000_000.0, dt.date(2024, 6, 14), dt.date(2024, 6, 17), window=4)
    assert risk.loss_jpy is None and risk.needed_bars == 251
    assert risk.normal_loss_jpy is not None  # the normal figure beside it needs only its window
