"""The rules every way into the store applies (fetch and import-csv alike): numpy only, no I/O.

- Calendar: a bar on a day that is not a trading day (weekends, Dec 25, Jan 1;
  ``fxbot.calendar.is_trading_day``) is not a bar.
- Jumps: a close more than ``data.max_jump`` from the close before it is refused.
- Overlap: bars that claim to be the stored pair must have closes like the stored ones; when they
  do not, ``closest_pair`` says which stored pair they look like.
- Level: bars that share no date with the stored ones may not move, where they meet them, more than
  the stored history ever moved in a day (``level_jump``): another pair's prices are told by their level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec
import numpy as np

from fxbot.calendar import is_trading_day
from fxbot.data.bars import Bars, as_date


def trading_mask(dates: np.ndarray) -> np.ndarray:
    """True where a ``datetime64[D]`` date is a trading day (``fxbot.calendar.is_trading_day``)."""
    days, where = np.unique(dates, return_inverse=True)  # each distinct day asked once (a file may repeat them)
    return np.array([is_trading_day(as_date(d)) for d in days], dtype=bool)[where.reshape(-1)]


class Jump(msgspec.Struct, frozen=True):
    """A close too far from the close before it."""

    day: dt.date
    close: float
    previous_day: dt.date
    previous_close: float
    change: float

    def describe(self, max_jump: float) -> str:
        """The jump in words, for an error message."""
        return (
            f"the close of {self.day} ({self.close:g}) is {self.change:.1%} from the previous close "
            f"({self.previous_close:g} on {self.previous_day}), more than data.max_jump ({max_jump:.0%})"
        )


def first_jump(bars: Bars, checked: np.ndarray, max_jump: float) -> Jump | None:
    """The first bar where ``checked`` is True whose close is more than ``max_jump`` from the close before it."""
    closes = bars.close
    if len(closes) < 2:
        return None
    change = np.abs(closes[1:] / closes[:-1] - 1.0)
    bad = np.flatnonzero(checked[1:] & (change > max_jump))
    if not bad.size:
        return None
    i = int(bad[0]) + 1
    return Jump(bars.date(i), float(closes[i]), bars.date(i - 1), float(closes[i - 1]), float(change[i - 1]))


class CloseGap(msgspec.Struct, frozen=True):
    """How far the closes of two bar sets are apart on the days they share."""

    common: int
    median: float  # median relative difference of the closes (nan without common days)
    differences: np.ndarray  # relative difference per common day

    def beyond(self, threshold: float) -> int:
        """How many common days differ by more than ``threshold`` (relative)."""
        return int((self.differences > threshold).sum())


def close_gap(bars: Bars, reference: Bars) -> CloseGap:
    """The relative differences of ``bars``' closes from ``reference``'s on their common days."""
    common, mine, theirs = np.intersect1d(bars.dates, reference.dates, assume_unique=True, return_indices=True)
    if not len(common):
        return CloseGap(0, float("nan"), np.empty(0))
    differences = np.abs(bars.close[mine] / reference.close[theirs] - 1.0)
    return CloseGap(len(common), float(np.median(differences)), differences)


def closest_pair(bars: Bars, candidates: Mapping[str, Bars], min_common: int = 1) -> tuple[str, CloseGap] | None:
    """The candidate whose closes are nearest to ``bars``' (by median relative difference), or None."""
    gaps = {pair: close_gap(bars, stored) for pair, stored in candidates.items()}
    usable = {pair: gap for pair, gap in gaps.items() if gap.common >= min_common}
    if not usable:
        return None
    pair = min(usable, key=lambda p: usable[p].median)
    return pair, usable[pair]


# Bars sharing no date with the store: their level at a seam may move at most LEVEL_MARGIN times the stored
# history's largest one-day move (x the square root of the trading days between), judged once the history has
# LEVEL_HISTORY bars. The bundled history's largest days are 7.0 % (USD/JPY), 9.8 % (EUR/JPY), 11.6 % (GBP/JPY),
# all in October 2008: 1.5 x those leaves room for a new record; another pair 10-20 % away is refused. A store
# whose history lacked 2008 would have refused 4 real days of that October (its record moves were 1.8-2.1 x).
LEVEL_MARGIN = 1.5
LEVEL_HISTORY = 250


class LevelJump(msgspec.Struct, frozen=True):
    """A seam between stored and new bars that moves more than the stored history could in the days between."""

    before: dt.date
    before_close: float
    after: dt.date
    after_close: float
    change: float
    days: int  # trading days after ``before``, up to ``after`` (``fxbot.calendar``)
    worst: float  # the stored history's largest one-day move


def level_jump(stored: Bars, merged: Bars, written: np.ndarray) -> LevelJump | None:
    """The first seam of ``merged`` (``written`` marks the new bars) whose move is beyond the stored history's reach.

    None when the history is shorter than ``LEVEL_HISTORY`` bars (too short to know the pair's largest day).
    """
    if len(stored) < LEVEL_HISTORY or not written.any():
        return None
    worst = float(np.max(np.abs(stored.close[1:] / stored.close[:-1] - 1.0)))
    for i in (np.flatnonzero(written[1:] != written[:-1]) + 1).tolist():  # a stored bar beside a new one
        before, after = merged.date(i - 1), merged.date(i)
        between = np.arange(merged.dates[i - 1] + 1, merged.dates[i] + 1)  # the days after ``before``, to ``after``
        days = max(1, int(trading_mask(between).sum()))
        change = abs(float(merged.close[i]) / float(merged.close[i - 1]) - 1.0)
        if change > LEVEL_MARGIN * worst * float(np.sqrt(days)):
            return LevelJump(before, float(merged.close[i - 1]), after, float(merged.close[i]), change, days, worst)
    return None
