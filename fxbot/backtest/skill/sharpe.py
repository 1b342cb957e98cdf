"""The Sharpe ratio with its standard error under non-normal returns, the Probabilistic and Deflated
Sharpe Ratios (Bailey & Lopez de Prado), and Hansen's SPA test of P/L against benchmarks (arch)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from fxbot.backtest.skill.arrays import (
    TRADING_DAYS_PER_YEAR,
    FloatArray,
    as_float,
    same_length,
)


def sharpe_standard_error(sharpe: float, n: int, skew: float = 0.0, kurtosis: float = 3.0) -> float:
    """Standard error of a per-period Sharpe ratio estimated from ``n`` returns.

    Mertens (2002) under non-normal iid returns: Var(SR) = (1 + SR^2 / 2 - skew SR + (kurt - 3) / 4 SR^2) / n,
    where ``kurtosis`` is the plain (non-excess) kurtosis; with skew 0 and kurtosis 3 this is
    Lo (2002, FAJ 58(4)) under iid normality, (1 + SR^2 / 2) / n. Annualise by multiplying by sqrt(periods).
    """
    if n < 2:
        return math.nan
    variance = (1.0 + sharpe**2 / 2.0 - skew * sharpe + (kurtosis - 3.0) / 4.0 * sharpe**2) / n
    return math.sqrt(variance) if variance > 0 else math.nan


@dataclass(frozen=True)
class SharpeEstimate:
    """Annualised Sharpe ratio and standard error; the skew and (non-excess) kurtosis of the returns."""

    n: int
    sharpe: float
    se: float
    skew: float
    kurtosis: float
    periods_per_year: int


def _moments(pnl: FloatArray) -> tuple[float, float, float]:
    """Per-period Sharpe (mean / std, ddof = 1 as ``stats.sharpe_ratio``), skew, kurtosis (population moments)."""
    std = float(pnl.std(ddof=1))
    if not std > 0:
        return math.nan, math.nan, math.nan
    return float(pnl.mean()) / std, float(sps.skew(pnl)), float(sps.kurtosis(pnl, fisher=False))


def sharpe_with_se(pnl: np.ndarray, periods_per_year: int = TRADING_DAYS_PER_YEAR) -> SharpeEstimate:
    """Annualised Sharpe ratio of daily P/L with its Mertens (2002) standard error, both x sqrt(periods)."""
    x = as_float(pnl)
    if len(x) < 3:
        return SharpeEstimate(len(x), math.nan, math.nan, math.nan, math.nan, periods_per_year)
    sr, skew, kurt = _moments(x)
    root = math.sqrt(periods_per_year)
    return SharpeEstimate(
        len(x), sr * root, sharpe_standard_error(sr, len(x), skew, kurt) * root, skew, kurt, periods_per_year
    )


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """Probability that the true per-period Sharpe exceeds ``benchmark`` (Bailey & López de Prado 2012).

    PSR = Phi((SR - SR*) sqrt(n - 1) / sqrt(1 - skew SR + (kurt - 1) / 4 SR^2)), per-period figures.
    """
    denominator = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n < 2 or not denominator > 0 or not math.isfinite(sharpe):
        return math.nan
    return float(sps.norm.cdf((sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(denominator)))


def expected_max_sharpe(n_trials: int, trial_sharpe_variance: float) -> float:
    """Expected maximum Sharpe of ``n_trials`` unskilled trials (Bailey & López de Prado 2014, eq. 2).

    SR0 = sqrt(V) ((1 - g) Phi^-1(1 - 1/N) + g Phi^-1(1 - 1/(N e))), g = Euler-Mascheroni 0.5772...
    One trial (or no spread between trials) gives SR0 = 0: nothing to deflate for.
    """
    if n_trials <= 1 or not trial_sharpe_variance > 0:
        return 0.0
    g = float(np.euler_gamma)
    quantiles = (1 - g) * sps.norm.ppf(1 - 1 / n_trials) + g * sps.norm.ppf(1 - 1 / (n_trials * math.e))
    return math.sqrt(trial_sharpe_variance) * float(quantiles)


def deflated_sharpe_ratio(
    sharpe: float, n: int, skew: float, kurtosis: float, n_trials: int, trial_sharpe_variance: float
) -> float:
    """Deflated Sharpe Ratio (Bailey & López de Prado 2014, J. Portfolio Management 40(5)), per-period inputs.

    DSR = PSR(SR0): the probability that the true Sharpe exceeds the expected maximum of ``n_trials``
    unskilled trials whose Sharpe ratios vary with ``trial_sharpe_variance``. The promotion gate asks
    DSR >= 0.95. Every figure is per period (daily): divide an annualised variance by 252.
    """
    return probabilistic_sharpe_ratio(sharpe, expected_max_sharpe(n_trials, trial_sharpe_variance), n, skew, kurtosis)


@dataclass(frozen=True)
class DeflatedSharpe:
    """DSR of a P/L series with the annualised Sharpe and the annualised bar SR0 it had to clear."""

    sharpe: float
    expected_max_sharpe: float
    n_trials: int
    dsr: float


def deflated_sharpe(
    pnl: np.ndarray,
    n_trials: int,
    trial_sharpes: np.ndarray,
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
) -> DeflatedSharpe:
    """DSR of daily P/L given the trials on record: their count and their *annualised* Sharpe ratios.

    The trials' variance is the sample variance (ddof = 1) of ``trial_sharpes``, de-annualised by
    ``periods_per_year``; ``n_trials`` may exceed ``len(trial_sharpes)`` when some trials kept no Sharpe.
    """
    x = as_float(pnl)
    ts = as_float(trial_sharpes)
    ts = ts[np.isfinite(ts)]
    variance = float(ts.var(ddof=1)) / periods_per_year if len(ts) > 1 else 0.0
    root = math.sqrt(periods_per_year)
    if len(x) < 3:
        return DeflatedSharpe(math.nan, expected_max_sharpe(n_trials, variance) * root, n_trials, math.nan)
    sr, skew, kurt = _moments(x)
    dsr = deflated_sharpe_ratio(sr, len(x), skew, kurt, n_trials, variance)
    return DeflatedSharpe(sr * root, expected_max_sharpe(n_trials, variance) * root, n_trials, dsr)


# --- Hansen's SPA -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SPAResult:
    """Hansen's SPA p-values: ``consistent`` is the one to quote; lower and upper bracket it."""

    lower: float
    consistent: float
    upper: float


def spa_test(
    benchmark_pnl: np.ndarray,
    model_pnls: np.ndarray,
    block_size: int | None = None,
    reps: int = 1000,
    seed: int | None = None,
    *,
    studentize: bool = True,
) -> SPAResult:
    """Hansen (2005) test for superior predictive ability on arch's stationary bootstrap.

    H0: no model earns more on average than the benchmark. Losses are minus the daily P/L. A small
    consistent p-value says at least one model beats the benchmark after looking at all of them, so
    pass every variant tried as a column of ``model_pnls`` (shape (days, models), or one series).
    ``seed`` makes it reproducible.

    arch (8.0) does not studentize its SPA: ``SPA(studentize=True)`` is stored and printed, but
    ``compute()`` compares the maximum of the raw mean loss differentials with its bootstrap
    distribution (the variances only choose the consistent p-value's columns), and does not truncate
    the statistic at 0. With ``studentize`` (the default here) the statistic is Hansen's:
    T = max(0, max_k sqrt(n) mean(d_k) / w_k), w_k^2 arch's kernel estimate of d_k's long-run
    variance, and each bootstrap draw is studentized the same way (arch's recentred draws, so the
    lower, consistent and upper p-values keep their meaning). A variant with a noisier P/L then
    weighs no more than a quiet one. ``studentize=False`` gives arch's p-values.
    """
    from arch.bootstrap import SPA

    bench = as_float(benchmark_pnl)
    models = as_float(model_pnls)
    models = models.reshape(len(models), -1)
    same_length(benchmark_pnl=bench, model_pnls=models)
    if len(bench) < 3:
        return SPAResult(math.nan, math.nan, math.nan)
    spa = SPA(-bench, -models, block_size=block_size, reps=reps, seed=seed)
    spa.compute()
    if not studentize:
        p = spa.pvalues
        return SPAResult(float(p["lower"]), float(p["consistent"]), float(p["upper"]))
    # arch's own pieces (pinned arch >=7,<9; tests/test_backtest_skill.py checks them): the loss differentials
    # d (benchmark loss - model loss, > 0 when the model earns more), their kernel variances, and the
    # bootstrap means minus each p-value's recentring, shape (models, reps, [lower, consistent, upper]).
    diffs, variances, draws = spa._loss_diff, spa._loss_diff_var, spa._simulated_vals
    if draws is None:
        return SPAResult(math.nan, math.nan, math.nan)
    # A column equal to the benchmark (no spread at all) carries no evidence: it never sets the maximum.
    root_n, omega = math.sqrt(len(bench)), np.where(variances > 0, np.sqrt(np.maximum(variances, 0.0)), np.inf)
    statistic = max(0.0, float(np.max(root_n * diffs.mean(axis=0) / omega)))
    simulated = np.maximum(0.0, np.max(root_n * draws / omega[:, None, None], axis=0))  # (reps, 3)
    lower, consistent, upper = (simulated >= statistic).mean(axis=0) if statistic > 0 else (1.0, 1.0, 1.0)
    return SPAResult(float(lower), float(consistent), float(upper))


def spa_against_benchmarks(
    pnl: np.ndarray,
    benchmark_pnls: dict[str, np.ndarray],
    block_size: int | None = None,
    reps: int = 1000,
    seed: int | None = None,
) -> tuple[float, dict[str, SPAResult]]:
    """SPA of one P/L series against each benchmark in turn; the overall p-value is the largest.

    "The vote beats always-buy *and* trend" is an intersection of hypotheses, so it is shown when
    every benchmark's SPA rejects: the p-value of the conjunction is the maximum of the consistent
    p-values (an intersection-union test, no multiplicity correction needed).
    """
    results = {name: spa_test(bench, pnl, block_size, reps, seed) for name, bench in benchmark_pnls.items()}
    ps = [r.consistent for r in results.values()]
    return (max(ps) if ps and all(math.isfinite(p) for p in ps) else math.nan), results
