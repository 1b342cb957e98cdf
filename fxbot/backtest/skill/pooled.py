"""Pooled accuracy over the pairs with date-clustered standard errors, and Holm's correction.

The yen crosses move together, so three calls on one day are not three independent observations:
the standard errors cluster by date (statsmodels' cluster-robust variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fxbot.backtest.skill.arrays import (
    Alternative,
    FloatArray,
    as_float,
    call_hits,
    normal_tail,
    same_length,
)


@dataclass(frozen=True)
class ClusteredMean:
    """Mean of per-call values with a cluster-robust standard error, tested against ``null``."""

    n: int
    clusters: int
    mean: float
    se: float
    null: float
    z: float
    p_value: float


def clustered_mean_test(
    values: np.ndarray, clusters: np.ndarray, null: float = 0.0, alternative: Alternative = "greater"
) -> ClusteredMean:
    """Mean of ``values`` with its standard error clustered by ``clusters`` (e.g. the call date).

    The values are regressed on a constant (statsmodels OLS, ``cov_type="cluster"``), so with
    residuals e_i = v_i - mean, G clusters and N values the variance of the mean is
    G / (G - 1) x (N - 1) / (N - K) x sum_g (sum_{i in g} e_i)^2 / N^2, with K = 1 regressor
    (statsmodels' default small-sample correction; (N - 1) / (N - K) is then 1).
    z = (mean - null) / se against the normal distribution (G is in the thousands here);
    ``"greater"`` is P(Z >= z). NaN when there are fewer than two clusters or the
    standard error is 0 (every value the same).
    """
    import statsmodels.api as sm

    v = as_float(values)
    groups = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    n = same_length(values=v, clusters=groups)
    g = int(groups.max()) + 1 if n else 0
    nan = math.nan
    if n == 0:
        return ClusteredMean(0, 0, nan, nan, null, nan, nan)
    mean = float(v.mean())
    if g < 2:
        return ClusteredMean(n, g, mean, nan, null, nan, nan)
    fit = sm.OLS(v, np.ones(n)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    se = float(fit.bse[0])
    if not se > 1e-12 * max(1.0, float(np.abs(v).max())):  # cluster sums that cancel leave rounding, not spread
        return ClusteredMean(n, g, mean, 0.0, null, nan, nan)
    z = (mean - null) / se
    return ClusteredMean(n, g, mean, se, null, z, normal_tail(z, alternative))


def pooled_accuracy(
    direction: np.ndarray,
    up: np.ndarray,
    dates: np.ndarray,
    baseline_rate: float,
    alternative: Alternative = "greater",
) -> ClusteredMean:
    """Pooled accuracy of all pairs' calls, SE clustered by date, tested against ``baseline_rate``."""
    return clustered_mean_test(call_hits(direction, up).astype(float), dates, baseline_rate, alternative)


def pooled_hit_difference(
    direction: np.ndarray,
    baseline_direction: np.ndarray,
    up: np.ndarray,
    dates: np.ndarray,
    alternative: Alternative = "greater",
) -> ClusteredMean:
    """Mean of hit(vote) - hit(baseline) per call, SE clustered by date, tested against 0.

    With always-buy as the baseline this is accuracy(vote) - accuracy(always-buy) on the same calls.
    """
    diff = call_hits(direction, up).astype(float) - call_hits(baseline_direction, up).astype(float)
    return clustered_mean_test(diff, dates, 0.0, alternative)


# --- Multiple testing -------------------------------------------------------------------------


def holm(p_values: np.ndarray, alpha: float = 0.01) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Holm (1979) step-down adjusted p-values and rejections at family-wise level ``alpha``.

    Sorted ascending, p_(i) becomes max_{j <= i} min(1, (m - j + 1) p_(j)) (statsmodels
    ``multipletests(method="holm")``). NaN p-values (tests that could not be run) are left out of
    the family and stay NaN, not rejected.
    """
    from statsmodels.stats.multitest import multipletests

    p = as_float(p_values).ravel()
    adjusted = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    ok = np.isfinite(p)
    if ok.any():
        rej, adj, _, _ = multipletests(p[ok], alpha=alpha, method="holm")
        adjusted[ok], reject[ok] = adj, rej
    return adjusted, reject
