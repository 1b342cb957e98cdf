"""Bars: the daily OHLC history every part of fxbot exchanges, as numpy arrays, and its validation.

A ``Bars`` holds one row per trading day (New York 17:00 close, labelled with the trading day):
``dates`` (``datetime64[D]``, sorted, unique), float64 ``open, high, low, close`` and an int64
``volume`` (tick volume, 0 when unknown). numpy only: the daily path (store, features, live
window, scoring) never imports pandas. Training, the backtest and odd broker files use pandas where
it earns its place, through ``to_frame`` / ``from_frame``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import msgspec
import numpy as np

from fxbot.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

PRICE_COLUMNS = ["open", "high", "low", "close"]
COLUMNS = [*PRICE_COLUMNS, "volume"]

DateLike = dt.date | np.datetime64 | str


def to_day(value: DateLike | Any) -> np.datetime64:
    """``value`` (a date, datetime, ISO string or numpy/pandas timestamp) as a ``datetime64[D]``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return cast(np.datetime64, np.asarray(value, dtype="datetime64[D]")[()])


def as_date(day: np.datetime64) -> dt.date:
    """A ``datetime64`` day as a ``datetime.date``."""
    return dt.date.fromisoformat(str(np.asarray(day, dtype="datetime64[D]")))


class Bars(msgspec.Struct, frozen=True, eq=False):
    """Daily bars as parallel numpy arrays (see the module docstring). Not validated: see ``validate_bars``."""

    dates: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def empty(self) -> bool:
        """True if there are no bars."""
        return len(self.dates) == 0

    @property
    def prices(self) -> np.ndarray:
        """The (rows, 4) array of open, high, low, close."""
        return np.column_stack([self.open, self.high, self.low, self.close])

    @property
    def first_date(self) -> dt.date:
        """The first bar's trading day."""
        return as_date(self.dates[0])

    @property
    def last_date(self) -> dt.date:
        """The last bar's trading day."""
        return as_date(self.dates[-1])

    def date(self, i: int) -> dt.date:
        """The trading day of row ``i``."""
        return as_date(self.dates[i])

    def take(self, rows: np.ndarray | slice) -> Bars:
        """The bars at ``rows`` (a slice, a boolean mask or integer positions)."""
        return Bars(
            self.dates[rows], self.open[rows], self.high[rows], self.low[rows], self.close[rows], self.volume[rows]
        )

    def up_to(self, day: DateLike) -> Bars:
        """Bars labelled ``day`` or earlier: what the bot knew after that day's close."""
        return self.take(slice(0, int(np.searchsorted(self.dates, to_day(day), side="right"))))

    def before(self, day: DateLike) -> Bars:
        """Bars labelled strictly before ``day``."""
        return self.take(slice(0, int(np.searchsorted(self.dates, to_day(day), side="left"))))

    def since(self, day: DateLike) -> Bars:
        """Bars labelled ``day`` or later."""
        return self.take(slice(int(np.searchsorted(self.dates, to_day(day), side="left")), None))

    def tail(self, n: int) -> Bars:
        """The last ``n`` bars."""
        return self.take(slice(max(0, len(self) - n), None))

    def to_frame(self) -> pd.DataFrame:
        """The bars as a pandas frame indexed by ``date`` (for training, the backtest and reports)."""
        import pandas as pd

        index = pd.DatetimeIndex(self.dates.astype("datetime64[ns]"), name="date")
        return pd.DataFrame(
            {"open": self.open, "high": self.high, "low": self.low, "close": self.close, "volume": self.volume},
            index=index,
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Bars:
        """Bars from a frame indexed by date with the ``COLUMNS`` (volume optional)."""
        volume = frame["volume"].to_numpy() if "volume" in frame else None
        return make_bars(
            frame.index.to_numpy().astype("datetime64[D]"),
            frame["open"].to_numpy(),
            frame["high"].to_numpy(),
            frame["low"].to_numpy(),
            frame["close"].to_numpy(),
            volume,
        )


def make_bars(
    dates: Sequence[DateLike] | np.ndarray | Any,
    open_: Sequence[float] | np.ndarray,
    high: Sequence[float] | np.ndarray,
    low: Sequence[float] | np.ndarray,
    close: Sequence[float] | np.ndarray,
    volume: Sequence[int] | np.ndarray | None = None,
) -> Bars:
    """Build bars from columns (not validated: call ``validate_bars``)."""
    if isinstance(dates, np.ndarray):
        days = dates.astype("datetime64[D]")
    else:
        days = np.array([to_day(d) for d in dates], dtype="datetime64[D]")
    n = len(days)
    vol = np.zeros(n, dtype="int64") if volume is None else np.asarray(volume, dtype="int64")
    return Bars(
        days,
        np.asarray(open_, dtype="float64"),
        np.asarray(high, dtype="float64"),
        np.asarray(low, dtype="float64"),
        np.asarray(close, dtype="float64"),
        vol,
    )


def empty_bars() -> Bars:
    """Bars with no rows."""
    return make_bars(np.empty(0, dtype="datetime64[D]"), [], [], [], [])


def concat_bars(parts: Sequence[Bars]) -> Bars:
    """The rows of ``parts`` one after another (not sorted or de-duplicated)."""
    if not parts:
        return empty_bars()
    return Bars(*(np.concatenate([getattr(p, name) for p in parts]) for name in ("dates", *COLUMNS)))


def unique_days(bars: Bars) -> Bars:
    """``bars`` sorted by day, keeping the last of rows that share a day (a later page or row wins)."""
    if bars.empty:
        return bars
    ordered = bars.take(np.argsort(bars.dates, kind="stable"))
    return ordered.take(np.append(ordered.dates[1:] != ordered.dates[:-1], True))


def _row_label(bars: Bars, position: int) -> str:
    return f"row {position + 1} ({bars.date(position).isoformat()})"


def validate_bars(bars: Bars, source: str) -> None:
    """Raise DataError naming ``source`` and the first offending row if ``bars`` are not valid.

    Checks: dates sorted and unique, no NaN, prices > 0, high >= max(open, close),
    low <= min(open, close).
    """
    if len(bars) == 0:
        return
    dates = bars.dates
    no_date = np.flatnonzero(np.isnat(dates))
    if no_date.size:
        raise DataError(f"{source}: row {int(no_date[0]) + 1} has no date; fix or drop the row")
    dup = np.flatnonzero(dates[1:] == dates[:-1])
    if dup.size:
        raise DataError(
            f"{source}: {_row_label(bars, int(dup[0]) + 1)} duplicates the date before it; keep one bar per day"
        )
    unsorted = np.flatnonzero(dates[1:] < dates[:-1])
    if unsorted.size:
        raise DataError(
            f"{source}: {_row_label(bars, int(unsorted[0]) + 1)} is earlier than the row before it; "
            "sort the bars by date"
        )
    prices = bars.prices
    nan_rows = np.flatnonzero(~np.isfinite(prices).all(axis=1))
    if nan_rows.size:
        raise DataError(
            f"{source}: {_row_label(bars, int(nan_rows[0]))} has a missing (NaN) price; drop the row or re-fetch"
        )
    bad = np.flatnonzero((prices <= 0).any(axis=1))
    if bad.size:
        raise DataError(f"{source}: {_row_label(bars, int(bad[0]))} has a price <= 0; fix or drop the row")
    o, h, low, c = bars.open, bars.high, bars.low, bars.close
    high_bad = np.flatnonzero(h < np.maximum(o, c))
    if high_bad.size:
        raise DataError(
            f"{source}: {_row_label(bars, int(high_bad[0]))} has high below open or close; the bar is corrupt"
        )
    low_bad = np.flatnonzero(low > np.minimum(o, c))
    if low_bad.size:
        raise DataError(
            f"{source}: {_row_label(bars, int(low_bad[0]))} has low above open or close; the bar is corrupt"
        )


def weekday(dates: np.ndarray) -> np.ndarray:
    """Day of the week of ``datetime64[D]`` dates, Monday 0 .. Sunday 6."""
    return (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday


def drop_weekend_stubs(bars: Bars) -> tuple[Bars, int]:
    """Remove Saturday/Sunday rows: a few ticks printed after the Friday roll are not a trading day.

    MetaTrader servers on New York close time print such stubs (1-3 % of a weekday's ticks).
    Their prices sit inside the following Monday's opening range, so dropping them loses nothing a
    daily model can use. Returns the bars without them and how many were dropped.
    """
    weekend = weekday(bars.dates) >= 5
    return bars.take(~weekend), int(weekend.sum())
