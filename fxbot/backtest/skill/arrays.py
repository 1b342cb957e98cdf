"""What every skill statistic shares: array coercion, the hit rule, length checks, the normal tail.

Conventions: a direction is +1 (BUY) or -1 (SELL); ``up`` is True when the next close is strictly
higher; a *hit* is a call whose direction matches ``up``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

Alternative = Literal["greater", "two-sided"]
FloatArray = npt.NDArray[np.float64]
TRADING_DAYS_PER_YEAR = 252


def as_float(x: Any) -> FloatArray:
    """``x`` as a float64 array."""
    return np.asarray(x, dtype="float64")


def as_bool(x: Any) -> npt.NDArray[np.bool_]:
    """``x`` as a boolean array."""
    return np.asarray(x, dtype=bool)


def call_hits(direction: Any, up: Any) -> npt.NDArray[np.bool_]:
    """True where a direction (+1 BUY, -1 SELL) matches ``up``; any other direction is an error."""
    d = np.asarray(direction)
    if not np.all(np.isin(d, (-1, 1))):
        raise ValueError("directions must be +1 (BUY) or -1 (SELL); drop the days without a call first")
    hits: npt.NDArray[np.bool_] = (d > 0) == as_bool(up)
    return hits


def same_length(**arrays: Any) -> int:
    """The common length of the given arrays (None ones skipped); unequal lengths are an error naming them."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays must have one entry per call; got lengths {lengths}")
    return next(iter(lengths.values()), 0)


def normal_tail(z: float, alternative: Alternative) -> float:
    """The standard normal p-value of ``z``: upper tail (``"greater"``) or both tails."""
    if alternative == "greater":
        return float(sps.norm.sf(z))
    if alternative == "two-sided":
        return float(2.0 * sps.norm.sf(abs(z)))
    raise ValueError(f"unknown alternative {alternative!r}; use 'greater' or 'two-sided'")


def sum_by_day(values: FloatArray, days: np.ndarray | None) -> FloatArray:
    """``values`` summed per day (days in date order), or as they are without days (one call a day)."""
    if days is None:
        return values
    codes = np.unique(np.asarray(days), return_inverse=True)[1].ravel()
    return np.bincount(codes, weights=values).astype("float64")
