"""The promotion gate and the rollback flag: pure statistics over hits on the same days, stdlib only.

The daily run judges challengers, so nothing here may import scipy (the ``[train]`` extra): the
exact binomial tail and quantiles are summed with ``math.comb`` (a few hundred calls at most). They
are the same tests as ``fxbot.backtest.skill.paired.mcnemar_test`` and ``fxbot.backtest.stats.random_band``
(the tests compare them with scipy).

The gate judges a challenger once, at the end of its trial window (``lifecycle.shadow_days`` scored
shadow calls), on those calls and, where the retrain stored one bound to the version
(``fxbot.model.holdback``), on the held-back walk-forward of its recipe. It is promoted only on
evidence that it is better:
- it beats the champion on the same days (the shadow days and the held-back days the champion was
  out of sample on): the one-sided exact McNemar test on the discordant calls (H0: the challenger is
  right on at most half of the days where the two disagree) gives p <= ``alpha``, and
- it is not below always-buy's accuracy by more than the random band (half the width of the central
  99 % band of a coin-flip guesser's accuracy over that many calls), on the shadow days and every
  held-back day.
Anything else retires it: no evidence by the end of its trial window is not a promotion.

``alpha`` is the level of one decision: ``lifecycle.alpha_per_year / lifecycle.decisions_per_year``
(0.10 / 12 = 0.0083 by default). Spending the year's budget evenly over its monthly decisions
bounds the chance that a challenger no better than its champion is promoted at least once in a year
by ``alpha_per_year`` (the union bound: whatever the dependence between the months). ``bench/gate.py``
measures both rates, and the power, through ``decide`` itself.

One pair's calls are one per day, so the gate's paired tests need no clustering; pooled across
pairs (the live record against always-buy, ``fxbot.live``) the calls are clustered by date.

The rollback flag rises when the champion's own latest calls fall below always-buy by more than
the random band; it is shown, never acted on.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from fxbot.model.holdback import HeldBack

BAND_LEVEL = 0.99


@functools.lru_cache(maxsize=4096)
def binomial_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    hits: int = sum(math.comb(n, i) for i in range(k + 1))
    total: int = 2**n
    return float(hits / total)


@functools.lru_cache(maxsize=1024)
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


def mcnemar_greater_p(only_a: int, only_b: int) -> float:
    """Exact one-sided McNemar p-value that A is the better: P(X >= only_a), X ~ Binomial(only_a + only_b, 1/2)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    return max(0.0, min(1.0, 1.0 - binomial_cdf(only_a - 1, n)))


def decision_alpha(alpha_per_year: float, decisions_per_year: int) -> float:
    """The level of one gate decision: the year's false-promotion budget spent evenly over its decisions."""
    return alpha_per_year / decisions_per_year


class Tally(msgspec.Struct, frozen=True):
    """What the rule reads: the paired counts against the champion, and the hits against always-buy."""

    paired: int  # days both the challenger (or its recipe) and the champion called, out of sample
    only_challenger: int  # of those, the challenger right and the champion wrong
    only_champion: int  # the champion right and the challenger wrong
    calls: int  # every judged day against always-buy
    hits: int  # the challenger right among them
    up: int  # up days among them: always-buy's hits


Verdict = Literal["promote", "retire"]


def decide(t: Tally, alpha: float) -> tuple[Verdict, str, float]:
    """The gate's rule on a tally: (verdict, reason, one-sided McNemar p against the champion).

    Promote only if the challenger beats the champion on the same days (one-sided exact McNemar
    p <= ``alpha``) and its accuracy is not below always-buy's by more than the random band; else retire.
    """
    p = mcnemar_greater_p(t.only_challenger, t.only_champion)
    if t.paired == 0:
        return "retire", "was never compared with the champion on the same days: no evidence that it is better", p
    if not (p <= alpha and t.only_challenger > t.only_champion):
        return (
            "retire",
            (
                f"shows no evidence that it beats the champion by the end of its trial window (right where the "
                f"champion was wrong on {t.only_challenger} days, the reverse on {t.only_champion}: one-sided "
                f"McNemar p {p:.3f}, the gate needs {alpha:.4f})"
            ),
            p,
        )
    accuracy, always_buy, band = t.hits / t.calls, t.up / t.calls, band_half_width(t.calls)
    if accuracy < always_buy - band - 1e-12:
        return (
            "retire",
            f"beats the champion but is below always-buy ({accuracy:.1%} against {always_buy:.1%}) by more than the "
            f"random band (±{band:.1%})",
            p,
        )
    return (
        "promote",
        (
            f"beats the champion on the same days (right where the champion was wrong on {t.only_challenger} days, the "
            f"reverse on {t.only_champion}: one-sided McNemar p {p:.4f} <= {alpha:.4f}) and {accuracy:.1%} is within "
            f"the random band (±{band:.1%}) of always-buy's {always_buy:.1%} or above it"
        ),
        p,
    )


class Comparison(msgspec.Struct, frozen=True):
    """Accuracies of two sets of calls and always-buy on the same days, with the paired tests."""

    n: int
    accuracy: float  # the judged calls (the challenger, or the champion for the rollback flag)
    reference: float  # the champion's accuracy on the same days (nan for the rollback flag)
    always_buy: float  # share of up days
    band: float  # half-width of the random band for n calls
    p_vs_reference: float  # exact McNemar, two-sided
    p_vs_always_buy: float  # exact McNemar, two-sided
    only_judged: int = 0  # days the judged calls were right and the reference wrong
    only_reference: int = 0  # the reverse
    p_better: float = math.nan  # exact McNemar, one-sided: the judged calls are the better


def compare(hits: Sequence[bool], reference_hits: Sequence[bool] | None, up: Sequence[bool]) -> Comparison:
    """Compare ``hits`` with ``reference_hits`` (optional) and always-buy (its hits are ``up``) on the same days."""
    n = len(hits)
    if len(up) != n or (reference_hits is not None and len(reference_hits) != n):
        raise ValueError("hits, reference hits and outcomes must be given for the same days")
    if n == 0:
        raise ValueError("no scored calls to compare")

    def discordant(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int]:
        return sum(x and not y for x, y in zip(a, b, strict=True)), sum(y and not x for x, y in zip(a, b, strict=True))

    ref_acc, p_ref, only, p_better = math.nan, math.nan, (0, 0), math.nan
    if reference_hits is not None:
        ref_acc = sum(reference_hits) / n
        only = discordant(hits, reference_hits)
        p_ref, p_better = mcnemar_p(*only), mcnemar_greater_p(*only)
    return Comparison(
        n=n,
        accuracy=sum(hits) / n,
        reference=ref_acc,
        always_buy=sum(up) / n,
        band=band_half_width(n),
        p_vs_reference=p_ref,
        p_vs_always_buy=mcnemar_p(*discordant(hits, up)),
        only_judged=only[0],
        only_reference=only[1],
        p_better=p_better,
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
    alpha: float  # the level of this decision
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
            "only_challenger": c.only_judged,
            "only_champion": c.only_reference,
            "p_better": round(c.p_better, 6),
            "p_vs_champion": round(c.p_vs_reference, 4),
            "alpha": round(self.alpha, 6),
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
        else:
            out["held_back_missing"] = self.held_back_missing
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
    alpha: float,
    *,
    held_back: HeldBack | None = None,
    held_back_missing: str = "",
) -> GateDecision:
    """Promote or retire, from the two models' shadow hits and the outcomes on the same days, and the
    held-back walk-forward of the challenger's recipe (its probe's calls, and the champion's where
    it was out of sample too) if there is one; ``held_back_missing`` says why there is none."""
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
    tally = Tally(c.n, c.only_judged, c.only_reference, b.n, sum(all_hits), sum(all_up))
    verdict, reason, _ = decide(tally, alpha)
    missing = {"held_back_missing": held_back_missing} if held_back_missing else {}
    return GateDecision(
        c, b, shadow, part, paired_part, span, no_champion, alpha, verdict == "promote", reason, **missing
    )


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
        f"({c.only_judged} days only the challenger right, {c.only_reference} only the champion: one-sided McNemar "
        f"p {c.p_better:.3f}, needs {decision.alpha:.4f}), "
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
