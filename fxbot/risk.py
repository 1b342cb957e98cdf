"""Risk of the day's calls, pure (numpy only, no I/O): what a position can lose, and when it is held.

- One position's 1-day 99 % loss: ``z(0.99) x sigma x notional``, where sigma is the sample
  standard deviation (ddof=1) of the pair's last ``window`` close-to-close returns
  (``close[t] / close[t-1] - 1``) and z(0.99) = 2.3263 the normal quantile. Normal, zero mean: a
  plain, checkable figure, not a tail model; fat tails make real 1-in-100 days worse.
- Gross exposure: the sum of the positions' notionals over equity (three yen crosses that move
  together: treat it as one bet of that size).
- The 20-day 99.9 % portfolio interval: the walk-forward's interval of 20-day P/L sums (fractions
  of equity, at the walk-forward's gross leverage), scaled linearly to today's gross leverage and
  expressed in JPY of today's equity.
- The holding window: opened at the bar day's New York 17:00 close, closed at the next trading
  day's (close to close).

Too few bars for the window give ``loss_jpy=None`` with the number of bars needed: a post says
"risk: n/a (needs N bars)" rather than failing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from fxbot.calendar import CLOSE_TIME, NEW_YORK
from fxbot.signals import PairRisk, PortfolioRisk

#: Normal quantile of 0.99 (scipy.stats.norm.ppf(0.99)); a constant so the daily path needs no scipy.
Z_99 = 2.3263478740408408
DEFAULT_WINDOW = 60


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
    """The 1-day loss a move of ``z`` standard deviations against the position costs, in JPY."""
    return z * sigma * abs(notional_jpy)


def holding_window(bar_day: dt.date, for_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(open, close) of a call's position: New York 17:00 on the bar day and on the day it is for."""
    return (
        dt.datetime.combine(bar_day, CLOSE_TIME, tzinfo=NEW_YORK),
        dt.datetime.combine(for_day, CLOSE_TIME, tzinfo=NEW_YORK),
    )


def pair_risk(
    closes: Sequence[float] | np.ndarray, notional_jpy: float, bar_day: dt.date, for_day: dt.date, window: int
) -> PairRisk:
    """One position's 1-day 99 % loss (None with too few bars) and its holding window."""
    sigma = daily_volatility(closes, window)
    opens, closes_at = holding_window(bar_day, for_day)
    loss = None if sigma is None else one_day_loss(sigma, notional_jpy)
    return PairRisk(loss, sigma, window, needed_bars(window), opens, closes_at)


def portfolio_risk(
    notionals_jpy: Sequence[float],
    equity_jpy: float,
    interval: tuple[float, float] | None = None,
    interval_leverage: float | None = None,
    *,
    days: int = 20,
    confidence: float = 0.999,
) -> PortfolioRisk:
    """Gross exposure over equity, and ``interval`` (fractions of equity at ``interval_leverage``) in JPY today.

    The interval scales with gross exposure: a book twice as large swings twice as much.
    """
    if equity_jpy <= 0:
        raise ValueError(f"equity must be > 0, got {equity_jpy}")
    gross = float(sum(abs(n) for n in notionals_jpy)) / equity_jpy
    if interval is None or not interval_leverage:
        return PortfolioRisk(gross, equity_jpy, interval_days=days, interval_confidence=confidence)
    scale = gross / interval_leverage
    low, high = interval
    return PortfolioRisk(
        gross,
        equity_jpy,
        low * scale * equity_jpy,
        high * scale * equity_jpy,
        interval_days=days,
        interval_confidence=confidence,
    )
