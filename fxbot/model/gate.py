"""The promotion gate and the rollback flag: pure statistics over hits on the same days, stdlib only.

The daily run judges challengers, so nothing here may import scipy (the ``[train]`` extra): the
exact binomial tail and quantiles are summed with ``math.comb`` (a few hundred calls at most). They
are the same tests as ``fxbot.backtest.skill.mcnemar_test`` and ``fxbot.backtest.stats.random_band``
(the tests compare them with scipy).

The gate promotes a challenger when, on the same scored days,
- its accuracy is not below the champion's by more than ``lifecycle.margin``, and
- its accuracy is not below always-buy's by more than the random band (half the width of the
  central 99 % band of a coin-flip guesser's accuracy over that many calls).
The rollback flag rises when the champion's own latest calls fall below always-buy by more than
the random band; it is shown, never acted on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

BAND_LEVEL = 0.99


def binomial_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    hits: int = sum(math.comb(n, i) for i in range(k + 1))
    total: int = 2**n
    return float(hits / total)


def random_band(n: int, level: float = BAND_LEVEL) -> tuple[float, float]:
    """Central ``level`` band of a coin-flip guesser's accuracy over ``n`` calls (binomial quantiles, as scipy)."""
    if n == 0:
        return (math.nan, math.nan)
    tail = (1.0 - level) / 2.0
    cdf, running, total = [], 0, 2**n
    for k in range(n + 1):
        running += math.comb(n, k)
        cdf.append(running / total)

    def quantile(q: float) -> int:  # the smallest k with P(X <= k) >= q, as scipy's ppf
        return next(k for k, value in enumerate(cdf) if value >= q - 1e-12)

    return (quantile(tail) / n, quantile(1.0 - tail) / n)


def band_half_width(n: int, level: float = BAND_LEVEL) -> float:
    """Half the width of ``random_band``: how far from 50 % a guesser's accuracy strays by chance."""
    low, high = random_band(n, level)
    return (high - low) / 2.0


def mcnemar_p(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts (1 when there are none)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    low, high = binomial_cdf(only_a, n), 1.0 - binomial_cdf(only_a - 1, n)
    return min(1.0, 2.0 * min(low, high))


class Comparison(msgspec.Struct, frozen=True):
    """Accuracies of two sets of calls and always-buy on the same days, with the paired tests."""

    n: int
    accuracy: float  # the judged calls (the challenger, or the champion for the rollback flag)
    reference: float  # the champion's accuracy on the same days (nan for the rollback flag)
    always_buy: float  # share of up days
    band: float  # half-width of the random band for n calls
    p_vs_reference: float  # exact McNemar, two-sided
    p_vs_always_buy: float  # exact McNemar, two-sided


def compare(hits: Sequence[bool], reference_hits: Sequence[bool] | None, up: Sequence[bool]) -> Comparison:
    """Compare ``hits`` with ``reference_hits`` (optional) and always-buy (its hits are ``up``) on the same days."""
    n = len(hits)
    if len(up) != n or (reference_hits is not None and len(reference_hits) != n):
        raise ValueError("hits, reference hits and outcomes must be given for the same days")
    if n == 0:
        raise ValueError("no scored calls to compare")

    def discordant(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int]:
        return sum(x and not y for x, y in zip(a, b, strict=True)), sum(y and not x for x, y in zip(a, b, strict=True))

    ref_acc, p_ref = math.nan, math.nan
    if reference_hits is not None:
        ref_acc = sum(reference_hits) / n
        p_ref = mcnemar_p(*discordant(hits, reference_hits))
    return Comparison(
        n=n,
        accuracy=sum(hits) / n,
        reference=ref_acc,
        always_buy=sum(up) / n,
        band=band_half_width(n),
        p_vs_reference=p_ref,
        p_vs_always_buy=mcnemar_p(*discordant(hits, up)),
    )


class GateDecision(msgspec.Struct, frozen=True):
    """The gate's verdict on a challenger and the evidence behind it."""

    comparison: Comparison
    margin: float
    promote: bool
    reason: str

    def evidence(self) -> dict[str, float | int | str]:
        """The figures for the promotions log and the message."""
        c = self.comparison
        return {
            "calls": c.n,
            "challenger": round(c.accuracy, 4),
            "champion": round(c.reference, 4),
            "always_buy": round(c.always_buy, 4),
            "band": round(c.band, 4),
            "margin": self.margin,
            "p_vs_champion": round(c.p_vs_reference, 4),
            "p_vs_always_buy": round(c.p_vs_always_buy, 4),
            "reason": self.reason,
        }


def judge(
    challenger_hits: Sequence[bool], champion_hits: Sequence[bool], up: Sequence[bool], margin: float
) -> GateDecision:
    """Promote or keep, from the two models' hits and the outcomes on the same days."""
    c = compare(challenger_hits, champion_hits, up)
    if c.accuracy < c.reference - margin - 1e-12:
        return GateDecision(c, margin, False, f"trails the champion by more than the margin {margin:.3f}")
    if c.accuracy < c.always_buy - c.band - 1e-12:
        return GateDecision(c, margin, False, f"below always-buy by more than the random band {c.band:.3f}")
    return GateDecision(
        c, margin, True, "not worse than the champion beyond the margin, nor than always-buy beyond the band"
    )


def rollback_flag(hits: Sequence[bool], up: Sequence[bool]) -> Comparison | None:
    """The champion's comparison with always-buy if it falls below it by more than the random band, else None."""
    if not hits:
        return None
    c = compare(hits, None, up)
    return c if c.accuracy < c.always_buy - c.band - 1e-12 else None
