"""The promotion gate and the rollback flag: pure statistics over hits on the same days, stdlib only.

The daily run judges challengers, so nothing here may import scipy (the ``[train]`` extra): the
exact binomial tail and quantiles are summed with ``math.comb`` (a few hundred calls at most). They
are the same tests as ``fxbot.backtest.skill.mcnemar_test`` and ``fxbot.backtest.stats.random_band``
(the tests compare them with scipy).

The gate judges a challenger on its scored shadow calls and, where the retrain stored one, on the
held-back walk-forward of its recipe (``fxbot.model.holdback``: the same settings trained without
the latest months, calling them). It promotes when
- its accuracy is not below the champion's by more than ``lifecycle.margin``, on the shadow days and
  the held-back days the champion was out of sample on (the same days for both), and
- its accuracy is not below always-buy's by more than the random band (half the width of the
  central 99 % band of a coin-flip guesser's accuracy over that many calls), on the shadow days and
  every held-back day.
The rollback flag rises when the champion's own latest calls fall below always-buy by more than
the random band; it is shown, never acted on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import msgspec

from fxbot.model.holdback import HeldBack

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
    """The gate's verdict on a challenger and the evidence behind it.

    ``vs_champion`` pools the shadow days and the held-back days the champion was out of sample on;
    ``vs_always_buy`` pools the shadow days and every held-back day. ``shadow`` and ``held_back`` are
    the two parts on their own, for the record (``held_back`` is None without a held-back walk-forward).
    """

    vs_champion: Comparison
    vs_always_buy: Comparison
    shadow: Comparison
    held_back: Comparison | None  # the probe against always-buy on every held-back day
    held_back_paired: Comparison | None  # the probe against the champion where it was out of sample too
    held_back_span: str  # "2023-12-29..2024-03-29", or "" without one
    held_back_no_champion: str  # why the champion has no held-back days to compare, or ""
    margin: float
    promote: bool
    reason: str
    held_back_missing: str = "no held-back walk-forward stored"  # said when ``held_back`` is None

    def evidence(self) -> dict[str, Any]:
        """The figures for the promotions log and the message."""
        c, b = self.vs_champion, self.vs_always_buy
        out: dict[str, Any] = {
            "calls": c.n,
            "challenger": round(c.accuracy, 4),
            "champion": round(c.reference, 4),
            "p_vs_champion": round(c.p_vs_reference, 4),
            "margin": self.margin,
            "calls_vs_always_buy": b.n,
            "challenger_vs_always_buy": round(b.accuracy, 4),
            "always_buy": round(b.always_buy, 4),
            "band": round(b.band, 4),
            "p_vs_always_buy": round(b.p_vs_always_buy, 4),
            "shadow": _part(self.shadow),
            "reason": self.reason,
        }
        if self.held_back is not None:
            out["held_back"] = {"span": self.held_back_span, **_part(self.held_back, "recipe")}
            if self.held_back_paired is not None:
                paired = self.held_back_paired
                out["held_back"]["champion_calls"] = paired.n
                out["held_back"]["recipe_on_those"] = round(paired.accuracy, 4)
                out["held_back"]["champion"] = round(paired.reference, 4)
        return out


def _part(c: Comparison, judged: str = "challenger") -> dict[str, Any]:
    part: dict[str, Any] = {"calls": c.n, judged: round(c.accuracy, 4), "always_buy": round(c.always_buy, 4)}
    if not math.isnan(c.reference):
        part["champion"] = round(c.reference, 4)
    return part


def judge(
    challenger_hits: Sequence[bool],
    champion_hits: Sequence[bool],
    up: Sequence[bool],
    margin: float,
    *,
    held_back: HeldBack | None = None,
) -> GateDecision:
    """Promote or keep, from the two models' shadow hits and the outcomes on the same days, and the
    held-back walk-forward of the challenger's recipe (its probe's calls, and the champion's where
    it was out of sample too) if there is one."""
    shadow = compare(challenger_hits, champion_hits, up)
    hits, ref, same_up = list(challenger_hits), list(champion_hits), list(up)
    all_hits, all_up = list(challenger_hits), list(up)
    part, paired_part, span, no_champion = None, None, "", ""
    if held_back is not None and held_back.days:
        probe, champion, held_up = held_back.paired()
        hits, ref, same_up = hits + probe, ref + champion, same_up + held_up
        all_hits += held_back.probe_hits()
        all_up += [d.up for d in held_back.days]
        part = compare(held_back.probe_hits(), None, [d.up for d in held_back.days])
        paired_part = compare(probe, champion, held_up) if champion else None
        span = held_back.span()
        if paired_part is None:
            no_champion = (
                "the champion has changed since the retrain: not compared there"
                if held_back.champion is None
                else "the champion had trained on every held-back day: not compared there"
            )
    c, b = compare(hits, ref, same_up), compare(all_hits, None, all_up)
    if c.accuracy < c.reference - margin - 1e-12:
        promote, reason = False, f"trails the champion by more than the margin {margin:.3f}"
    elif b.accuracy < b.always_buy - b.band - 1e-12:
        promote, reason = False, f"below always-buy by more than the random band {b.band:.3f}"
    else:
        promote, reason = (
            True,
            (
                f"{c.accuracy:.1%} is within the margin ({margin:.1%}) of the champion's {c.reference:.1%} or "
                f"above it, and {b.accuracy:.1%} within the random band (±{b.band:.1%}) of always-buy's "
                f"{b.always_buy:.1%} or above it: no evidence that it is worse"
            ),
        )
    return GateDecision(c, b, shadow, part, paired_part, span, no_champion, margin, promote, reason)


def _right(c: Comparison, accuracy: float) -> str:
    return f"{round(accuracy * c.n)}/{c.n}"


def gate_figures(decision: GateDecision) -> str:
    """The evidence in one line: each part's counts, then the two pooled comparisons the rule reads."""
    s, c, b = decision.shadow, decision.vs_champion, decision.vs_always_buy
    parts = [
        f"shadow {_right(s, s.accuracy)} right "
        f"(champion {_right(s, s.reference)}, always-buy {_right(s, s.always_buy)})"
    ]
    h, hp = decision.held_back, decision.held_back_paired
    if h is None:
        parts.append(decision.held_back_missing)
    else:
        champion = (
            f"; on the {hp.n} days the champion was out of sample too: recipe {_right(hp, hp.accuracy)}, "
            f"champion {_right(hp, hp.reference)}"
            if hp is not None
            else f"; {decision.held_back_no_champion}"
        )
        parts.append(
            f"held back {decision.held_back_span} (the recipe: the challenger's settings trained without those "
            f"days): recipe {_right(h, h.accuracy)} "
            f"(always-buy {_right(h, h.always_buy)}{champion})"
        )
    parts.append(
        f"judged: {c.accuracy:.1%} vs champion {c.reference:.1%} over {c.n} calls "
        f"(McNemar p {c.p_vs_reference:.2f}, margin {decision.margin:.1%}), "
        f"{b.accuracy:.1%} vs always-buy {b.always_buy:.1%} over {b.n} calls "
        f"(p {b.p_vs_always_buy:.2f}, random band ±{b.band:.1%})"
    )
    return "; ".join(parts)


def rollback_flag(hits: Sequence[bool], up: Sequence[bool]) -> Comparison | None:
    """The champion's comparison with always-buy if it falls below it by more than the random band, else None."""
    if not hits:
        return None
    c = compare(hits, None, up)
    return c if c.accuracy < c.always_buy - c.band - 1e-12 else None
