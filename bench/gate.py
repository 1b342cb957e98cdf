"""The promotion gate's operating characteristic, simulated through its own decision function.

    .venv/bin/python -m bench.gate [--decisions 60000] [--seed 20]

Every simulated decision is a ``fxbot.model.gate.Tally`` judged by ``fxbot.model.gate.decide`` at
the shipped lifecycle defaults (``LifecycleSettings()``: the trial window of ``shadow_days`` scored
shadow calls, ``holdback_months`` held back, the level ``alpha_per_year / decisions_per_year``).
The days of one decision, as a monthly retrain makes them:
- the shadow days (``shadow_days``), where the challenger and the champion both call;
- the held-back days (21 trading days a month held back), where the recipe calls every day and the
  champion, trained a month before the challenger, only those of the last month (21 days).
The champion calls BUY or SELL with even odds, whatever happens (no skill); outcomes are up with
probability 50 % (or 55 / 60 / 65 % in the drift cases). A challenger "no better" is the same kind
of caller, independent of the champion; a challenger with an edge of e points is right with
probability 50 % + e, independently of the champion (independent calls disagree most often: the
most favourable case for power); a second line lets it copy the champion's call on 60 % of days, as
challengers retrained from the same recipe and seeds do (the 2024 replay). A year
is 12 monthly decisions (``decisions_per_year``), simulated independently.

Prints figures; asserts nothing. Bounded: a fixed number of decisions per case, a fixed seed; about
10-20 s on this machine.
"""

from __future__ import annotations

import argparse
import time

import msgspec
import numpy as np
import numpy.typing as npt

from fxbot.config import LifecycleSettings
from fxbot.model.gate import Tally, band_half_width, decide, decision_alpha

DAYS_PER_MONTH = 21
BoolArray = npt.NDArray[np.bool_]


class Case:
    """How one kind of decision's calls are drawn."""

    def __init__(
        self, up_share: float, challenger_right: float | None, challenger_buys: float = 0.5, copies: float = 0.0
    ) -> None:
        self.up_share = up_share
        self.challenger_right = challenger_right  # None: a caller with no skill that buys ``challenger_buys``
        self.challenger_buys = challenger_buys
        # The share of days the challenger makes the champion's call (models trained alike agree more than chance);
        # on the others it calls on its own, right with the probability that keeps its accuracy ``challenger_right``.
        self.copies = copies


def _draw(case: Case, n: int, days: int, rng: np.random.Generator) -> tuple[BoolArray, BoolArray, BoolArray]:
    """(challenger right, champion right, up) for ``n`` decisions of ``days`` days each."""
    up = rng.random((n, days)) < case.up_share
    champion_buy = rng.random((n, days)) < 0.5
    if case.challenger_right is None:
        challenger_buy = rng.random((n, days)) < case.challenger_buys
        challenger = challenger_buy == up
    else:
        own = 0.5 + (case.challenger_right - 0.5) / (1.0 - case.copies)  # its accuracy where it does not copy
        challenger = rng.random((n, days)) < own
    if case.copies > 0:
        copied = rng.random((n, days)) < case.copies
        challenger = np.where(copied, champion_buy == up, challenger)
    return challenger, champion_buy == up, up


def simulate(case: Case, n: int, rng: np.random.Generator, settings: LifecycleSettings) -> BoolArray:
    """Whether each of ``n`` decisions promoted, judged by the gate's ``decide``."""
    shadow, held = settings.shadow_days, DAYS_PER_MONTH * settings.holdback_months
    champion_days = min(DAYS_PER_MONTH, held)  # the held-back days the champion had not trained on
    challenger, champion, up = _draw(case, n, shadow + held, rng)
    # Paired with the champion: the shadow days (first) and the last month held back (last columns).
    paired = np.concatenate([np.arange(shadow), np.arange(shadow + held - champion_days, shadow + held)])
    only_challenger = (challenger[:, paired] & ~champion[:, paired]).sum(axis=1)
    only_champion = (~challenger[:, paired] & champion[:, paired]).sum(axis=1)
    hits, ups = challenger.sum(axis=1), up.sum(axis=1)
    alpha = decision_alpha(settings.alpha_per_year, settings.decisions_per_year)
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        tally = Tally(
            len(paired), int(only_challenger[i]), int(only_champion[i]), shadow + held, int(hits[i]), int(ups[i])
        )
        out[i] = decide(tally, alpha)[0] == "promote"
    return out


def old_rule(case: Case, n: int, rng: np.random.Generator, settings: LifecycleSettings) -> float:
    """The share the rule before issue 20 promoted (within 2 points of the champion and the random band of
    always-buy, no test), on the same kind of days: for contrast only."""
    shadow, held = settings.shadow_days, DAYS_PER_MONTH * settings.holdback_months
    champion_days = min(DAYS_PER_MONTH, held)
    challenger, champion, up = _draw(case, n, shadow + held, rng)
    paired = np.concatenate([np.arange(shadow), np.arange(shadow + held - champion_days, shadow + held)])
    ahead = challenger[:, paired].mean(axis=1) >= champion[:, paired].mean(axis=1) - 0.02 - 1e-12
    band = band_half_width(shadow + held)
    near_buy = challenger.mean(axis=1) >= up.mean(axis=1) - band - 1e-12
    return float((ahead & near_buy).mean())


def per_year(promoted: BoolArray, decisions_per_year: int) -> float:
    """The share of years (consecutive blocks of ``decisions_per_year`` decisions) with at least one promotion."""
    years = len(promoted) // decisions_per_year
    return float(promoted[: years * decisions_per_year].reshape(years, decisions_per_year).any(axis=1).mean())


def main() -> None:
    """Print the false-promotion rates, the power and the drift cases at the shipped defaults."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=60_000, help="decisions per no-better case (12 a year)")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    n = max(12, min(args.decisions, 1_000_000))  # bounded
    rng = np.random.default_rng(args.seed)
    settings = LifecycleSettings()
    per = settings.decisions_per_year
    alpha = decision_alpha(settings.alpha_per_year, per)
    started = time.perf_counter()
    print(
        f"# fxbot.model.gate.decide at the shipped defaults: trial window {settings.shadow_days} shadow calls, "
        f"{settings.holdback_months} months held back ({DAYS_PER_MONTH * settings.holdback_months} days, the champion "
        f"out of sample on {DAYS_PER_MONTH} of them), level per decision {settings.alpha_per_year} / {per} = "
        f"{alpha:.4f}; {n} decisions per no-better case, {n // 3} per other case, seed {args.seed}"
    )
    null = simulate(Case(0.5, None), n, rng, settings)
    print(f"false promotion per decision: {null.mean():.4f}")
    print(f"false promotion per year: {per_year(null, per):.4f}")
    powers = []
    for edge in (0.02, 0.05, 0.10):
        promoted = simulate(Case(0.5, 0.5 + edge), n // 3, rng, settings)
        powers.append(f"+{edge * 100:.0f} points {promoted.mean():.3f} (per year {per_year(promoted, per):.3f})")
    print("power: " + ", ".join(powers))
    alike = []
    for edge in (0.05, 0.10):
        promoted = simulate(Case(0.5, 0.5 + edge, copies=0.6), n // 3, rng, settings)
        alike.append(f"+{edge * 100:.0f} points {promoted.mean():.3f}")
    null_alike = simulate(Case(0.5, 0.5, copies=0.6), n // 3, rng, settings)
    print(
        "# when the challenger makes the champion's call on 60 % of days (they then agree on 80 %, disagree on about "
        f"8 of 42 paired days; the 2024 replay saw 3 to 39 of 42-86): power {', '.join(alike)}; "
        f"false promotion per decision {null_alike.mean():.4f}"
    )
    longer = msgspec.structs.replace(settings, shadow_days=120)
    wider = []
    for edge in (0.05, 0.10):
        promoted = simulate(Case(0.5, 0.5 + edge), n // 3, rng, longer)
        wider.append(f"+{edge * 100:.0f} points {promoted.mean():.3f}")
    print(
        f"# for comparison, a 120-call trial window (lifecycle.shadow_days: 120, about six months): {', '.join(wider)}"
    )
    for share in (0.55, 0.60, 0.65):
        drift_null = simulate(Case(share, None), n, rng, settings)
        biased = Case(share, None, challenger_buys=0.75)
        gain = 0.75 * share + 0.25 * (1 - share) - 0.5
        long_biased = simulate(biased, n // 3, rng, settings)
        print(
            f"drift {share:.0%} up-days: false promotion per decision {drift_null.mean():.4f}, per year "
            f"{per_year(drift_null, per):.4f}; a challenger with no skill that buys 75 % of days (the drift gives it "
            f"+{gain * 100:.1f} points over the champion, {(0.75 * share + 0.25 * (1 - share) - share) * 100:+.1f} "
            f"against always-buy) promoted per decision {long_biased.mean():.4f}"
        )
    old = old_rule(Case(0.5, None), n // 3, rng, settings)
    print(f"for contrast, the rule before issue 20 on the same no-better challengers: {old:.3f} per decision")
    print(f"# {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
