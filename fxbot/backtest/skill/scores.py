"""Probability scores: Brier and log-loss skill against climatology, and the Diebold-Mariano test of
two loss series (with the Harvey-Leybourne-Newbold correction)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from fxbot.backtest.skill.arrays import (
    Alternative,
    FloatArray,
    as_bool,
    as_float,
    same_length,
)

LOG_LOSS_EPS = 1e-15  # probabilities are clipped to [eps, 1 - eps] so a confident miss costs ~34.5 nats, not inf


def brier_losses(probability: np.ndarray, up: np.ndarray) -> FloatArray:
    """Per-call Brier loss (p - y)^2 of P(up) = p against the outcome y in {0, 1} (Brier 1950)."""
    p, y = as_float(probability), as_bool(up).astype(float)
    same_length(probability=p, up=y)
    out: FloatArray = (p - y) ** 2
    return out


def log_losses(probability: np.ndarray, up: np.ndarray, eps: float = LOG_LOSS_EPS) -> FloatArray:
    """Per-call log-loss -(y ln p + (1 - y) ln(1 - p)), p clipped to [eps, 1 - eps], in nats."""
    p, y = np.clip(as_float(probability), eps, 1.0 - eps), as_bool(up)
    same_length(probability=p, up=y)
    out: FloatArray = -np.where(y, np.log(p), np.log1p(-p))
    return out


@dataclass(frozen=True)
class ScoreSkill:
    """Mean loss of the forecast, of climatology, and the skill score 1 - loss / reference loss."""

    score: float
    reference: float
    skill: float


def _skill(model: FloatArray, reference: FloatArray) -> ScoreSkill:
    if len(model) == 0:
        return ScoreSkill(math.nan, math.nan, math.nan)
    s, r = float(model.mean()), float(reference.mean())
    return ScoreSkill(s, r, 1.0 - s / r if r > 0 else math.nan)


def climatology_per_call(climatology: float | np.ndarray, n: int) -> FloatArray:
    """``climatology`` (a share of up days, or one per call) as ``n`` probabilities, each strictly in (0, 1)."""
    c = np.broadcast_to(as_float(climatology), (n,))
    if not np.all((c > 0) & (c < 1)):
        raise ValueError("the climatology (training-period share of up days) must lie strictly between 0 and 1")
    return c


def brier_skill(probability: np.ndarray, up: np.ndarray, climatology: float | np.ndarray) -> ScoreSkill:
    """Brier skill score BSS = 1 - BS / BS_ref, the reference always forecasting ``climatology``.

    ``climatology`` is the share of up days in the training period (a number, or one per call when
    periods and pairs differ); it must not be computed from the test outcomes. BSS > 0 is better
    than the base rate (Wilks, Statistical Methods in the Atmospheric Sciences, 3rd ed., 8.4.2).
    """
    p = as_float(probability)
    c = climatology_per_call(climatology, len(p))
    return _skill(brier_losses(p, up), brier_losses(c, up))


def log_loss_skill(probability: np.ndarray, up: np.ndarray, climatology: float | np.ndarray) -> ScoreSkill:
    """Log-loss skill 1 - LL / LL_ref against always forecasting ``climatology`` (as ``brier_skill``)."""
    p = as_float(probability)
    c = climatology_per_call(climatology, len(p))
    return _skill(log_losses(p, up), log_losses(c, up))


@dataclass(frozen=True)
class DieboldMariano:
    """Diebold-Mariano test with the HLN correction; ``mean_difference`` = mean(benchmark - model loss)."""

    n: int
    horizon: int
    mean_difference: float
    statistic: float
    p_value: float


def diebold_mariano(
    loss_model: np.ndarray,
    loss_benchmark: np.ndarray,
    horizon: int = 1,
    alternative: Alternative = "greater",
) -> DieboldMariano:
    """Diebold & Mariano (1995) test of equal predictive accuracy, Harvey-Leybourne-Newbold (1997) form.

    d_t = loss_benchmark_t - loss_model_t (positive: the model is better), dbar its mean.
    The long-run variance of d is the Newey-West (Bartlett kernel) HAC estimate with h - 1 lags,
    LRV = g0 + 2 sum_{k=1}^{h-1} (1 - k / h) g_k with g_k = (1/n) sum_t (d_t - dbar)(d_{t-k} - dbar)
    (statsmodels OLS on a constant, ``cov_type="HAC"``, no small-sample correction);
    DM = dbar / sqrt(LRV / n). HLN: DM* = DM sqrt((n + 1 - 2h + h(h - 1) / n) / n), referred to
    Student's t with n - 1 degrees of freedom. ``"greater"``: P(T >= DM*), the model has the lower loss.
    (The original DM uses a rectangular kernel; Newey-West keeps the variance positive for h > 1.)
    NaN when fewer than 3 losses or the differences do not vary.
    """
    import statsmodels.api as sm

    if horizon < 1:
        raise ValueError(f"the forecast horizon must be at least 1 day, got {horizon}")
    d = as_float(loss_benchmark) - as_float(loss_model)
    n = len(d)
    nan = math.nan
    if n < 3:
        return DieboldMariano(n, horizon, float(d.mean()) if n else nan, nan, nan)
    fit = sm.OLS(d, np.ones(n)).fit(cov_type="HAC", cov_kwds={"maxlags": horizon - 1, "use_correction": False})
    se = float(fit.bse[0])
    dbar = float(d.mean())
    if not se > 0:
        return DieboldMariano(n, horizon, dbar, nan, nan)
    statistic = dbar / se * math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    if alternative == "greater":
        p = float(sps.t.sf(statistic, n - 1))
    elif alternative == "two-sided":
        p = float(2.0 * sps.t.sf(abs(statistic), n - 1))
    else:
        raise ValueError(f"unknown alternative {alternative!r}; use 'greater' or 'two-sided'")
    return DieboldMariano(n, horizon, dbar, statistic, p)
