"""A record against always-buy on the same calls, pooled across pairs, its standard error clustered by date.

Pure and stdlib only (``math``): the daily run and `fxbot status` test the live record here, so
nothing may import scipy or statsmodels. The statistic is the one ``fxbot.backtest.skill.pooled.
pooled_hit_difference`` computes with statsmodels (the tests compare them): per call
d = right(call) - right(always-buy), the mean over N calls, and its variance clustered by date,
G / (G - 1) x sum_g (sum_{i in g} (d_i - mean))^2 / N^2 (statsmodels' cluster-robust OLS on a
constant); z = mean / se, two-sided p = erfc(|z| / sqrt 2). The three pairs' calls of one day move
together (yen crosses), so the day is the independent unit, not the call.

A record is *worse than always-buy* when its accuracy is below always-buy's and p < ``LEVEL``,
with at least ``MIN_DATES`` days (fewer, and the normal approximation is not to be trusted).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from fxbot.signals import VersusBuy

LEVEL = 0.05
MIN_DATES = 20


def clustered_versus(calls: Iterable[tuple[str, bool, bool]], source: str) -> VersusBuy | None:
    """``calls`` as (day, right, up), pooled; None with fewer than ``MIN_DATES`` days or no spread at all."""
    by_day: dict[str, list[float]] = {}
    rights = ups = 0
    for day, right, up in calls:
        by_day.setdefault(day, []).append(float(right) - float(up))
        rights += int(right)
        ups += int(up)
    n, g = sum(len(v) for v in by_day.values()), len(by_day)
    if g < MIN_DATES:
        return None
    mean = sum(sum(v) for v in by_day.values()) / n
    sums = sum((sum(v) - len(v) * mean) ** 2 for v in by_day.values())
    se = math.sqrt(g / (g - 1) * sums) / n
    if not se > 1e-12:
        return None
    p = math.erfc(abs(mean / se) / math.sqrt(2.0))
    return VersusBuy(source, n, g, rights / n, ups / n, mean, se, p)


def versus_from_difference(
    source: str, calls: int, accuracy: float, always_buy: float, difference: float, se: float
) -> VersusBuy | None:
    """The same figures from a stored pooled difference and its clustered SE (a walk-forward report)."""
    if not (se > 0 and math.isfinite(difference) and math.isfinite(se)):
        return None
    p = math.erfc(abs(difference / se) / math.sqrt(2.0))
    return VersusBuy(source, calls, 0, accuracy, always_buy, difference, se, p)


def worse(record: VersusBuy | None) -> bool:
    """True if ``record`` is significantly worse than always-buy (two-sided p < ``LEVEL``, below it)."""
    return record is not None and record.difference < 0 and record.p_value < LEVEL
