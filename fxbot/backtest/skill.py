"""Statistics that tell skill from drift: pure functions over numpy arrays, no I/O, no TensorFlow.

In a trending period any always-long rule beats 50 %, so every test here compares the vote with a
baseline on the *same* calls, or asks whether its direction carries timing information at all:

- paired tests against always-buy: exact McNemar on the discordant calls, Pesaran-Timmermann (1992);
- pooled accuracy over the pairs with date-clustered standard errors (the yen crosses move together,
  so three calls on one day are not three independent observations);
- Holm's correction across a family of p-values;
- Brier and log-loss skill against climatology, and the Diebold-Mariano test of two loss series;
- the Sharpe ratio with its standard error under non-normal returns, and the Deflated Sharpe Ratio;
- Hansen's SPA test of the vote's P/L against benchmarks;
- a yearly sub-period table and a power statement;
- ``skill_summary``, which bundles the headline figures for one variant.

Conventions (as in ``fxbot.backtest.stats``): a direction is +1 (BUY) or -1 (SELL); ``up`` is True
when the next close is strictly higher; a *hit* is a call whose direction matches ``up``; P/L is daily,
as a fraction of equity. Every one-sided p-value asks "is the vote better?" (``alternative="greater"``):
a higher hit rate, a lower loss, a higher P/L. Which library does what: scipy (binomial tests, normal
and t tails, moments), statsmodels (cluster-robust and HAC variances, Holm), arch (SPA bootstrap). The
Pesaran-Timmermann, Diebold-Mariano/HLN and Deflated Sharpe formulas are in none of them and are
written out here from the papers cited in each docstring.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy import stats as sps

Alternative = Literal["greater", "two-sided"]
FloatArray = npt.NDArray[np.float64]
TRADING_DAYS_PER_YEAR = 252
LOG_LOSS_EPS = 1e-15  # probabilities are clipped to [eps, 1 - eps] so a confident miss costs ~34.5 nats, not inf


def _as_float(x: Any) -> FloatArray:
    return np.asarray(x, dtype="float64")


def _as_bool(x: Any) -> npt.NDArray[np.bool_]:
    return np.asarray(x, dtype=bool)


def _hits(direction: Any, up: Any) -> npt.NDArray[np.bool_]:
    d = np.asarray(direction)
    if not np.all(np.isin(d, (-1, 1))):
        raise ValueError("directions must be +1 (BUY) or -1 (SELL); drop the days without a call first")
    hits: npt.NDArray[np.bool_] = (d > 0) == _as_bool(up)
    return hits


def _same_length(**arrays: Any) -> int:
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays must have one entry per call; got lengths {lengths}")
    return next(iter(lengths.values()), 0)


def _tail(z: float, alternative: Alternative) -> float:
    if alternative == "greater":
        return float(sps.norm.sf(z))
    if alternative == "two-sided":
        return float(2.0 * sps.norm.sf(abs(z)))
    raise ValueError(f"unknown alternative {alternative!r}; use 'greater' or 'two-sided'")


# --- 1. Paired tests against always-buy ----------------------------------------------------------


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test: ``only_a`` calls where A was right and B wrong, ``only_b`` the reverse."""

    n: int
    only_a: int
    only_b: int
    p_value: float


def mcnemar_test(hits_a: np.ndarray, hits_b: np.ndarray, alternative: Alternative = "greater") -> McNemarResult:
    """Exact McNemar test of two classifiers' hits on the same calls (McNemar 1947; Edwards 1948).

    Only the discordant calls carry information: with b = #(A right, B wrong) and c = #(A wrong,
    B right), under H0 (equal accuracy) b ~ Binomial(b + c, 1/2). ``"greater"``: P(X >= b), A is
    the better; ``"two-sided"``: min(1, 2 min(P(X <= b), P(X >= b))), which is what
    ``statsmodels.stats.contingency_tables.mcnemar(table, exact=True)`` gives. With no discordant
    call there is no evidence of a difference and the p-value is 1.

    For the vote against always-buy, b counts the SELL calls on down days and c the SELL calls on up
    days: the test looks only at the days the vote disagrees with always-buy.
    """
    a, b_ = _as_bool(hits_a), _as_bool(hits_b)
    n = _same_length(hits_a=a, hits_b=b_)
    only_a, only_b = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    if only_a + only_b == 0:
        return McNemarResult(n, 0, 0, 1.0)
    p = sps.binomtest(only_a, only_a + only_b, 0.5, alternative=alternative).pvalue
    return McNemarResult(n, only_a, only_b, float(p))


@dataclass(frozen=True)
class TimingTest:
    """Pesaran-Timmermann test: hit rate, the rate expected under independence, statistic, p-value."""

    n: int
    hit_rate: float
    expected_hit_rate: float
    statistic: float
    p_value: float


def pesaran_timmermann(direction: np.ndarray, up: np.ndarray) -> TimingTest:
    """Pesaran & Timmermann (1992, JBES 10(4) 461-465) test of predictive failure for directions.

    With y = realised up, x = predicted up, P = share of hits, Py = mean(y), Px = mean(x):
    P* = Py Px + (1 - Py)(1 - Px) is the hit rate of a forecast independent of the outcome,
    V(P) = P*(1 - P*) / n,
    V(P*) = (2Py - 1)^2 Px(1 - Px) / n + (2Px - 1)^2 Py(1 - Py) / n + 4 Py Px (1 - Py)(1 - Px) / n^2,
    PT = (P - P*) / sqrt(V(P) - V(P*)) ~ N(0, 1) under H0; the p-value is one-sided, P(Z >= PT).

    Unlike accuracy against 50 %, a constant forecast has no timing skill whatever the drift: for
    always-buy (Px = 1) or a one-sided period (Py in {0, 1}) the variance is 0 and the result is NaN.
    """
    hits = _hits(direction, up)
    n = len(hits)
    nan = math.nan
    if n == 0:
        return TimingTest(0, nan, nan, nan, nan)
    y, x = _as_bool(up).astype(float), (np.asarray(direction) > 0).astype(float)
    p, py, px = float(hits.mean()), float(y.mean()), float(x.mean())
    p_star = py * px + (1 - py) * (1 - px)
    v_p = p_star * (1 - p_star) / n
    v_p_star = (
        (2 * py - 1) ** 2 * px * (1 - px) / n
        + (2 * px - 1) ** 2 * py * (1 - py) / n
        + 4 * py * px * (1 - py) * (1 - px) / n**2
    )
    variance = v_p - v_p_star
    if not variance > 0:
        return TimingTest(n, p, p_star, nan, nan)
    statistic = (p - p_star) / math.sqrt(variance)
    return TimingTest(n, p, p_star, statistic, float(sps.norm.sf(statistic)))


def newey_west_sum(by_day: np.ndarray, lags: int) -> float:
    """sum_t v_t^2 + 2 sum_{l=1..L} (1 - l / (L + 1)) sum_t v_t v_{t-l} of a per-day series (uncentred):
    n times its Bartlett (Newey-West 1987) long-run variance with ``lags`` lags, days in order."""
    v = _as_float(by_day)
    total = float(v @ v)
    for lag in range(1, min(lags, len(v) - 1) + 1):
        total += 2.0 * (1.0 - lag / (lags + 1)) * float(v[lag:] @ v[:-lag])
    return total


def _by_day(values: FloatArray, days: np.ndarray | None) -> FloatArray:
    """``values`` summed per day (days in date order), or as they are without days (one call a day)."""
    if days is None:
        return values
    codes = np.unique(np.asarray(days), return_inverse=True)[1].ravel()
    return np.bincount(codes, weights=values).astype("float64")


def pesaran_timmermann_hac(
    direction: np.ndarray, up: np.ndarray, lags: int, days: np.ndarray | None = None
) -> TimingTest:
    """Pesaran-Timmermann with its variance made robust to overlapping targets (HAC, Newey-West, ``lags``).

    P - P* = 2 (mean(xy) - mean(x) mean(y)): PT tests the covariance of the call and the outcome,
    i.e. the mean of u_t = (x_t - Px)(y_t - Py). With a target h days ahead consecutive outcomes share
    h - 1 days, so the u_t are autocorrelated under H0 and the iid variance is too small. The HAC
    statistic rescales PT by the ratio of u's iid to its long-run variance:
    PT_HAC = PT x sqrt(sum_t u_t^2 / NW(u, lags)) (``newey_west_sum``; lags = h - 1), with u summed per
    day first when ``days`` is given (several pairs a day: clustered by date too). With lags = 0 and
    one call a day it is PT itself. One-sided p = P(Z >= PT_HAC).
    """
    plain = pesaran_timmermann(direction, up)
    if not math.isfinite(plain.statistic):
        return plain
    y, x = _as_bool(up).astype(float), (np.asarray(direction) > 0).astype(float)
    u = (x - x.mean()) * (y - y.mean())
    long_run = newey_west_sum(_by_day(u, days), lags)
    if not long_run > 0:
        return TimingTest(plain.n, plain.hit_rate, plain.expected_hit_rate, math.nan, math.nan)
    statistic = plain.statistic * math.sqrt(float(u @ u) / long_run)
    return TimingTest(plain.n, plain.hit_rate, plain.expected_hit_rate, statistic, float(sps.norm.sf(statistic)))


def mcnemar_hac(
    hits_a: np.ndarray,
    hits_b: np.ndarray,
    lags: int,
    days: np.ndarray | None = None,
    alternative: Alternative = "greater",
) -> McNemarResult:
    """McNemar on d_t = hit_a - hit_b with a HAC (Newey-West, ``lags``) variance: z = sum d / sqrt(NW(d)).

    With lags = 0 and one call a day, z = (b - c) / sqrt(b + c), the asymptotic McNemar; overlapping
    multi-day targets (lags = h - 1) and several pairs a day (``days``: summed per day) widen it.
    """
    a, b_ = _as_bool(hits_a), _as_bool(hits_b)
    n = _same_length(hits_a=a, hits_b=b_)
    only_a, only_b = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    d = a.astype(float) - b_.astype(float)
    long_run = newey_west_sum(_by_day(d, days), lags)
    if not long_run > 0:
        return McNemarResult(n, only_a, only_b, 1.0)
    return McNemarResult(n, only_a, only_b, _tail(float(d.sum()) / math.sqrt(long_run), alternative))


# --- 2. Pooled figures with date-clustered standard errors ---------------------------------------


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

    v = _as_float(values)
    groups = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    n = _same_length(values=v, clusters=groups)
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
    return ClusteredMean(n, g, mean, se, null, z, _tail(z, alternative))


def pooled_accuracy(
    direction: np.ndarray,
    up: np.ndarray,
    dates: np.ndarray,
    baseline_rate: float,
    alternative: Alternative = "greater",
) -> ClusteredMean:
    """Pooled accuracy of all pairs' calls, SE clustered by date, tested against ``baseline_rate``."""
    return clustered_mean_test(_hits(direction, up).astype(float), dates, baseline_rate, alternative)


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
    diff = _hits(direction, up).astype(float) - _hits(baseline_direction, up).astype(float)
    return clustered_mean_test(diff, dates, 0.0, alternative)


# --- 3. Multiple testing -------------------------------------------------------------------------


def holm(p_values: np.ndarray, alpha: float = 0.01) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Holm (1979) step-down adjusted p-values and rejections at family-wise level ``alpha``.

    Sorted ascending, p_(i) becomes max_{j <= i} min(1, (m - j + 1) p_(j)) (statsmodels
    ``multipletests(method="holm")``). NaN p-values (tests that could not be run) are left out of
    the family and stay NaN, not rejected.
    """
    from statsmodels.stats.multitest import multipletests

    p = _as_float(p_values).ravel()
    adjusted = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    ok = np.isfinite(p)
    if ok.any():
        rej, adj, _, _ = multipletests(p[ok], alpha=alpha, method="holm")
        adjusted[ok], reject[ok] = adj, rej
    return adjusted, reject


# --- 4. Probability scores and Diebold-Mariano ---------------------------------------------------


def brier_losses(probability: np.ndarray, up: np.ndarray) -> FloatArray:
    """Per-call Brier loss (p - y)^2 of P(up) = p against the outcome y in {0, 1} (Brier 1950)."""
    p, y = _as_float(probability), _as_bool(up).astype(float)
    _same_length(probability=p, up=y)
    out: FloatArray = (p - y) ** 2
    return out


def log_losses(probability: np.ndarray, up: np.ndarray, eps: float = LOG_LOSS_EPS) -> FloatArray:
    """Per-call log-loss -(y ln p + (1 - y) ln(1 - p)), p clipped to [eps, 1 - eps], in nats."""
    p, y = np.clip(_as_float(probability), eps, 1.0 - eps), _as_bool(up)
    _same_length(probability=p, up=y)
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


def _climatology(climatology: float | np.ndarray, n: int) -> FloatArray:
    c = np.broadcast_to(_as_float(climatology), (n,))
    if not np.all((c > 0) & (c < 1)):
        raise ValueError("the climatology (training-period share of up days) must lie strictly between 0 and 1")
    return c


def brier_skill(probability: np.ndarray, up: np.ndarray, climatology: float | np.ndarray) -> ScoreSkill:
    """Brier skill score BSS = 1 - BS / BS_ref, the reference always forecasting ``climatology``.

    ``climatology`` is the share of up days in the training period (a number, or one per call when
    periods and pairs differ); it must not be computed from the test outcomes. BSS > 0 is better
    than the base rate (Wilks, Statistical Methods in the Atmospheric Sciences, 3rd ed., 8.4.2).
    """
    p = _as_float(probability)
    c = _climatology(climatology, len(p))
    return _skill(brier_losses(p, up), brier_losses(c, up))


def log_loss_skill(probability: np.ndarray, up: np.ndarray, climatology: float | np.ndarray) -> ScoreSkill:
    """Log-loss skill 1 - LL / LL_ref against always forecasting ``climatology`` (as ``brier_skill``)."""
    p = _as_float(probability)
    c = _climatology(climatology, len(p))
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
    d = _as_float(loss_benchmark) - _as_float(loss_model)
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


# --- 5. Sharpe ratio, its standard error, the Deflated Sharpe ----------------------------------


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
    x = _as_float(pnl)
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
    x = _as_float(pnl)
    ts = _as_float(trial_sharpes)
    ts = ts[np.isfinite(ts)]
    variance = float(ts.var(ddof=1)) / periods_per_year if len(ts) > 1 else 0.0
    root = math.sqrt(periods_per_year)
    if len(x) < 3:
        return DeflatedSharpe(math.nan, expected_max_sharpe(n_trials, variance) * root, n_trials, math.nan)
    sr, skew, kurt = _moments(x)
    dsr = deflated_sharpe_ratio(sr, len(x), skew, kurt, n_trials, variance)
    return DeflatedSharpe(sr * root, expected_max_sharpe(n_trials, variance) * root, n_trials, dsr)


# --- 6. Hansen's SPA -----------------------------------------------------------------------------


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

    bench = _as_float(benchmark_pnl)
    models = _as_float(model_pnls)
    models = models.reshape(len(models), -1)
    _same_length(benchmark_pnl=bench, model_pnls=models)
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


# --- 7. Yearly sub-periods -----------------------------------------------------------------------


@dataclass(frozen=True)
class YearRow:
    """One calendar year of calls: accuracy of the vote and of always-buy on them, and the P/L."""

    year: int
    calls: int
    accuracy: float
    always_buy_accuracy: float
    difference: float
    pnl: float
    always_buy_pnl: float


def yearly_table(
    dates: np.ndarray,
    direction: np.ndarray,
    up: np.ndarray,
    pnl: np.ndarray,
    always_buy_pnl: np.ndarray | None = None,
) -> list[YearRow]:
    """Per calendar year of the call dates: calls, vote and always-buy accuracy, their difference,
    summed P/L (of all pairs' calls that year: the portfolio's) and always-buy's P/L (NaN if not given).
    """
    years = np.asarray(dates, dtype="datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    hits = _hits(direction, up)
    ab_hits = _as_bool(up)
    p = _as_float(pnl)
    ab = _as_float(always_buy_pnl) if always_buy_pnl is not None else np.full(len(p), np.nan)
    _same_length(dates=years, direction=hits, pnl=p, always_buy_pnl=ab)
    rows = []
    for year in np.unique(years):
        m = years == year
        acc, ab_acc = float(hits[m].mean()), float(ab_hits[m].mean())
        rows.append(YearRow(int(year), int(m.sum()), acc, ab_acc, acc - ab_acc, float(p[m].sum()), float(ab[m].sum())))
    return rows


# --- 8. Power ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerStatement:
    """What ``n`` calls can show against ``base_rate`` at level ``alpha`` (one-sided, exact binomial)."""

    n: int
    base_rate: float
    alpha: float
    power: float
    critical_hits: int
    accuracy_needed: float
    detectable_accuracy: float
    detectable_edge: float

    def sentence(self) -> str:
        """One line for the report."""
        return (
            f"With {self.n} calls and a base rate of {self.base_rate:.1%}, p < {self.alpha:g} needs "
            f"{self.critical_hits} hits ({self.accuracy_needed:.1%}); a true accuracy of "
            f"{self.detectable_accuracy:.1%} (an edge of {self.detectable_edge * 100:.1f} points) is "
            f"detected with {self.power:.0%} power."
        )


def power_statement(n: int, base_rate: float, alpha: float = 0.01, power: float = 0.8) -> PowerStatement:
    """Accuracy needed for a one-sided exact binomial p <= ``alpha`` and the edge detectable with ``power``.

    The critical count is the smallest k with P(X >= k | n, base_rate) <= alpha, i.e.
    k = F^-1(1 - alpha) + 1 with F the Binomial(n, base_rate) CDF. The detectable accuracy is the p1
    solving P(X >= k | n, p1) = power (monotone in p1; scipy ``brentq``); the edge is p1 - base_rate.
    Use always-buy's accuracy on the same calls as the base rate, not 50 %.
    """
    if n < 1 or not 0 < base_rate < 1:
        raise ValueError(f"need at least one call and a base rate strictly between 0 and 1, got {n}, {base_rate}")
    k = int(sps.binom.ppf(1 - alpha, n, base_rate)) + 1
    while k > 0 and sps.binom.sf(k - 2, n, base_rate) <= alpha:  # guard the ppf against rounding
        k -= 1
    if k > n:
        return PowerStatement(n, base_rate, alpha, power, k, math.nan, math.nan, math.nan)

    def shortfall(p1: float) -> float:
        return float(sps.binom.sf(k - 1, n, p1)) - power

    p1 = float(optimize.brentq(shortfall, base_rate, 1.0 - 1e-12, xtol=1e-12))
    return PowerStatement(n, base_rate, alpha, power, k, k / n, p1, p1 - base_rate)


# --- The bundle ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillSummary:
    """Headline figures of one variant over the pooled calls (all pairs), for the report.

    p-values are one-sided ("the vote is better") and uncorrected: apply ``holm`` across the family.
    McNemar and Pesaran-Timmermann treat calls as independent; ``clustered_p`` does not (it clusters
    by date) and is the one to trust when pairs move together. Sharpe, DSR and SPA use the portfolio's
    daily P/L (all pairs' P/L summed per date); Diebold-Mariano compares daily mean Brier losses of
    the probabilities with climatology's.
    """

    n: int
    days: int
    accuracy: float
    accuracy_se: float
    always_buy_accuracy: float
    mcnemar_p: float
    pt_statistic: float
    pt_p: float
    difference: float
    difference_se: float
    clustered_p: float
    brier: float
    brier_skill: float
    log_loss_skill: float
    dm_p: float
    sharpe: float
    sharpe_se: float
    dsr: float
    n_trials: int
    spa_p: float
    # Multi-day targets: mcnemar_p and pt_p above are HAC (Newey-West, lag horizon - 1, summed per day);
    # the iid figures are kept beside them. 0 lags: one-day targets, the iid tests.
    hac_lags: int = 0
    mcnemar_p_iid: float = math.nan
    pt_p_iid: float = math.nan

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for metrics.json."""
        return asdict(self)


def _per_day(codes: npt.NDArray[np.intp], days: int, values: FloatArray, how: Literal["sum", "mean"]) -> FloatArray:
    totals: FloatArray = np.bincount(codes, weights=values, minlength=days).astype("float64")
    if how == "mean":
        totals = totals / np.bincount(codes, minlength=days)
    return totals


def skill_summary(
    dates: np.ndarray,
    pair: np.ndarray,
    direction: np.ndarray,
    up: np.ndarray,
    probability: np.ndarray | None,
    pnl: np.ndarray,
    always_buy_pnl: np.ndarray,
    trend_pnl: np.ndarray,
    n_trials: int,
    trial_sharpes: np.ndarray,
    *,
    climatology: float | np.ndarray | None = None,
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
    spa_reps: int = 1000,
    seed: int | None = None,
    horizon: int = 1,
) -> SkillSummary:
    """Every headline test of one variant from per-call arrays (one entry per pair and date).

    ``probability`` is the vote's P(up) (e.g. the members' mean; None skips the scores), and
    ``climatology`` the training-period share of up days (a number or one per call), required with it.
    ``always_buy_pnl`` and ``trend_pnl`` are the baselines' P/L on the same calls; ``n_trials`` and
    ``trial_sharpes`` (annualised) come from the trials ledger.
    """
    day_keys = np.asarray(dates, dtype="datetime64[D]")
    pairs = np.asarray(pair).astype(str)
    d = np.asarray(direction)
    n = _same_length(dates=day_keys, pair=pairs, direction=d, up=up, probability=probability, pnl=pnl)
    _same_length(pnl=pnl, always_buy_pnl=always_buy_pnl, trend_pnl=trend_pnl)
    if n == 0:
        raise ValueError("no calls to summarise")
    if len(np.unique(np.char.add(day_keys.astype(str), pairs))) != n:
        raise ValueError("each (date, pair) must appear once; drop the duplicated calls")
    days, codes = np.unique(day_keys, return_inverse=True)
    codes = codes.ravel()
    buy = np.ones(n, dtype=int)

    hits, ab_hits = _hits(d, up), _as_bool(up)
    mcnemar = mcnemar_test(hits, ab_hits)
    timing = pesaran_timmermann(d, up)
    iid = (mcnemar.p_value, timing.p_value)
    if horizon > 1:  # overlapping targets: the iid tests overstate the evidence (h - 1 days shared)
        mcnemar = mcnemar_hac(hits, ab_hits, horizon - 1, day_keys)
        timing = pesaran_timmermann_hac(d, up, horizon - 1, day_keys)
    diff = pooled_hit_difference(d, buy, up, day_keys)

    nan = math.nan
    brier = bss = lls = dm_p = nan
    if probability is not None:
        if climatology is None:
            raise ValueError("scores need the climatology: the training-period share of up days")
        prob = _as_float(probability)
        bs = brier_skill(prob, up, climatology)
        brier, bss = bs.score, bs.skill
        lls = log_loss_skill(prob, up, climatology).skill
        clim = _climatology(climatology, n)
        model_loss = _per_day(codes, len(days), brier_losses(prob, up), "mean")
        clim_loss = _per_day(codes, len(days), brier_losses(clim, up), "mean")
        dm_p = diebold_mariano(model_loss, clim_loss).p_value

    daily = _per_day(codes, len(days), _as_float(pnl), "sum")
    daily_ab = _per_day(codes, len(days), _as_float(always_buy_pnl), "sum")
    daily_trend = _per_day(codes, len(days), _as_float(trend_pnl), "sum")
    sharpe = sharpe_with_se(daily, periods_per_year)
    dsr = deflated_sharpe(daily, n_trials, trial_sharpes, periods_per_year)
    spa_p, _ = spa_against_benchmarks(daily, {"always_buy": daily_ab, "trend": daily_trend}, reps=spa_reps, seed=seed)
    return SkillSummary(
        n=n,
        days=len(days),
        accuracy=float(hits.mean()),
        accuracy_se=pooled_accuracy(d, up, day_keys, float(ab_hits.mean())).se,
        always_buy_accuracy=float(ab_hits.mean()),
        mcnemar_p=mcnemar.p_value,
        pt_statistic=timing.statistic,
        pt_p=timing.p_value,
        difference=diff.mean,
        difference_se=diff.se,
        clustered_p=diff.p_value,
        brier=brier,
        brier_skill=bss,
        log_loss_skill=lls,
        dm_p=dm_p,
        sharpe=sharpe.sharpe,
        sharpe_se=sharpe.se,
        dsr=dsr.dsr,
        n_trials=n_trials,
        spa_p=spa_p,
        hac_lags=max(0, horizon - 1),
        mcnemar_p_iid=iid[0],
        pt_p_iid=iid[1],
    )
