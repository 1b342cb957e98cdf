"""Paired tests against always-buy: exact McNemar on the discordant calls, Pesaran-Timmermann (1992),
and their HAC (Newey-West) versions for overlapping multi-day targets."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from fxbot.backtest.skill.arrays import (
    Alternative,
    as_bool,
    as_float,
    call_hits,
    normal_tail,
    same_length,
    sum_by_day,
)


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
    a, b_ = as_bool(hits_a), as_bool(hits_b)
    n = same_length(hits_a=a, hits_b=b_)
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
    hits = call_hits(direction, up)
    n = len(hits)
    nan = math.nan
    if n == 0:
        return TimingTest(0, nan, nan, nan, nan)
    y, x = as_bool(up).astype(float), (np.asarray(direction) > 0).astype(float)
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
    v = as_float(by_day)
    total = float(v @ v)
    for lag in range(1, min(lags, len(v) - 1) + 1):
        total += 2.0 * (1.0 - lag / (lags + 1)) * float(v[lag:] @ v[:-lag])
    return total


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
    y, x = as_bool(up).astype(float), (np.asarray(direction) > 0).astype(float)
    u = (x - x.mean()) * (y - y.mean())
    long_run = newey_west_sum(sum_by_day(u, days), lags)
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
    a, b_ = as_bool(hits_a), as_bool(hits_b)
    n = same_length(hits_a=a, hits_b=b_)
    only_a, only_b = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    d = a.astype(float) - b_.astype(float)
    long_run = newey_west_sum(sum_by_day(d, days), lags)
    if not long_run > 0:
        return McNemarResult(n, only_a, only_b, 1.0)
    return McNemarResult(n, only_a, only_b, normal_tail(float(d.sum()) / math.sqrt(long_run), alternative))
