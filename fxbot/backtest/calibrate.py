"""Leverage calibration on the real tails: the largest leverages whose historical 20-day loss stays within budget. Pure.

Daily P/L is linear in leverage (costs too), so with per-pair P/L at leverage 1 the portfolio's daily
P/L is ``U @ L`` and every rolling ``horizon``-day sum scales with ``L``: scaling a mix by ``k``
scales its empirical loss quantile and its worst window by ``k``. The largest admissible ``k`` is
then ``max_loss / loss``, once for the ``confidence`` quantile of the rolling horizon losses
(``fxbot.risk.tail_loss``: overlapping windows, 2008 included) and once for the worst window.
Two proposals each: the configured mix scaled (keeps the hand-picked proportions), and each pair on
its own (the most it could carry alone). The normal-curve scale (mean - z std of non-overlapping
blocks, what the post used to show) is kept beside it, to show how far it was off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fxbot.backtest import stats
from fxbot.backtest.results import CalibrationRecord
from fxbot.risk import tail_loss


@dataclass(frozen=True)
class Calibration:
    """Configured leverages, their historical tail, and the proposals."""

    pairs: list[str]
    configured: dict[str, float]
    loss: float  # the configured mix's `confidence` rolling horizon loss, a fraction of equity (>= 0)
    shortfall: float  # the mean loss at or beyond it
    worst: float  # the configured mix's worst rolling horizon loss
    worst_start: str
    worst_end: str
    scale: float  # k: proposal = k x configured keeps `loss` within max_loss (inf: no loss)
    proposed: dict[str, float]
    scale_worst: float  # the same for the worst window
    proposed_worst: dict[str, float]
    alone: dict[str, float]  # each pair's leverage alone at which its `confidence` loss is max_loss
    normal_scale: float  # what the normal curve (mean - z std of non-overlapping blocks) proposed
    max_loss: float
    horizon: int
    confidence: float
    windows: int

    def record(self) -> CalibrationRecord:
        """What metrics.json records (an infinite scale as None)."""

        def clean(v: float) -> float | None:
            return None if not math.isfinite(v) else v

        return CalibrationRecord(
            pairs=self.pairs,
            configured=self.configured,
            loss=self.loss,
            shortfall=self.shortfall,
            worst=self.worst,
            worst_window=[self.worst_start, self.worst_end],
            scale=clean(self.scale),
            proposed={k: clean(v) for k, v in self.proposed.items()},
            scale_worst=clean(self.scale_worst),
            proposed_worst={k: clean(v) for k, v in self.proposed_worst.items()},
            alone={k: clean(v) for k, v in self.alone.items()},
            normal_scale=clean(self.normal_scale),
            normal_overstates_by=clean(self.normal_scale / self.scale) if self.scale > 0 else None,
            max_loss=self.max_loss,
            horizon=self.horizon,
            confidence=self.confidence,
            windows=self.windows,
        )


def largest_scale(mean: float, std: float, z: float, max_loss: float) -> float:
    """Largest k >= 0 with k x mean - z x k x std >= -max_loss (inf if never negative): the normal curve."""
    downside = z * std - mean
    return max_loss / downside if downside > 0 else math.inf


def within(loss: float, max_loss: float) -> float:
    """The scale that brings ``loss`` (a positive fraction of equity) to ``max_loss`` (inf when nothing is lost)."""
    return max_loss / loss if loss > 0 else math.inf


def calibrate(
    unit_pnl: np.ndarray,
    pairs: list[str],
    configured: dict[str, float],
    max_loss: float = 0.25,
    horizon: int = 20,
    confidence: float = 0.999,
    dates: np.ndarray | None = None,
) -> Calibration:
    """Proposals from a (days, pairs) array of daily P/L at leverage 1 (net of cost), aligned by day.

    ``dates`` (one per row, ``datetime64[D]``) name the worst window; without them it is named by row numbers.
    """
    if not 0 < max_loss < 1:
        raise ValueError(f"max_loss must be between 0 and 1, got {max_loss}")
    unit_pnl = np.asarray(unit_pnl, "float64").reshape(len(unit_pnl), len(pairs))
    days = (
        np.asarray(dates, "datetime64[D]")
        if dates is not None
        else np.datetime64("2000-01-01") + np.arange(len(unit_pnl))
    )
    lev = np.array([configured[p] for p in pairs])
    rolling = stats.rolling_sums(unit_pnl @ lev, horizon)
    starts, ends = days[: len(rolling)], days[horizon - 1 :]
    tail = tail_loss(rolling, confidence, starts, ends, days=horizon, source="calls", min_windows=3)
    if tail is None:
        raise ValueError(f"only {len(rolling)} {horizon}-day windows; calibrate on a longer backtest")
    alone = {}
    for j, p in enumerate(pairs):
        own = tail_loss(
            stats.rolling_sums(unit_pnl[:, j], horizon),
            confidence,
            starts,
            ends,
            days=horizon,
            source="calls",
            min_windows=3,
        )
        alone[p] = within(own.loss_jpy, max_loss) if own is not None else math.inf
    blocks = stats.block_sums(unit_pnl @ lev, horizon)
    normal = (
        largest_scale(float(blocks.mean()), float(blocks.std(ddof=1)), stats.z_for(confidence), max_loss)
        if len(blocks) >= 3
        else math.nan
    )
    k, k_worst = within(tail.loss_jpy, max_loss), within(tail.worst_jpy, max_loss)
    return Calibration(
        pairs=pairs,
        configured=dict(zip(pairs, lev.tolist(), strict=True)),
        loss=tail.loss_jpy,
        shortfall=tail.shortfall_jpy,
        worst=tail.worst_jpy,
        worst_start=tail.worst_start.isoformat(),
        worst_end=tail.worst_end.isoformat(),
        scale=k,
        proposed={p: float(k * lev[j]) for j, p in enumerate(pairs)},
        scale_worst=k_worst,
        proposed_worst={p: float(k_worst * lev[j]) for j, p in enumerate(pairs)},
        alone=alone,
        normal_scale=normal,
        max_loss=max_loss,
        horizon=horizon,
        confidence=confidence,
        windows=len(rolling),
    )
