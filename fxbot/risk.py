"""Risk of the day's calls from history, pure (numpy only, no I/O): what the book can lose, and when it is held.

Every loss here comes from the bundled bars, never from a normal curve alone (DESIGN, invariants):

- **Historical simulation of today's book** (``book_tail``): every past ``days``-day window of the
  pairs' joint history (overlapping, one per end day, only the days all pairs have a bar, so their
  correlation comes from the data) is applied to today's positions: P/L = sum over pairs of
  signed notional x (close[end] / close[start] - 1). The loss quantile is the empirical one
  (``numpy.quantile(..., method="inverted_cdf")``: the smallest loss L with at least ``confidence`` of
  the windows losing no more than L); the expected shortfall is the mean of the losses at or beyond it;
  the worst window is named by its dates.
- **Filtered historical simulation** (``filtered_tail``): the same windows built from daily returns
  rescaled by today's volatility over then (each pair's EWMA, lambda 0.94, RiskMetrics): quiet
  history counts as loud when today is loud. A window's P/L is the sum of its rescaled daily returns.
- **Following the calls** (``scaled_tail`` of the evidence's ``calls_tail``: the walk-forward, stored with
  the models): the positions change every day, so today's book held for 20 days is not what a follower holds. The
  walk-forward's rolling 20-day P/L of following the calls at the same gross leverage is the other
  view of the same 20 days.
- **The headline** of a post is the largest 20-day loss of the three (and of the two 1-day ones):
  where two views disagree, the larger leads.
- **Stress windows** (``STRESS_WINDOWS``): today's book over named episodes, close to close.
- **Budget** (``budget_scale``): losses are linear in the leverage, so the scale that brings a loss
  within a drawdown budget is budget / loss, and the leverages that result are that scale times them.
- The holding window: opened at the bar day's New York 17:00 close, closed at the next trading
  day's (close to close).

Too little history gives ``None`` figures: a post says "n/a" rather than failing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import msgspec
import numpy as np

from fxbot.calendar import CLOSE_TIME, NEW_YORK
from fxbot.signals import PairRisk, PortfolioRisk, StressResult, TailLoss

#: Normal quantile of 0.99 (scipy.stats.norm.ppf(0.99)): only for the normal-curve figure shown beside.
Z_99 = 2.3263478740408408
DEFAULT_WINDOW = 60
#: RiskMetrics' decay for daily returns.
EWMA_LAMBDA = 0.94
#: Fewest windows a tail is estimated from: below it a 99.9 % quantile is only the worst window by another name.
MIN_WINDOWS = 250

#: Named episodes: (name, first close, last close). The book's P/L runs from the close on the first day
#: (or the last bar before it) to the close on the last day (or the last bar before it).
STRESS_WINDOWS: tuple[tuple[str, str, str], ...] = (
    ("2008-10 carry unwind", "2008-09-30", "2008-10-27"),
    ("2011-03 Tohoku, intervention", "2011-03-10", "2011-03-18"),
    ("2013-05 taper tantrum", "2013-05-22", "2013-06-13"),
    ("2015-08 China devaluation", "2015-08-18", "2015-08-24"),
    ("2016-06-24 Brexit vote", "2016-06-23", "2016-06-24"),
    ("2020-03 Covid", "2020-03-06", "2020-03-24"),
    ("2022-10 intervention", "2022-10-20", "2022-10-24"),
    ("2024-08 carry unwind", "2024-07-10", "2024-08-05"),
)


# --- history ---------------------------------------------------------------------------------------


def aligned_closes(series: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(dates, closes[days, pairs]) on the days every pair has a bar; ``series`` is (dates, closes) per pair."""
    if not series:
        return np.empty(0, "datetime64[D]"), np.empty((0, 0))
    common = series[0][0].astype("datetime64[D]")
    for dates, _ in series[1:]:
        common = np.intersect1d(common, dates.astype("datetime64[D]"), assume_unique=True)
    columns = []
    for dates, closes in series:
        index = np.searchsorted(dates.astype("datetime64[D]"), common)
        columns.append(np.asarray(closes, "float64")[index])
    return common, np.stack(columns, axis=1) if columns else np.empty((0, 0))


def window_returns(closes: np.ndarray, days: int) -> np.ndarray:
    """Each pair's ``days``-day simple return of every overlapping window: row k runs from close k to close k+days."""
    closes = np.asarray(closes, "float64")
    if days < 1:
        raise ValueError(f"a window needs at least 1 day, got {days}")
    if len(closes) <= days:
        return np.empty((0, closes.shape[1] if closes.ndim == 2 else 0))
    returns: np.ndarray = closes[days:] / closes[:-days] - 1.0
    return returns


def ewma_volatility(returns: np.ndarray, lam: float = EWMA_LAMBDA, seed_days: int = 20) -> np.ndarray:
    """Each day's EWMA volatility known *before* that day's return, per column, and one row more for today.

    Row t (t < len) is sigma_t = sqrt(lam x var_{t-1} + (1 - lam) x r_{t-1}^2) with var seeded by the
    mean square of the first ``seed_days`` returns; the last row is today's, after the last return.
    Matches ``pandas.Series.ewm(alpha=1-lam, adjust=False)`` on the squared returns (tests check it).
    """
    returns = np.atleast_2d(np.asarray(returns, "float64"))
    if returns.shape[0] == 0:
        return np.empty((0, returns.shape[1]))
    var = np.empty((len(returns) + 1, returns.shape[1]))
    keep = 1.0 - lam
    for j in range(returns.shape[1]):
        # a recursion: plain floats run it in about 1 ms per 4,800 days, numpy rows take ten times that
        v = float(np.mean(returns[:seed_days, j] ** 2))
        column = [v]
        for r in returns[:, j].tolist():
            v = lam * v + keep * r * r
            column.append(v)
        var[:, j] = column
    vol: np.ndarray = np.sqrt(var)
    return vol


# --- tails ----------------------------------------------------------------------------------------


def tail_loss(
    pnl: np.ndarray,
    confidence: float,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    days: int,
    source: str,
    min_windows: int = MIN_WINDOWS,
) -> TailLoss | None:
    """The loss quantile, expected shortfall and worst window of ``pnl`` (JPY per window); None if too few."""
    pnl = np.asarray(pnl, "float64")
    if len(pnl) < min_windows or not np.all(np.isfinite(pnl)):
        return None
    losses = -pnl
    var = float(np.quantile(losses, confidence, method="inverted_cdf"))
    es = float(losses[losses >= var].mean())
    worst = int(np.argmax(losses))
    return TailLoss(
        source=source,
        days=days,
        confidence=confidence,
        loss_jpy=max(var, 0.0),
        shortfall_jpy=max(es, 0.0),
        worst_jpy=max(float(losses[worst]), 0.0),
        worst_start=_date(starts[worst]),
        worst_end=_date(ends[worst]),
        windows=len(pnl),
        first_day=_date(starts[0]),
        last_day=_date(ends[-1]),
    )


def book_tail(
    dates: np.ndarray,
    closes: np.ndarray,
    exposures_jpy: np.ndarray,
    days: int,
    confidence: float,
    min_windows: int = MIN_WINDOWS,
) -> TailLoss | None:
    """Historical simulation: every past ``days``-day window applied to ``exposures_jpy`` (signed, per pair)."""
    returns = window_returns(closes, days)
    pnl = returns @ np.asarray(exposures_jpy, "float64")
    return tail_loss(pnl, confidence, dates[:-days], dates[days:], days=days, source="book", min_windows=min_windows)


def rescaled_returns(closes: np.ndarray, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """Each past daily return times today's EWMA volatility over the volatility known before it (per column)."""
    daily = window_returns(closes, 1)
    vol = ewma_volatility(daily, lam)
    rescaled: np.ndarray = daily / vol[:-1] * vol[-1]
    return rescaled


def filtered_tail(
    dates: np.ndarray,
    closes: np.ndarray,
    exposures_jpy: np.ndarray,
    days: int,
    confidence: float,
    lam: float = EWMA_LAMBDA,
    min_windows: int = MIN_WINDOWS,
    rescaled: np.ndarray | None = None,
) -> TailLoss | None:
    """Filtered historical simulation: daily returns x today's EWMA volatility / then's, summed over ``days``.

    ``rescaled`` (``rescaled_returns(closes, lam)``) saves computing it again for another horizon.
    """
    if len(closes) < days + 21:
        return None
    rescaled = rescaled_returns(closes, lam) if rescaled is None else rescaled
    csum = np.concatenate([np.zeros((1, rescaled.shape[1])), np.cumsum(rescaled, axis=0)])
    sums = csum[days:] - csum[:-days]
    pnl = sums @ np.asarray(exposures_jpy, "float64")
    return tail_loss(
        pnl, confidence, dates[:-days], dates[days:], days=days, source="filtered", min_windows=min_windows
    )


def scaled_tail(tail: TailLoss, factor: float) -> TailLoss:
    """``tail`` with its losses times ``factor``: losses are linear in the leverage and the equity."""
    return msgspec.structs.replace(
        tail,
        loss_jpy=tail.loss_jpy * factor,
        shortfall_jpy=tail.shortfall_jpy * factor,
        worst_jpy=tail.worst_jpy * factor,
    )


def stress_results(
    dates: np.ndarray, closes: np.ndarray, exposures_jpy: np.ndarray, windows: Sequence[tuple[str, str, str]]
) -> tuple[StressResult, ...]:
    """Today's book over each named window (close to close); windows outside the history are left out."""
    out = []
    exposures = np.asarray(exposures_jpy, "float64")
    for name, first, last in windows:
        start, end = np.datetime64(first, "D"), np.datetime64(last, "D")
        i, j = np.searchsorted(dates, start, side="right") - 1, np.searchsorted(dates, end, side="right") - 1
        if i < 0 or j <= i or dates[-1] < end:
            continue
        pnl = float((closes[j] / closes[i] - 1.0) @ exposures)
        out.append(StressResult(name, _date(dates[i]), _date(dates[j]), pnl))
    return tuple(out)


def budget_scale(loss_jpy: float, equity_jpy: float, budget: float) -> float:
    """The leverage scale that keeps ``loss_jpy`` within ``budget`` x equity (inf when there is no loss)."""
    if not 0 < budget < 1:
        raise ValueError(f"the drawdown budget is a fraction of equity between 0 and 1, got {budget}")
    return budget * equity_jpy / loss_jpy if loss_jpy > 0 else math.inf


def _date(day: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(np.asarray(day, "datetime64[D]")))


# --- one position, and the book -------------------------------------------------------------------


def needed_bars(window: int) -> int:
    """Bars needed for ``window`` returns: one more than the window."""
    return window + 1


def daily_volatility(closes: Sequence[float] | np.ndarray, window: int) -> float | None:
    """Sample standard deviation of the last ``window`` daily returns, or None with too few closes."""
    if window < 2:
        raise ValueError(f"the volatility window needs at least 2 returns, got {window}")
    values = np.asarray(closes, dtype="float64")
    if len(values) < needed_bars(window):
        return None
    recent = values[-needed_bars(window) :]
    returns = recent[1:] / recent[:-1] - 1.0
    sigma = float(np.std(returns, ddof=1))
    return sigma if math.isfinite(sigma) else None


def one_day_loss(sigma: float, notional_jpy: float, z: float = Z_99) -> float:
    """The 1-day loss a move of ``z`` standard deviations against the position costs, in JPY (the normal figure)."""
    return z * sigma * abs(notional_jpy)


def holding_window(bar_day: dt.date, for_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(open, close) of a call's position: New York 17:00 on the bar day and on the day it is for."""
    return (
        dt.datetime.combine(bar_day, CLOSE_TIME, tzinfo=NEW_YORK),
        dt.datetime.combine(for_day, CLOSE_TIME, tzinfo=NEW_YORK),
    )


def pair_risk(
    dates: np.ndarray,
    closes: Sequence[float] | np.ndarray,
    exposure_jpy: float,
    bar_day: dt.date,
    for_day: dt.date,
    window: int,
    confidence: float = 0.99,
) -> PairRisk:
    """One position's 1-day loss from its own history (the larger of historical and filtered; None with too few
    bars), its normal-curve figure beside it, and its holding window."""
    values = np.asarray(closes, "float64").reshape(-1, 1)
    exposure = np.array([exposure_jpy])
    tails = [
        t
        for t in (
            book_tail(dates, values, exposure, 1, confidence),
            filtered_tail(dates, values, exposure, 1, confidence),
        )
        if t is not None
    ]
    sigma = daily_volatility(values[:, 0], window)
    opens, closes_at = holding_window(bar_day, for_day)
    loss = max((t.loss_jpy for t in tails), default=None)
    normal = None if sigma is None else one_day_loss(sigma, exposure_jpy)
    return PairRisk(loss, sigma, window, needed_bars(MIN_WINDOWS), opens, closes_at, normal_loss_jpy=normal)


def portfolio_risk(
    dates: np.ndarray,
    closes: np.ndarray,
    exposures_jpy: Sequence[float],
    equity_jpy: float,
    *,
    calls: TailLoss | None = None,
    budget: float = 0.25,
    days: int = 20,
    confidence: float = 0.999,
    day_confidence: float = 0.99,
) -> PortfolioRisk:
    """Today's book from history: its 20-day and 1-day tails, the calls' tail beside them, stress windows.

    ``dates``/``closes`` are the pairs' joint history (``aligned_closes``) up to the bar day, in the
    order of ``exposures_jpy`` (signed notionals: + long, - short).
    """
    if equity_jpy <= 0:
        raise ValueError(f"equity must be > 0, got {equity_jpy}")
    exposures = np.asarray(exposures_jpy, "float64")
    gross = float(np.sum(np.abs(exposures))) / equity_jpy
    rescaled = rescaled_returns(closes) if len(closes) > days + 20 else None
    return PortfolioRisk(
        gross_leverage=gross,
        equity_jpy=equity_jpy,
        budget=budget,
        book=book_tail(dates, closes, exposures, days, confidence),
        filtered=filtered_tail(dates, closes, exposures, days, confidence, rescaled=rescaled),
        calls=calls,
        book_day=book_tail(dates, closes, exposures, 1, day_confidence),
        filtered_day=filtered_tail(dates, closes, exposures, 1, day_confidence, rescaled=rescaled),
        stress=stress_results(dates, closes, exposures, STRESS_WINDOWS),
    )


# --- backtesting the figures -----------------------------------------------------------------------


def chi2_1_sf(statistic: float) -> float:
    """P(chi-squared with 1 degree of freedom > ``statistic``) = erfc(sqrt(statistic / 2)): no scipy on the VM."""
    return math.erfc(math.sqrt(max(statistic, 0.0) / 2.0))


def kupiec_lr(exceedances: int, n: int, p: float) -> float:
    """Kupiec's proportion-of-failures likelihood ratio for ``exceedances`` in ``n`` days at probability ``p``.

    ``LR = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x]``, chi-squared(1) under a right model.
    """
    if n == 0:
        return math.nan
    x, rate = exceedances, exceedances / n
    null = (n - x) * math.log1p(-p) + x * math.log(p)
    alt = ((n - x) * math.log1p(-rate) if x < n else 0.0) + (x * math.log(rate) if x > 0 else 0.0)
    return max(-2.0 * (null - alt), 0.0)


def exceedances(losses: Sequence[float], figures: Sequence[float], p: float = 0.01) -> tuple[int, int, float]:
    """(exceedances, days, Kupiec's p-value) of realised ``losses`` (positive: lost) against the ``figures`` shown."""
    x = sum(1 for loss, figure in zip(losses, figures, strict=True) if loss > figure)
    n = len(losses)
    return x, n, chi2_1_sf(kupiec_lr(x, n, p)) if n else math.nan
