"""The sizing trial: volatility-targeted positions against the fixed leverage, on the same walk-forward calls.

Registered in the trials ledger before it runs (``HYPOTHESIS`` and ``CRITERION`` are written
there first, then the result), judged on the committed 2008-2024 walk-forward:

- **vol_target**: each pair's position on day D is its configured leverage times
  ``min(1, target_D / sigma_D)``, where ``sigma_D`` is the larger of the pair's trailing 20- and
  60-day realised volatility (sample std of daily close-to-close returns up to and including D)
  and ``target_D`` the median of its trailing 60-day volatility over every earlier day since the
  start of the bars (expanding, so nothing after D is used). Capped at the shipped leverage: it
  only ever sizes down.
- **fixed**: the configured leverage every day (what fxbot posts).

Daily P/L at leverage 1 (price, cost and rollover: ``fxbot.backtest.run.unit_pnl_matrix``) is
linear in the position, so each is ``unit x leverage x scale``. The verdict compares the empirical
99.9 % rolling 20-day loss and the Sharpe ratio, with a paired moving-block bootstrap (arch, blocks
of 20 days: both series resampled on the same days).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fxbot.backtest import stats

NAME = "vol-target sizing"
HYPOTHESIS = (
    "Scaling each pair's position by min(1, target / max(trailing 20-day, 60-day realised volatility)), the target "
    "being the pair's expanding median of trailing 60-day volatility before the day, lowers the empirical 99.9 % "
    "rolling 20-day loss of following the calls at an equal or better Sharpe ratio than the fixed leverage "
    "1.79/1.68/1.03, on the 2008-2024 walk-forward calls (reports/backtest-2008-2024)."
)
CRITERION = (
    "vol_target wins if (a) its 99.9 % rolling 20-day loss is below fixed's in at least 95 % of 2,000 paired "
    "moving-block bootstrap resamples (blocks of 20 days, seed 19) and (b) its Sharpe ratio is at least fixed's "
    "(point estimate). Otherwise fixed stays and vol_target is not offered. Judged once; no parameter is tuned."
)
BLOCK = 20
RESAMPLES = 2000
SEED = 19


def volatility_scale(closes: pd.Series, days: pd.DatetimeIndex, short: int = 20, long: int = 60) -> np.ndarray:
    """min(1, target / sigma) on each of ``days`` from ``closes`` (a pair's bars, indexed by day) up to that day."""
    returns = closes.pct_change()
    sigma = np.maximum(returns.rolling(short).std(ddof=1), returns.rolling(long).std(ddof=1))
    target = returns.rolling(long).std(ddof=1).expanding().median().shift(1)  # days before D only
    scale = (target / sigma).clip(upper=1.0)
    values = scale.reindex(days).to_numpy()
    return np.where(np.isfinite(values), values, 1.0)  # no history yet: the shipped leverage


def loss_999(pnl: np.ndarray, horizon: int = 20, confidence: float = 0.999) -> float:
    """The empirical ``confidence`` loss of the rolling ``horizon``-day sums (positive: a loss)."""
    sums = stats.rolling_sums(pnl, horizon)
    return float(np.quantile(-sums, confidence, method="inverted_cdf"))


def compare(fixed: np.ndarray, sized: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    """The two daily P/L series (fractions of equity, the same days) judged by ``CRITERION``."""
    from arch.bootstrap import MovingBlockBootstrap

    fixed, sized = np.asarray(fixed, "float64"), np.asarray(sized, "float64")
    point = {
        "fixed": {"loss_999_20d": loss_999(fixed), "sharpe": stats.sharpe_ratio(fixed), "worst_20d": _worst(fixed)},
        "vol_target": {
            "loss_999_20d": loss_999(sized),
            "sharpe": stats.sharpe_ratio(sized),
            "worst_20d": _worst(sized),
        },
    }
    bootstrap = MovingBlockBootstrap(BLOCK, fixed, sized, seed=seed)
    lower, sharpe_diff = [], []
    for data, _ in bootstrap.bootstrap(resamples):
        a, b = data
        lower.append(loss_999(b) < loss_999(a))
        sharpe_diff.append(stats.sharpe_ratio(b) - stats.sharpe_ratio(a))
    share_lower = float(np.mean(lower))
    diff = np.asarray(sharpe_diff)
    loss_wins = share_lower >= 0.95
    sharpe_ok = point["vol_target"]["sharpe"] >= point["fixed"]["sharpe"]
    return {
        **point,
        "bootstrap": {
            "method": f"arch MovingBlockBootstrap, block {BLOCK}, {resamples} resamples, seed {seed}",
            "share_vol_target_loss_lower": share_lower,
            "sharpe_difference_90": [float(np.quantile(diff, 0.05)), float(np.quantile(diff, 0.95))],
        },
        "loss_lower": loss_wins,
        "sharpe_at_least": sharpe_ok,
        "verdict": "vol_target wins" if loss_wins and sharpe_ok else "fixed stays",
    }


def _worst(pnl: np.ndarray) -> float:
    sums = stats.rolling_sums(pnl, 20)
    return float(-sums.min()) if len(sums) else math.nan


def sized_pnl(
    unit: np.ndarray, pairs: list[str], days: np.ndarray, leverage: dict[str, float], closes: dict[str, pd.Series]
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """(fixed, vol_target) daily P/L of the portfolio from ``unit`` (days x pairs at leverage 1), and each pair's
    mean scale."""
    index = pd.DatetimeIndex(days)
    scales = np.column_stack([volatility_scale(closes[p], index) for p in pairs])
    lev = np.array([leverage[p] for p in pairs])
    fixed = unit @ lev
    sized = (unit * scales) @ lev
    return fixed, sized, {p: float(scales[:, j].mean()) for j, p in enumerate(pairs)}


def run_trial(
    report_dir: Path,
    data_dir: Path,
    rates_dir: Path,
    leverage: dict[str, float],
    cost_pips: dict[str, float],
    markup: float,
) -> dict[str, Any]:
    """The trial on ``report_dir``'s walk-forward calls: both sizings, compared by ``CRITERION``."""
    from fxbot.backtest.analysis import Options
    from fxbot.backtest.rollover import load_rates
    from fxbot.backtest.run import unit_pnl_matrix
    from fxbot.backtest.walkforward import load_result
    from fxbot.data.store import PriceStore
    from fxbot.pairs import get_pair

    result = load_result(report_dir)
    pairs = list(result.calls)
    options = Options(
        leverage={p: leverage[p] for p in pairs},
        pip_size={p: get_pair(p).pip_size for p in pairs},
        cost_pips={p: cost_pips[p] for p in pairs},
        rates=load_rates(rates_dir),
        rollover_markup=markup,
    )
    unit, names, days = unit_pnl_matrix(result, options)
    store = PriceStore(data_dir)
    closes = {p: store.load(p).to_frame()["close"] for p in names}
    fixed, sized, mean_scale = sized_pnl(unit, names, days, options.leverage, closes)
    outcome = compare(fixed, sized)
    return {
        "name": NAME,
        "hypothesis": HYPOTHESIS,
        "criterion": CRITERION,
        "report": str(report_dir),
        "days": len(fixed),
        "first_day": str(days[0]),
        "last_day": str(days[-1]),
        "mean_scale": mean_scale,
        **outcome,
    }
