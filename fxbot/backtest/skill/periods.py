"""Sub-periods and power: the yearly table of vote against always-buy, and what n calls can show."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as sps

from fxbot.backtest.skill.arrays import (
    as_bool,
    as_float,
    call_hits,
    same_length,
)


@dataclass(frozen=True)
class YearRow:
    """One calendar year of calls: accuracy of the vote and of always-buy on them, and the P/L."""

    year: int
    calls: int
    accuracy: float
    always_buy_accuracy: float
    difference: float
    pnl: float
    always_buy_pnl: float


def yearly_table(
    dates: np.ndarray,
    direction: np.ndarray,
    up: np.ndarray,
    pnl: np.ndarray,
    always_buy_pnl: np.ndarray | None = None,
) -> list[YearRow]:
    """Per calendar year of the call dates: calls, vote and always-buy accuracy, their difference,
    summed P/L (of all pairs' calls that year: the portfolio's) and always-buy's P/L (NaN if not given).
    """
    years = np.asarray(dates, dtype="datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    hits = call_hits(direction, up)
    ab_hits = as_bool(up)
    p = as_float(pnl)
    ab = as_float(always_buy_pnl) if always_buy_pnl is not None else np.full(len(p), np.nan)
    same_length(dates=years, direction=hits, pnl=p, always_buy_pnl=ab)
    rows = []
    for year in np.unique(years):
        m = years == year
        acc, ab_acc = float(hits[m].mean()), float(ab_hits[m].mean())
        rows.append(YearRow(int(year), int(m.sum()), acc, ab_acc, acc - ab_acc, float(p[m].sum()), float(ab[m].sum())))
    return rows


# --- Power ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerStatement:
    """What ``n`` calls can show against ``base_rate`` at level ``alpha`` (one-sided, exact binomial)."""

    n: int
    base_rate: float
    alpha: float
    power: float
    critical_hits: int
    accuracy_needed: float
    detectable_accuracy: float
    detectable_edge: float

    def sentence(self) -> str:
        """One line for the report."""
        return (
            f"With {self.n} calls and a base rate of {self.base_rate:.1%}, p < {self.alpha:g} needs "
            f"{self.critical_hits} hits ({self.accuracy_needed:.1%}); a true accuracy of "
            f"{self.detectable_accuracy:.1%} (an edge of {self.detectable_edge * 100:.1f} points) is "
            f"detected with {self.power:.0%} power."
        )


def power_statement(n: int, base_rate: float, alpha: float = 0.01, power: float = 0.8) -> PowerStatement:
    """Accuracy needed for a one-sided exact binomial p <= ``alpha`` and the edge detectable with ``power``.

    The critical count is the smallest k with P(X >= k | n, base_rate) <= alpha, i.e.
    k = F^-1(1 - alpha) + 1 with F the Binomial(n, base_rate) CDF. The detectable accuracy is the p1
    solving P(X >= k | n, p1) = power (monotone in p1; scipy ``brentq``); the edge is p1 - base_rate.
    Use always-buy's accuracy on the same calls as the base rate, not 50 %.
    """
    if n < 1 or not 0 < base_rate < 1:
        raise ValueError(f"need at least one call and a base rate strictly between 0 and 1, got {n}, {base_rate}")
    k = int(sps.binom.ppf(1 - alpha, n, base_rate)) + 1
    while k > 0 and sps.binom.sf(k - 2, n, base_rate) <= alpha:  # guard the ppf against rounding
        k -= 1
    if k > n:
        return PowerStatement(n, base_rate, alpha, power, k, math.nan, math.nan, math.nan)

    def shortfall(p1: float) -> float:
        return float(sps.binom.sf(k - 1, n, p1)) - power

    p1 = float(optimize.brentq(shortfall, base_rate, 1.0 - 1e-12, xtol=1e-12))
    return PowerStatement(n, base_rate, alpha, power, k, k / n, p1, p1 - base_rate)
