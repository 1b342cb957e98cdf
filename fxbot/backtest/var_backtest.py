"""VaR backtesting: each day's loss figure as it would have been posted that day, against what followed. Pure.

The way banks backtest a VaR model (Basel's traffic light, Kupiec 1995, Christoffersen 1998):

- ``kupiec``: the proportion-of-failures likelihood ratio, x exceedances in n days at probability
  p: ``LR = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x]``, chi-squared with 1 degree of freedom.
- ``christoffersen``: independence of the exceedances (a first-order Markov chain against
  independence), ``LR_ind``, chi-squared(1); and conditional coverage ``LR_cc = LR_pof + LR_ind``, chi-squared(2).
- ``traffic_light``: Basel's zones from the binomial probability of seeing at most x exceedances if
  the model were right: green below 95 %, yellow below 99.99 %, red from there (for 250 days at
  99 %: green 0-4, yellow 5-9, red 10 or more).

``walk_forward_figures`` replays the daily path's figures (``fxbot.risk``) on every walk-forward
day D from the bars up to D only, and the P/L of following the calls up to D only: no look-ahead.
The realised 1-day loss is that day's P/L of the book; the realised 20-day loss is the P/L of
following the calls for the next 20 days. 20-day outcomes overlap, so the tests use every 20th day
(non-overlapping); the overlapping count is reported beside them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sp

from fxbot.backtest import stats
from fxbot.backtest.results import Christoffersen, Kupiec, StressWindow, VarBacktest, VarEntry
from fxbot.risk import EWMA_LAMBDA, MIN_WINDOWS, ewma_volatility, kupiec_lr, window_returns


def kupiec(exceedances: int, n: int, p: float) -> Kupiec:
    """Kupiec's proportion-of-failures likelihood ratio (``fxbot.risk.kupiec_lr``) and its chi-squared(1) p-value."""
    lr = kupiec_lr(exceedances, n, p)
    return Kupiec(lr, math.nan if math.isnan(lr) else float(sp.chi2.sf(lr, 1)))


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def christoffersen(hits: np.ndarray, p: float) -> Christoffersen:
    """Christoffersen's independence test (LR_ind, chi-squared(1)) and conditional coverage (LR_cc, chi-squared(2))."""
    hits = np.asarray(hits, bool)
    if len(hits) < 2:
        return Christoffersen(math.nan, math.nan, math.nan, math.nan)
    before, after = hits[:-1], hits[1:]
    n00 = int(np.sum(~before & ~after))
    n01 = int(np.sum(~before & after))
    n10 = int(np.sum(before & ~after))
    n11 = int(np.sum(before & after))
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    null = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    alt = _xlogy(n00, 1 - pi0) + _xlogy(n01, pi0) + _xlogy(n10, 1 - pi1) + _xlogy(n11, pi1)
    lr_ind = max(-2.0 * (null - alt), 0.0)
    lr_cc = kupiec(int(hits.sum()), len(hits), p).lr + lr_ind
    return Christoffersen(lr_ind, float(sp.chi2.sf(lr_ind, 1)), lr_cc, float(sp.chi2.sf(lr_cc, 2)))


def traffic_light(exceedances: int, n: int, p: float) -> str:
    """Basel's zone: green, yellow or red, from the binomial probability of at most ``exceedances``."""
    if n == 0:
        return "n/a"
    cumulative = float(sp.binom.cdf(exceedances, n, p))
    if cumulative < 0.95:
        return "green"
    return "yellow" if cumulative < 0.9999 else "red"


def backtest_entry(loss: np.ndarray, figure: np.ndarray, p: float, label: str, step: int = 1) -> VarEntry:
    """Exceedances of ``figure`` by ``loss`` (both positive losses, one per day; NaN days left out), tested.

    ``step`` > 1 tests every ``step``-th day only (non-overlapping multi-day outcomes).
    """
    keep = np.isfinite(loss) & np.isfinite(figure)
    loss, figure = loss[keep], figure[keep]
    hits_all = loss > figure
    hits = hits_all[::step]
    x, n = int(hits.sum()), len(hits)
    return VarEntry(
        label=label,
        probability=p,
        observations=n,
        exceedances=x,
        expected=n * p,
        exceedances_overlapping=int(hits_all.sum()) if step > 1 else None,
        observations_overlapping=len(hits_all) if step > 1 else None,
        kupiec=kupiec(x, n, p),
        christoffersen=christoffersen(hits, p),
        traffic_light=traffic_light(x, n, p),
        mean_figure=float(figure.mean()) if n else math.nan,
    )


def _quantile_loss(pnl: np.ndarray, confidence: float) -> float:
    return float(np.quantile(-pnl, confidence, method="inverted_cdf")) if len(pnl) >= MIN_WINDOWS else math.nan


def walk_forward_figures(
    history_dates: np.ndarray,
    closes: np.ndarray,
    call_dates: np.ndarray,
    exposures: np.ndarray,
    calls_pnl: np.ndarray,
    *,
    days: int = 20,
    confidence: float = 0.999,
    day_confidence: float = 0.99,
    lam: float = EWMA_LAMBDA,
) -> dict[str, np.ndarray]:
    """The 1-day and ``days``-day figures posted on each call day, from what was known that day (fractions).

    ``history_dates``/``closes``: the pairs' joint bars (``fxbot.risk.aligned_closes``); ``call_dates``
    the walk-forward's days, ``exposures[day, pair]`` each day's book (direction x leverage) and
    ``calls_pnl`` the P/L of following the calls on each of those days (realised at the next close).
    """
    one = window_returns(closes, 1)
    many = window_returns(closes, days)
    vol = ewma_volatility(one, lam)
    z = one / vol[:-1]
    csum = np.concatenate([np.zeros((1, z.shape[1])), np.cumsum(z, axis=0)])
    z_many = csum[days:] - csum[:-days]
    rolling_calls = stats.rolling_sums(calls_pnl, days)
    n = len(call_dates)
    figures = {k: np.full(n, np.nan) for k in ("book_day", "filtered_day", "book", "filtered", "calls", "normal")}
    positions = np.searchsorted(history_dates, call_dates, side="right") - 1  # the bar of each call day
    for i in range(n):
        k = int(positions[i])
        if k < 0 or history_dates[k] != call_dates[i]:
            continue  # no joint bar that day: nothing posted
        e = exposures[i]
        figures["book_day"][i] = _quantile_loss(one[:k] @ e, day_confidence)
        figures["filtered_day"][i] = _quantile_loss(z[:k] @ (e * vol[k]), day_confidence)
        if k - days + 1 > 0:
            figures["book"][i] = _quantile_loss(many[: k - days + 1] @ e, confidence)
            figures["filtered"][i] = _quantile_loss(z_many[: k - days + 1] @ (e * vol[k]), confidence)
        # following the calls: windows whose last call was before day i (its P/L is known at day i's close)
        known = i - days + 1
        if known > 0:
            figures["calls"][i] = _quantile_loss(rolling_calls[:known], confidence)
            blocks = rolling_calls[:known][::days]  # what posts showed before: mean - z std of the blocks
            if len(blocks) >= 3:
                figures["normal"][i] = z_for(confidence) * blocks.std(ddof=1) - blocks.mean()
    figures["day"] = np.fmax(figures["book_day"], figures["filtered_day"])
    figures["headline"] = np.fmax(np.fmax(figures["book"], figures["filtered"]), figures["calls"])
    return figures


def z_for(confidence: float) -> float:
    """Two-sided normal quantile (0.999 -> 3.2905), as the old interval used it."""
    return float(sp.norm.ppf(0.5 + confidence / 2.0))


def var_backtest(
    figures: dict[str, np.ndarray],
    calls_pnl: np.ndarray,
    *,
    days: int = 20,
    confidence: float = 0.999,
    day_confidence: float = 0.99,
) -> VarBacktest:
    """The posted 1-day and ``days``-day figures against the realised losses of following the calls."""
    calls_pnl = np.asarray(calls_pnl, "float64")
    realised_day = -calls_pnl
    ahead = stats.rolling_sums(calls_pnl, days)  # entry i: days i .. i+days-1
    realised_many = np.full(len(calls_pnl), np.nan)
    realised_many[: len(ahead)] = -ahead
    return VarBacktest(
        one_day=backtest_entry(realised_day, figures["day"], 1 - day_confidence, f"1-day {day_confidence:.0%}"),
        twenty_day=backtest_entry(
            realised_many,
            figures["headline"],
            1 - confidence,
            f"{days}-day {confidence:.1%} (every {days}th day)",
            step=days,
        ),
        twenty_day_normal=backtest_entry(
            realised_many,
            figures["normal"],
            1 - confidence,
            f"{days}-day {confidence:.1%}, normal curve as posted before (every {days}th day)",
            step=days,
        ),
    )


def stress_entries(
    history_dates: np.ndarray, closes: np.ndarray, call_dates: np.ndarray, calls_pnl: np.ndarray, leverage: np.ndarray
) -> list[StressWindow]:
    """Each named stress window (``fxbot.risk.STRESS_WINDOWS``): following the calls over it (the calls made from
    its first close up to the day before its last), and always-long at the same leverages, as fractions of equity."""
    from fxbot.risk import STRESS_WINDOWS, stress_results

    long_only = {s.name: s for s in stress_results(history_dates, closes, leverage, STRESS_WINDOWS)}
    out = []
    for name, _first, _last in STRESS_WINDOWS:
        held = long_only.get(name)
        if held is None:
            continue
        start, end = np.datetime64(held.start, "D"), np.datetime64(held.end, "D")
        inside = (call_dates >= start) & (call_dates < end)
        out.append(
            StressWindow(
                name=name,
                start=held.start.isoformat(),
                end=held.end.isoformat(),
                calls_pnl=float(calls_pnl[inside].sum()) if inside.any() else None,
                calls_days=int(inside.sum()),
                always_long_pnl=held.pnl_jpy,
            )
        )
    return out
