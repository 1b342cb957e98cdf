"""Backtest statistics: pure functions over numpy arrays, no I/O, no TensorFlow.

Conventions shared by every function here:

- a *direction* is +1 (BUY) or -1 (SELL); an *outcome* ``up`` is True when the next close is
  strictly higher (a flat day counts as not up, as in the training labels);
- daily P/L is a fraction of account equity: direction x (close[D+1] / close[D] - 1) x leverage,
  minus the cost of a trade, ``cost_pips`` x pip size / close[D] x leverage;
- the notional is leverage x a fixed equity (as ``account.equity_jpy`` sizes it), so P/L adds up over
  days: an h-day P/L is the sum of its daily P/L, and the equity curve is 1 + the running sum.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

Z_999 = 3.2905  # two-sided 99.9 % normal quantile, as in the original analysis
TRADING_DAYS_PER_YEAR = 252
CostRule = Literal["every_day", "on_change"]


def binomial_p_value(correct: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided binomial p-value of ``correct`` hits in ``n`` calls against chance ``p``."""
    if n == 0:
        return math.nan
    return float(stats.binomtest(int(correct), int(n), p, alternative="two-sided").pvalue)


def random_band(n: int, level: float = 0.99) -> tuple[float, float]:
    """Central ``level`` band of a coin-flip guesser's accuracy over ``n`` calls (binomial quantiles)."""
    if n == 0:
        return (math.nan, math.nan)
    tail = (1.0 - level) / 2.0
    low, high = stats.binom.ppf([tail, 1.0 - tail], n, 0.5)
    return (float(low) / n, float(high) / n)


def tranche_positions(direction: np.ndarray, horizon: int = 1) -> np.ndarray:
    """The position held from D's close to D+1's when each call is held ``horizon`` days.

    A call made on D is a tranche of 1/``horizon`` of the position, held from D's close to
    D+``horizon``'s, so the position on D is the sum of the last ``horizon`` calls' directions over
    ``horizon`` (the first ``horizon`` - 1 days hold fewer tranches). ``horizon`` 1 is the call itself.
    """
    direction = np.asarray(direction, dtype="float64")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    if horizon == 1:
        return direction
    running = np.concatenate([[0.0], np.cumsum(direction)])
    held: npt.NDArray[np.float64] = (
        running[1:] - running[np.maximum(np.arange(1, len(running)) - horizon, 0)]
    ) / horizon
    return held


def daily_pnl(
    direction: np.ndarray,
    close: np.ndarray,
    next_close: np.ndarray,
    leverage: float,
    cost_pips: float,
    pip_size: float,
    charge: CostRule = "every_day",
    horizon: int = 1,
) -> np.ndarray:
    """P/L per call day as a fraction of equity, net of cost (see the module docstring).

    ``horizon`` is how many days each call is held (its target: 5 for a 5-day call): the day's
    position is ``tranche_positions``. ``charge="every_day"`` pays a round trip on every call (each
    call is a trade of 1/``horizon`` of the position, opened at D's close and closed ``horizon``
    days later); ``"on_change"`` pays only for the position's change (a trader who keeps a position
    open while the calls repeat): half a round trip per unit traded, the first day's opening counted
    with its eventual close.
    """
    position = tranche_positions(direction, horizon)
    close, next_close = np.asarray(close, "float64"), np.asarray(next_close, "float64")
    gross: npt.NDArray[np.float64] = position * (next_close / close - 1.0) * leverage
    unit_cost = cost_pips * pip_size / close * leverage
    if charge == "every_day":
        cost = unit_cost / horizon
    elif charge == "on_change":
        previous = np.concatenate([-position[:1], position[:-1]])  # the first day opens (and will close) its position
        cost = unit_cost * np.abs(position - previous) / 2.0
    else:
        raise ValueError(f"unknown cost rule {charge!r}; use 'every_day' or 'on_change'")
    return gross - cost


def block_sums(pnl: np.ndarray, horizon: int = 20) -> np.ndarray:
    """P/L of consecutive non-overlapping ``horizon``-day blocks; an incomplete last block is dropped."""
    pnl = np.asarray(pnl, "float64")
    n = len(pnl) // horizon
    sums: npt.NDArray[np.float64] = pnl[: n * horizon].reshape(n, horizon).sum(axis=1)  # numpy types an axis sum as Any
    return sums


def rolling_sums(pnl: np.ndarray, horizon: int = 20) -> np.ndarray:
    """P/L of every ``horizon``-day window (overlapping, one per end day)."""
    pnl = np.asarray(pnl, "float64")
    if len(pnl) < horizon:
        return np.empty(0)
    csum: npt.NDArray[np.float64] = np.concatenate([[0.0], np.cumsum(pnl)])
    return csum[horizon:] - csum[:-horizon]


@dataclass(frozen=True)
class BlockStats:
    """Summary of horizon P/L blocks and the interval mean +/- z x std."""

    count: int
    mean: float
    std: float
    min: float
    max: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for metrics.json."""
        return asdict(self)


def summarize_blocks(blocks: np.ndarray, z: float = Z_999) -> BlockStats:
    """Count, mean, sample std (ddof=1), min, max and the interval mean +/- ``z`` std of ``blocks``."""
    blocks = np.asarray(blocks, "float64")
    if len(blocks) < 2:
        nan = math.nan
        return BlockStats(len(blocks), nan, nan, nan, nan, nan, nan)
    mean, std = float(blocks.mean()), float(blocks.std(ddof=1))
    return BlockStats(len(blocks), mean, std, float(blocks.min()), float(blocks.max()), mean - z * std, mean + z * std)


def z_for(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence`` (0.999 -> 3.2905)."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def equity_curve(pnl: np.ndarray) -> np.ndarray:
    """Equity as a multiple of the starting equity: 1 + running sum of daily P/L."""
    return 1.0 + np.cumsum(np.asarray(pnl, "float64"))


def max_drawdown(pnl: np.ndarray) -> float:
    """Largest fall of the equity curve from its running peak, as a fraction of that peak (>= 0)."""
    equity = np.concatenate([[1.0], equity_curve(pnl)])
    peak = np.maximum.accumulate(equity)
    return float(np.max((peak - equity) / peak))


def sharpe_ratio(pnl: np.ndarray, periods_per_year: int = TRADING_DAYS_PER_YEAR) -> float:
    """Annualised Sharpe ratio of daily P/L (zero risk-free rate): mean / std x sqrt(periods)."""
    pnl = np.asarray(pnl, "float64")
    if len(pnl) < 2:
        return math.nan
    std = pnl.std(ddof=1)
    return float(pnl.mean() / std * math.sqrt(periods_per_year)) if std > 0 else math.nan


def correlation_matrix(columns: np.ndarray) -> np.ndarray:
    """Pearson correlation between the columns of a (days, series) array."""
    return np.atleast_2d(np.corrcoef(np.asarray(columns, "float64"), rowvar=False))


def rolling_accuracy(hits: np.ndarray, window: int = 60) -> np.ndarray:
    """Share of hits in each trailing ``window`` of calls (one value per end call, from call ``window``)."""
    return rolling_sums(np.asarray(hits, "float64"), window) / window
