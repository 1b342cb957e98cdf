"""Per-period variant selection: each period takes the variant that was best on the periods before it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from fxbot.backtest.selection import SELECTED, choose, edge_before, selected_result
from fxbot.backtest.variants import Variant
from fxbot.backtest.walkforward import PairCalls, Period, WalkForwardResult

PERIODS = [Period(str(y), dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in (2010, 2011, 2012)]
DAYS = pd.DatetimeIndex(["2010-03-01", "2010-03-02", "2011-03-01", "2011-03-02", "2012-03-01", "2012-03-02"])
LABELS = np.array(["2010", "2010", "2011", "2011", "2012", "2012"])
CLOSE = np.array([100.0, 101.0, 102.0, 101.0, 100.0, 99.0])
NEXT = np.array([101.0, 102.0, 101.0, 100.0, 99.0, 100.0])  # up, up, down, down, down, up


def _result(name: str, calls_up: list[bool], target: str = "next_day") -> WalkForwardResult:
    probs = np.where(np.array(calls_up)[:, None], 0.9, 0.1) * np.ones((1, 3))
    calls = PairCalls(
        pair="USDJPY",
        dates=DAYS,
        member_probs=probs,
        logistic_probs=np.full(6, 0.5),
        period=LABELS,
        prev_close=CLOSE,
        close=CLOSE,
        next_close=NEXT,
    )
    return WalkForwardResult({"USDJPY": calls}, PERIODS, variant=Variant(name=name, target=target))  # type: ignore[arg-type]


# "a" is right in 2010 (2/2) and wrong in 2011 (0/2); "b" the other way round; "c" right in 2010, 2011 once.
A = _result("a", [True, True, True, True, True, True])
B = _result("b", [False, False, False, False, False, False])
C = _result("c", [True, True, False, True, False, False])
VARIANTS = [A.variant, B.variant, C.variant]


def test_edge_before_is_accuracy_minus_the_share_of_up_days_on_those_periods() -> None:
    # 2010: two up days; a right twice (1.0 - 1.0 = 0), b wrong twice (0 - 1 = -1)
    assert edge_before(A, {"2010"}) == 0.0
    assert edge_before(B, {"2010"}) == -1.0
    # 2010 + 2011: up share 2/4; c right 3 of 4: 0.75 - 0.5
    assert edge_before(C, {"2010", "2011"}) == 0.25
    assert np.isnan(edge_before(A, set()))


def test_each_period_is_chosen_from_the_earlier_periods_only() -> None:
    choices = choose({"a": A, "b": B, "c": C}, ["a", "b", "c"])
    assert [c.period for c in choices] == ["2010", "2011", "2012"]
    # 2010: no history, first variant. 2011: on 2010, a (0) ties c (0) and beats b (-1): the earlier, a.
    # 2012: on 2010-2011, a 0.5 - 0.5 = 0, b 0.5 - 0.5 = 0, c 0.75 - 0.5 = 0.25: c.
    assert [c.chosen for c in choices] == ["a", "a", "c"]
    assert choices[0].edges_before == {}
    assert choices[2].edges_before == {"a": 0.0, "b": 0.0, "c": 0.25}


def test_the_selected_series_is_each_periods_chosen_calls_and_changing_a_later_period_changes_no_choice() -> None:
    result = selected_result({"a": A, "b": B, "c": C}, VARIANTS)
    assert result is not None and result.variant.name == SELECTED
    calls = result.calls["USDJPY"]
    np.testing.assert_array_equal(calls.vote_up, [True, True, True, True, False, False])  # a, a, c
    assert [c.chosen for c in result.selection or []] == ["a", "a", "c"]
    # no hindsight: flipping c's 2012 calls (the period being chosen for) cannot change the 2012 choice
    c_flipped = _result("c", [True, True, False, True, True, True])
    again = selected_result({"a": A, "b": B, "c": c_flipped}, VARIANTS)
    assert again is not None and [c.chosen for c in again.selection or []] == ["a", "a", "c"]


def test_only_variants_with_the_first_target_compete() -> None:
    five_day = _result("d", [False] * 6, target="5_days")
    assert selected_result({"a": A, "d": five_day}, [A.variant, five_day.variant]) is None
    result = selected_result({"a": A, "d": five_day, "b": B}, [A.variant, five_day.variant, B.variant])
    assert result is not None and all(c.chosen in ("a", "b") for c in result.selection or [])
