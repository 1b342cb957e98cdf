"""The FX trading calendar on the New York 17:00 close: which days have a bar, which one is due.

A bar labelled D covers 17:00 New York on the previous trading day to 17:00 on D, so it is
complete at D 17:00 America/New_York. Weekends have no bar, nor do Dec 25 and Jan 1.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
CLOSE_TIME = dt.time(17, 0)


def is_trading_day(day: dt.date) -> bool:
    """True for Monday-Friday except Dec 25 and Jan 1."""
    if day.weekday() >= 5:
        return False
    return (day.month, day.day) not in {(12, 25), (1, 1)}


def previous_trading_day(day: dt.date) -> dt.date:
    """The last trading day strictly before ``day``."""
    day -= dt.timedelta(days=1)
    while not is_trading_day(day):
        day -= dt.timedelta(days=1)
    return day


def next_trading_day(day: dt.date) -> dt.date:
    """The first trading day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_trading_day(day):
        day += dt.timedelta(days=1)
    return day


def last_completed_trading_day(now: dt.datetime) -> dt.date:
    """The newest trading day whose bar has closed at ``now`` (an aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(NEW_YORK)
    day = local.date()
    if is_trading_day(day) and local.time() >= CLOSE_TIME:
        return day
    return previous_trading_day(day)


def trading_days_between(earlier: dt.date, later: dt.date) -> int:
    """Trading days in (earlier, later]: how many bars ``earlier`` lags ``later``.

    Arithmetic, not a walk: weekdays in the span minus the Dec 25 and Jan 1 that fall on one
    (a stale store two years behind is counted in microseconds, not one day at a time).
    """
    if later <= earlier:
        return 0
    weekdays = _weekdays_through(later) - _weekdays_through(earlier)
    holidays = sum(
        earlier < holiday <= later and holiday.weekday() < 5
        for year in range(earlier.year, later.year + 1)
        for holiday in (dt.date(year, 1, 1), dt.date(year, 12, 25))
    )
    return weekdays - holidays


def _weekdays_through(day: dt.date) -> int:
    """Monday-Friday days from 0001-01-01 (ordinal 1, a Monday) up to and including ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)
