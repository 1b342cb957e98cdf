"""fxbot.risk and the weekly summary's arithmetic against figures computed by hand (in the comments)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from fxbot.backtest.rollover import RateTable
from fxbot.ledger import ScoredCall
from fxbot.risk import Z_99, daily_volatility, holding_window, one_day_loss
from fxbot.summary import build_weekly_summary, random_band, week_bounds

# Returns +2 %, -1 %, +2 %, -1 %: mean 0.5 %, each deviation 1.5 %, sum of squares 4 x 0.000225 = 0.0009,
# sample variance 0.0009 / 3 = 0.0003, sigma = sqrt(0.0003) = 0.0173205081.
CLOSES = [100.0, 102.0, 100.98, 102.9996, 101.969604]
SIGMA = 0.0173205081


def test_volatility_is_the_sample_deviation_of_the_window_returns() -> None:
    assert daily_volatility(CLOSES, 4) == pytest.approx(SIGMA, rel=1e-8)
    # Only the last `window` returns count: a wild first close is outside a window of 3 (-1 %, +2 %, -1 %:
    # mean 0, deviations -1 %, +2 %, -1 %, squares 0.0001 + 0.0004 + 0.0001 = 0.0006, / 2, sqrt = 0.0173205081).
    assert daily_volatility([1.0, *CLOSES[1:]], 3) == pytest.approx(SIGMA, rel=1e-8)


def test_normal_figure_beside_is_z_sigma_notional() -> None:
    # z(0.99) = 2.32634787; 2.32634787 x 0.0173205081 = 0.0402935187; x 1,790,000 notional = 72,125.40 JPY.
    assert abs(Z_99 - 2.32634787) < 1e-8
    assert one_day_loss(SIGMA, 1_790_000.0) == pytest.approx(72_125.40, abs=0.05)
    with pytest.raises(ValueError, match="at least 2"):
        daily_volatility(CLOSES, 1)


def test_holding_window_is_close_to_close_in_new_york() -> None:
    # Friday 2024-06-14 17:00 EDT (21:00 UTC) to Monday 2024-06-17 17:00 EDT; in winter 17:00 EST is 22:00 UTC.
    opens, closes = holding_window(dt.date(2024, 6, 14), dt.date(2024, 6, 17))
    assert opens.astimezone(dt.UTC) == dt.datetime(2024, 6, 14, 21, 0, tzinfo=dt.UTC)
    assert closes.astimezone(dt.UTC) == dt.datetime(2024, 6, 17, 21, 0, tzinfo=dt.UTC)
    opens, _ = holding_window(dt.date(2024, 12, 31), dt.date(2025, 1, 2))
    assert opens.astimezone(dt.UTC) == dt.datetime(2024, 12, 31, 22, 0, tzinfo=dt.UTC)


def _call(bar: str, direction: str, close: float, outcome: str, next_close: float) -> ScoredCall:
    move = next_close / close - 1
    sign = 1 if direction == "BUY" else -1
    return ScoredCall(
        dt.date.fromisoformat(bar),
        "USDJPY",
        direction,
        close,
        dt.date.fromisoformat(outcome),
        next_close,
        move,
        move * sign > 0,
    )


def test_weekly_pnl_accuracy_band_and_drawdown_by_hand() -> None:
    calls = [
        _call("2024-06-06", "BUY", 100.0, "2024-06-07", 101.0),  # the week before
        _call("2024-06-07", "BUY", 100.0, "2024-06-10", 99.0),  # wrong
        _call("2024-06-10", "SELL", 101.0, "2024-06-11", 100.0),  # right
        _call("2024-06-11", "BUY", 100.0, "2024-06-18", 101.0),  # after the week: left out
    ]
    summary = build_weekly_summary(
        calls,
        dt.date(2024, 6, 12),
        pairs=["USDJPY"],
        leverage={"USDJPY": 2.0},
        equity_jpy=1_000_000.0,
        cost_pips={"USDJPY": 1.0},
    )
    # cost of a call = 1 pip (0.01) / close x leverage 2:
    #   +1 %  x 2 - 0.0002     = 0.0198     -> +19,800 JPY
    #   -1 %  x 2 - 0.0002     = -0.0202    -> -20,200 JPY
    #   SELL 101 -> 100: 0.00990099 x 2 - 0.01 / 101 x 2 = 0.01980198 - 0.00019802 = 0.01960396 -> +19,603.96 JPY
    [usd] = summary.pairs
    assert (summary.week_start, summary.week_end) == (dt.date(2024, 6, 10), dt.date(2024, 6, 14))
    # both of the week's days closed down: always-buy 0 of 2; the week before closed up
    assert (usd.week_calls, usd.week_right, usd.week_always_buy) == (2, 1, 0)
    assert usd.week_pnl_jpy == pytest.approx(-20_200 + 19_603.96, abs=0.01)
    assert (usd.calls, usd.right, usd.always_buy) == (3, 2, 1)
    assert usd.pnl_jpy == pytest.approx(19_800 - 20_200 + 19_603.96, abs=0.01)
    # running P/L 0, 19,800, -400, 19,203.96: the largest fall from a high is 20,200
    assert usd.max_drawdown_jpy == pytest.approx(20_200, abs=0.01)
    assert summary.pooled.pnl_jpy == pytest.approx(usd.pnl_jpy) and not summary.rollover_included


def test_rollover_where_rates_are_known_and_counted_where_not() -> None:
    # BUY USD/JPY held over Wednesday's close (value Friday -> Monday: 3 days) at USD 5 %, JPY 0 %, mark-up 0.5 %,
    # leverage 2: (5 - 0 - 0.5) / 100 x 3 / 365 x 2 = 0.00073973 of equity = 739.73 JPY on top of the price P/L.
    rates = RateTable({"USD": {"2024-06": 5.0}, "JPY": {"2024-06": 0.0}})
    calls = [
        _call("2024-06-12", "BUY", 100.0, "2024-06-13", 101.0),
        _call("2024-05-31", "BUY", 100.0, "2024-06-03", 101.0),  # May has no rates: its rollover is unknown
    ]
    summary = build_weekly_summary(
        calls,
        dt.date(2024, 6, 14),
        pairs=["USDJPY"],
        leverage={"USDJPY": 2.0},
        equity_jpy=1_000_000.0,
        cost_pips={"USDJPY": 0.0},
        rates=rates,
    )
    assert summary.pairs[0].week_pnl_jpy == pytest.approx(20_000 + 739.73, abs=0.01)
    assert summary.pairs[0].pnl_jpy == pytest.approx(40_000 + 739.73, abs=0.01)
    assert summary.rollover_included and summary.calls_without_rates == 1


def test_random_band_and_week_bounds() -> None:
    # 3 coin flips: P(0 right) = 1/8 > 0.5 %, so the 99 % band is 0/3 to 3/3.
    assert random_band(3) == (0.0, 1.0)
    # 14 flips: P(X <= 1) = 15/16384 = 0.0009 < 0.005 <= P(X <= 2) = 106/16384 = 0.0065: the band is 2/14 to 12/14.
    low, high = random_band(14)
    assert low == pytest.approx(2 / 14) and high == pytest.approx(12 / 14)
    assert math.isnan(random_band(0)[0])
    assert week_bounds(dt.date(2024, 6, 16)) == (dt.date(2024, 6, 10), dt.date(2024, 6, 14))  # a Sunday
