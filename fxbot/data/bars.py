"""The bar frame every part of fxbot exchanges, and its validation.

A bar frame is a pandas DataFrame indexed by trading day (``date``, tz-naive midnight, sorted,
unique) with float columns ``open, high, low, close`` and an integer ``volume`` (tick volume,
0 when unknown). One row per trading day, New York 17:00 close, labelled with the trading day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fxbot.errors import DataError

PRICE_COLUMNS = ["open", "high", "low", "close"]
COLUMNS = [*PRICE_COLUMNS, "volume"]


def empty_bars() -> pd.DataFrame:
    """A bar frame with no rows."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PRICE_COLUMNS})
    frame["volume"] = pd.Series(dtype="int64")
    frame.index = pd.DatetimeIndex([], name="date")
    return frame


def make_bars(
    dates: list[pd.Timestamp] | pd.DatetimeIndex,
    open_: np.ndarray | list[float],
    high: np.ndarray | list[float],
    low: np.ndarray | list[float],
    close: np.ndarray | list[float],
    volume: np.ndarray | list[int] | None = None,
) -> pd.DataFrame:
    """Build a bar frame from columns (not validated: call ``validate_bars``)."""
    index = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    index.name = "date"
    frame = pd.DataFrame(
        {
            "open": np.asarray(open_, dtype="float64"),
            "high": np.asarray(high, dtype="float64"),
            "low": np.asarray(low, dtype="float64"),
            "close": np.asarray(close, dtype="float64"),
            "volume": np.zeros(len(index), dtype="int64") if volume is None else np.asarray(volume, dtype="int64"),
        },
        index=index,
    )
    return frame


def _row_label(frame: pd.DataFrame, position: int) -> str:
    return f"row {position + 1} ({frame.index[position].date().isoformat()})"


def validate_bars(frame: pd.DataFrame, source: str) -> None:
    """Raise DataError naming ``source`` and the first offending row if ``frame`` is not valid bars.

    Checks: required columns, dates sorted and unique, no NaN, prices > 0,
    high >= max(open, close), low <= min(open, close).
    """
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{source}: bars must be indexed by date")
    if len(frame) == 0:
        return
    dates = frame.index.values
    dup = np.flatnonzero(dates[1:] == dates[:-1])
    if dup.size:
        raise DataError(
            f"{source}: {_row_label(frame, int(dup[0]) + 1)} duplicates the date before it; keep one bar per day"
        )
    unsorted = np.flatnonzero(dates[1:] < dates[:-1])
    if unsorted.size:
        raise DataError(
            f"{source}: {_row_label(frame, int(unsorted[0]) + 1)} is earlier than the row before it; "
            "sort the bars by date"
        )
    prices = frame[PRICE_COLUMNS].to_numpy(dtype="float64")
    nan_rows = np.flatnonzero(np.isnan(prices).any(axis=1))
    if nan_rows.size:
        raise DataError(
            f"{source}: {_row_label(frame, int(nan_rows[0]))} has a missing (NaN) price; drop the row or re-fetch"
        )
    bad = np.flatnonzero((prices <= 0).any(axis=1))
    if bad.size:
        raise DataError(f"{source}: {_row_label(frame, int(bad[0]))} has a price <= 0; fix or drop the row")
    o, h, low, c = prices.T
    high_bad = np.flatnonzero(h < np.maximum(o, c))
    if high_bad.size:
        raise DataError(
            f"{source}: {_row_label(frame, int(high_bad[0]))} has high below open or close; the bar is corrupt"
        )
    low_bad = np.flatnonzero(low > np.minimum(o, c))
    if low_bad.size:
        raise DataError(
            f"{source}: {_row_label(frame, int(low_bad[0]))} has low above open or close; the bar is corrupt"
        )


def drop_weekend_stubs(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Remove Saturday/Sunday rows: a few ticks printed after the Friday roll are not a trading day.

    MetaTrader servers on New York close time print such stubs (1-3 % of a weekday's ticks).
    Their prices sit inside the following Monday's opening range, so dropping them loses nothing a
    daily model can use. Returns the frame without them and how many were dropped.
    """
    weekend = frame.index.day_of_week >= 5
    return frame.loc[~weekend], int(weekend.sum())
