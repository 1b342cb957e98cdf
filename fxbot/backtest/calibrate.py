"""Leverage calibration: the largest leverages whose horizon P/L interval stays above -max_loss. Pure.

Daily P/L is linear in leverage (costs too), so with per-pair P/L at leverage 1 the portfolio's
non-overlapping horizon blocks are ``U @ L``: mean ``L.m`` and std ``sqrt(L' S L)`` with ``m`` and
``S`` the mean vector and covariance of the unit blocks. The lower bound ``L.m - z sqrt(L' S L)`` is
then homogeneous in ``L``, so scaling a mix by ``k`` scales the bound by ``k`` and the largest
admissible ``k`` has a closed form. Two proposals: the configured mix scaled to the budget (keeps
the hand-picked proportions), and each pair on its own (the most it could carry alone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from fxbot.backtest import stats


@dataclass(frozen=True)
class Calibration:
    """Configured leverages, their interval, and the proposals."""

    pairs: list[str]
    configured: dict[str, float]
    configured_low: float
    configured_high: float
    scale: float  # k: proposal = k x configured (inf when the bound never reaches -max_loss)
    proposed: dict[str, float]
    proposed_low: float
    alone: dict[str, float]
    max_loss: float
    horizon: int
    confidence: float
    blocks: int

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for metrics.json (inf as None)."""

        def clean(v: float) -> float | None:
            return None if not math.isfinite(v) else v

        return {
            "pairs": self.pairs,
            "configured": self.configured,
            "configured_interval": [self.configured_low, self.configured_high],
            "configured_mean": (self.configured_low + self.configured_high) / 2,
            "scale": clean(self.scale),
            "proposed": {k: clean(v) for k, v in self.proposed.items()},
            "proposed_low": clean(self.proposed_low),
            "alone": {k: clean(v) for k, v in self.alone.items()},
            "max_loss": self.max_loss,
            "horizon": self.horizon,
            "confidence": self.confidence,
            "blocks": self.blocks,
        }


def largest_scale(mean: float, std: float, z: float, max_loss: float) -> float:
    """Largest k >= 0 with k x mean - z x k x std >= -max_loss (inf if the bound is never negative)."""
    downside = z * std - mean
    return max_loss / downside if downside > 0 else math.inf


def calibrate(
    unit_pnl: np.ndarray,
    pairs: list[str],
    configured: dict[str, float],
    max_loss: float = 0.25,
    horizon: int = 20,
    confidence: float = 0.999,
) -> Calibration:
    """Proposals from a (days, pairs) array of daily P/L at leverage 1 (net of cost), aligned by day."""
    if not 0 < max_loss < 1:
        raise ValueError(f"max_loss must be between 0 and 1, got {max_loss}")
    unit_pnl = np.asarray(unit_pnl, "float64").reshape(len(unit_pnl), len(pairs))
    blocks = np.stack([stats.block_sums(unit_pnl[:, j], horizon) for j in range(len(pairs))], axis=1)
    if len(blocks) < 3:
        raise ValueError(f"only {len(blocks)} {horizon}-day blocks; calibrate on a longer backtest")
    z = stats.z_for(confidence)
    m = blocks.mean(axis=0)
    cov = np.atleast_2d(np.cov(blocks, rowvar=False, ddof=1))
    lev = np.array([configured[p] for p in pairs])
    mu, sigma = float(lev @ m), float(math.sqrt(lev @ cov @ lev))
    k = largest_scale(mu, sigma, z, max_loss)
    alone = {p: largest_scale(float(m[j]), float(math.sqrt(cov[j, j])), z, max_loss) for j, p in enumerate(pairs)}
    return Calibration(
        pairs=pairs,
        configured=dict(zip(pairs, lev.tolist(), strict=True)),
        configured_low=mu - z * sigma,
        configured_high=mu + z * sigma,
        scale=k,
        proposed={p: float(k * lev[j]) for j, p in enumerate(pairs)},
        proposed_low=k * (mu - z * sigma),
        alone=alone,
        max_loss=max_loss,
        horizon=horizon,
        confidence=confidence,
        blocks=len(blocks),
    )
