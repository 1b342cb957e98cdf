"""Trading calendar on the New York 17:00 close."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.calendar import is_trading_day, last_completed_trading_day, next_trading_day, trading_days_between

UTC = dt.UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2024, 12, 31, 22, 15, tzinfo=UTC), dt.date(2024, 12, 31)),  # winter: 17:15 NY
        (dt.datetime(2024, 12, 31, 21, 59, tzinfo=UTC), dt.date(2024, 12, 30)),  # 16:59 NY
        (dt.datetime(2024, 7, 5, 21, 1, tzinfo=UTC), dt.date(2024, 7, 5)),  # summer: 17:01 NY
        (dt.datetime(2024, 7, 6, 12, 0, tzinfo=UTC), dt.date(2024, 7, 5)),  # Saturday
        (dt.datetime(2025, 1, 1, 23, 0, tzinfo=UTC), dt.date(2024, 12, 31)),  # Jan 1 has no bar
    ],
)
def test_last_completed_trading_day(now: dt.datetime, expected: dt.date) -> None:
    assert last_completed_trading_day(now) == expected


def test_holidays_and_counting() -> None:
    assert not is_trading_day(dt.date(2024, 12, 25))
    assert next_trading_day(dt.date(2024, 12, 31)) == dt.date(2025, 1, 2)
    assert trading_days_between(dt.date(2024, 12, 20), dt.date(2024, 12, 27)) == 4  # 23, 24, 26, 27
    assert trading_days_between(dt.date(2024, 12, 27), dt.date(2024, 12, 27)) == 0


@settings(max_examples=500, deadline=None)
@given(
    earlier=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31)),
    span=st.integers(min_value=-30, max_value=1200),
)
def test_trading_days_between_counts_like_a_day_by_day_walk(earlier: dt.date, span: int) -> None:
    later = earlier + dt.timedelta(days=span)
    walked, day = 0, earlier
    while day < later:
        day += dt.timedelta(days=1)
        walked += is_trading_day(day)
    assert trading_days_between(earlier, later) == walked
