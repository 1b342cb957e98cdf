"""Choosing the variant per period from earlier periods only: the sweep's honest "pick the best" result.

A sweep that reports its best variant over the whole span has picked it with hindsight: the
periods it is judged on are the ones it was chosen on. The selected series here is what a
researcher who re-ran the sweep every year would have traded. In each walk-forward period it takes
the calls of the variant with the largest edge over always-buy (pooled accuracy minus the share
of up days, on the same calls) over all *earlier* periods; the first period, with no history,
takes the first variant of the file. Only variants with the first variant's target compete (a
5-day call and a next-day call answer different questions, and a series cannot mix them).

The result is one more trial on record: the selection rule is a model of its own.

Pure: walk-forward results in, a walk-forward result out.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from fxbot.backtest.results import Choice
from fxbot.backtest.variants import Variant
from fxbot.backtest.walkforward import PairCalls, WalkForwardResult

SELECTED = "selected-by-past"


def candidates(variants: list[Variant]) -> list[Variant]:
    """The variants that compete: those with the first variant's target, in file order."""
    return [v for v in variants if v.target == variants[0].target] if variants else []


def edge_before(result: WalkForwardResult, labels: set[str]) -> float:
    """Pooled accuracy minus always-buy's (the share of up days) on the calls of the periods in ``labels``.

    NaN if there are no such calls.
    """
    hits, ups, n = 0, 0, 0
    for calls in result.calls.values():
        mask = np.isin(calls.period, list(labels))
        if not mask.any():
            continue
        up = calls.actual_up[mask]
        hits += int(np.sum(calls.vote_up[mask] == up))
        ups += int(np.sum(up))
        n += int(mask.sum())
    return (hits - ups) / n if n else float("nan")


def choose(results: dict[str, WalkForwardResult], names: list[str]) -> list[Choice]:
    """Per period: the variant chosen and every competitor's edge on the periods before it.

    Ties (and a first period with no history) go to the earlier variant in ``names``.
    """
    periods = results[names[0]].periods
    out: list[Choice] = []
    for k, period in enumerate(periods):
        earlier = {p.label for p in periods[:k]}
        edges = {name: edge_before(results[name], earlier) for name in names} if earlier else {}
        ranked = [n for n in names if edges and np.isfinite(edges[n])]
        chosen = max(ranked, key=lambda n: (edges[n], -names.index(n))) if ranked else names[0]
        out.append(Choice(period.label, chosen, edges))
    return out


#: The per-call fields of ``PairCalls`` (arrays or indexes, one entry per call; optional ones may be None).
_PER_CALL = tuple(f.name for f in dataclasses.fields(PairCalls) if f.name not in ("pair", "horizon"))


def _joined(pair: str, parts: list[tuple[PairCalls, np.ndarray]], horizon: int) -> PairCalls:
    """One ``PairCalls`` of the calls each ``(calls, mask)`` part selects, in order."""

    def cat(name: str) -> Any:
        values = [getattr(calls, name) for calls, _ in parts]
        if any(v is None for v in values):
            return None
        taken = [v[mask] for v, (_, mask) in zip(values, parts, strict=True)]
        if isinstance(taken[0], pd.DatetimeIndex):
            return pd.DatetimeIndex(np.concatenate([v.to_numpy() for v in taken]))
        return np.concatenate(taken)

    return PairCalls(pair=pair, horizon=horizon, **{name: cat(name) for name in _PER_CALL})


def selected_result(results: dict[str, WalkForwardResult], variants: list[Variant]) -> WalkForwardResult | None:
    """The walk-forward of the per-period choice, or None with fewer than two competing variants."""
    competing = candidates(variants)
    if len(competing) < 2:
        return None
    names = [v.name for v in competing]
    choices = choose(results, names)
    first = results[names[0]]
    calls: dict[str, PairCalls] = {}
    for pair in first.calls:
        parts = []
        for choice in choices:
            source = results[choice.chosen].calls[pair]
            mask = source.period == choice.period
            if mask.any():
                parts.append((source, mask))
        if parts:
            calls[pair] = _joined(pair, parts, first.calls[pair].horizon)
    variant = Variant(name=SELECTED, features=competing[0].features, target=competing[0].target)
    return WalkForwardResult(
        calls=calls,
        periods=first.periods,
        training=[],
        seconds=0.0,
        workers=first.workers,
        variant=variant,
        executor=first.executor,
        selection=choices,
    )
