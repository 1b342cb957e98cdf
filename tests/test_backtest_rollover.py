"""Rollover: hand-computed carry over a weekend, missing months, the shipped rate files (fast, pure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxbot.backtest.analysis import Options, analyze_pair
from fxbot.backtest.rollover import RateTable, carry_days, load_rates, pair_rollover
from fxbot.backtest.walkforward import PairCalls
from fxbot.errors import DataError

from .conftest import REPO

# US 2.50 %, JP -0.10 % in March 2019 (round figures for the hand computation), no April rates.
TABLE = RateTable({"USD": {"2019-03": 2.5}, "JPY": {"2019-03": -0.1}})


def test_long_usdjpy_over_wednesdays_close_earns_three_days_of_the_differential_less_the_markup() -> None:
    """Spot is T+2: held over Wednesday's close the value date moves Friday -> Monday (the Wednesday triple)."""
    wednesday, thursday = np.array(["2019-03-06"], "datetime64[D]"), np.array(["2019-03-07"], "datetime64[D]")
    assert carry_days(wednesday, thursday).tolist() == [3]
    long = pair_rollover(TABLE, "USD", "JPY", np.array([1.0]), wednesday, thursday, markup=0.5, leverage=1.79)
    # (2.5 - (-0.1) - 0.5) % a year x 3/365 x 1.79 = 0.021 x 3 / 365 x 1.79
    assert long[0] == pytest.approx(0.021 * 3 / 365 * 1.79, rel=1e-12)
    assert long[0] == pytest.approx(3.0896e-4, rel=1e-4)
    short = pair_rollover(TABLE, "USD", "JPY", np.array([-1.0]), wednesday, thursday, markup=0.5, leverage=1.79)
    # the short pays the differential and the mark-up: (-2.6 - 0.5) % a year
    assert short[0] == pytest.approx(-0.031 * 3 / 365 * 1.79, rel=1e-12)
    tuesday = pair_rollover(
        TABLE, "USD", "JPY", np.array([1.0]), np.array(["2019-03-12"], "datetime64[D]"),
        np.array(["2019-03-13"], "datetime64[D]"), markup=0.5,
    )  # fmt: skip
    assert tuesday[0] == pytest.approx(long[0] / 3 / 1.79)


def test_friday_carries_one_day_and_a_week_carries_seven_either_way() -> None:
    week = np.array(["2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07", "2019-03-08"], "datetime64[D]")
    following = np.array(["2019-03-05", "2019-03-06", "2019-03-07", "2019-03-08", "2019-03-11"], "datetime64[D]")
    assert carry_days(week, following).tolist() == [1, 1, 3, 1, 1]  # value Tue..Wed .. Fri->Mon .. Tue->Wed
    assert carry_days(week, following, "calendar").tolist() == [1, 1, 1, 1, 3]  # the count fxbot used before
    assert carry_days(week, following).sum() == carry_days(week, following, "calendar").sum() == 7
    with pytest.raises(ValueError, match="use 'spot' or 'calendar'"):
        carry_days(week, following, "tom-next")


def test_a_month_without_rates_gives_nan_not_a_guess() -> None:
    days = np.array(["2019-03-29", "2019-04-01"], "datetime64[D]")
    nxt = np.array(["2019-04-01", "2019-04-02"], "datetime64[D]")
    out = pair_rollover(TABLE, "USD", "JPY", np.array([1.0, 1.0]), days, nxt, markup=0.5)
    assert np.isfinite(out[0]) and np.isnan(out[1])  # March known; April is not carried forward
    assert np.isnan(pair_rollover(TABLE, "GBP", "JPY", np.array([1.0]), days[:1], nxt[:1], 0.5)[0])


def test_shipped_rates_cover_2002_to_2024_with_the_one_gap_named() -> None:
    table = load_rates(REPO / "data" / "rates")
    for currency in ("USD", "JPY", "GBP", "EUR"):
        assert table.coverage(currency) is not None
        first, last = table.coverage(currency)  # type: ignore[misc]
        assert first == "2002-04" and last == "2024-12"
    assert "2020-04" not in table.rates["USD"]  # blank in the source: missing, not zero
    assert table.rates["JPY"]["2008-01"] == pytest.approx(0.85, abs=0.2)
    assert (REPO / "data" / "rates" / "SOURCE.md").read_text().count("FRED") >= 1
    with pytest.raises(DataError, match="rates_dir"):
        load_rates(REPO / "nowhere")


def test_analysis_adds_rollover_to_the_pnl_and_counts_days_without_rates() -> None:
    dates = pd.DatetimeIndex(["2019-03-28", "2019-03-29", "2019-04-01"])  # Thu, Fri, Mon
    nxt = pd.DatetimeIndex(["2019-03-29", "2019-04-01", "2019-04-02"])
    calls = PairCalls(
        pair="USDJPY",
        dates=dates,
        member_probs=np.full((3, 3), 0.9),  # always long
        logistic_probs=np.full(3, 0.5),
        period=np.array(["2019"] * 3),
        prev_close=np.array([110.0, 110.0, 110.0]),
        close=np.array([110.0, 110.0, 110.0]),
        next_close=np.array([110.0, 110.0, 110.0]),  # flat: the P/L is cost + rollover only
        next_dates=nxt,
    )
    opts = Options(leverage={"USDJPY": 1.0}, pip_size={"USDJPY": 0.01}, cost_pips={"USDJPY": 0.4}, rates=TABLE)
    metrics, series = analyze_pair(calls, opts)
    carry = 0.021 / 365
    cost = 0.4 * 0.01 / 110.0
    # Spot value dates: Thursday's close rolls Mon 1 Apr -> Tue 2 Apr, Friday's Tue -> Wed: one day each (the
    # weekend was paid on Wednesday's close, not here); Monday's month has no rates.
    np.testing.assert_allclose(series.pnl, [carry - cost, carry - cost, -cost], rtol=1e-12)
    assert metrics.rollover.days_without_rates == 1
    assert metrics.rollover.months_without_rates == ["2019-04"]
    assert metrics.rollover.total == pytest.approx(2 * carry)


def test_rates_file_with_a_bad_value_is_refused_with_its_line(tmp_path: Path) -> None:
    for name in ("IR3TIB01USM156N.csv", "IR3TIB01JPM156N.csv", "IR3TIB01GBM156N.csv", "IR3TIB01DEM156N.csv"):
        (tmp_path / name).write_text("observation_date,x\n2019-01-01,1.5\n2019-02-01,\n")
    assert load_rates(tmp_path).rates["USD"] == {"2019-01": 1.5}
    (tmp_path / "IR3TIB01USM156N.csv").write_text("observation_date,x\n2019-01-01,one\n")
    with pytest.raises(DataError, match="line 2"):
        load_rates(tmp_path)


def test_rollover_of_part_positions_pays_the_markup_on_the_size_held() -> None:
    from fxbot.backtest.rollover import DAYS_PER_YEAR, rollover

    # base 5 %, quote 0 %, mark-up 1 %: half long earns 2.5 - 0.5, flat pays nothing, half short pays 2.5 + 0.5
    got = rollover(np.array([0.5, 0.0, -0.5]), np.full(3, 5.0), np.zeros(3), np.ones(3), markup=1.0)
    np.testing.assert_allclose(got, np.array([2.0, 0.0, -3.0]) / 100 / DAYS_PER_YEAR)
