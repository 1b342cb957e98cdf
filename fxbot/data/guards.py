"""The rules every way into the store applies (fetch and import-csv alike): numpy only, no I/O.

- Calendar: a bar on a day that is not a trading day (weekends, Dec 25, Jan 1;
  ``fxbot.calendar.is_trading_day``) is not a bar.
- Jumps: a close more than ``data.max_jump`` from the close before it is refused.
- Overlap: bars that claim to be the stored pair must have closes like the stored ones; when they
  do not, ``closest_pair`` says which stored pair they look like.
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
