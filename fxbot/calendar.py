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
    """Trading days in (earlier, later]: how many bars ``earlier`` lags ``later``."""
    count, day = 0, earlier
    while day < later:
        day = next_trading_day(day)
        if day <= later:
            count += 1
    return count
