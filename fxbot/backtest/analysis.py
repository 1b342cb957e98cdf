"""From walk-forward calls to the report's figures: accuracy, baselines, P/L, blocks, risk. Pure.

Everything is computed per pair and for the portfolio (pairs' daily P/L added on the union of
their days; a pair without a call that day contributes nothing). Accuracy of the portfolio is
the pooled accuracy of all pairs' calls.

Daily P/L = price move x position x leverage - the pair's cost in pips + rollover (the rate
differential of the position's currencies minus the mark-up, ``fxbot.backtest.rollover``). The
position is the day's call, or for an h-day target the last h calls in 1/h tranches. A day
without rates for either currency gets no rollover; those days are counted and their months named.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import msgspec
import numpy as np
import pandas as pd

from fxbot.backtest import stats
from fxbot.backtest.baselines import always_buy, repeat_yesterday
from fxbot.backtest.results import (
    Accuracy,
    AlwaysBuyPnl,
    CallsTail,
    Comparison,
    Correlation,
    Headline,
    Metrics,
    OptionsRecord,
    OriginalFigures,
    PairHeadline,
    PairMetrics,
    PeriodRecord,
    Portfolio,
    Risk,
    Rollover,
    VariantRecord,
    WalkForwardRecord,
)
from fxbot.backtest.rollover import RateTable, pair_rollover
from fxbot.backtest.walkforward import PairCalls, WalkForwardResult
from fxbot.pairs import get_pair

# The figures of the original analysis the product was built on, quoted in the issue.
ORIGINAL_WINDOW = ("2013-01-01", "2017-11-01")
ORIGINAL_ACCURACY = 0.568
ORIGINAL_CALLS = 1300
ORIGINAL_BAND = (0.459, 0.551)
ORIGINAL_BLOCK20 = {"mean": 0.0817, "std": 0.0988, "min": -0.2335, "max": 0.5733, "low": -0.2454, "high": 0.4068}
ORIGINAL = OriginalFigures(
    list(ORIGINAL_WINDOW), ORIGINAL_ACCURACY, ORIGINAL_CALLS, list(ORIGINAL_BAND), dict(ORIGINAL_BLOCK20)
)


@dataclass(frozen=True)
class Options:
    """How P/L and risk are counted."""

    leverage: dict[str, float]
    pip_size: dict[str, float]
    cost_pips: dict[str, float]
    rates: RateTable | None = None  # None: no rollover data at all (every day is reported as without rates)
    rollover_markup: float = 0.5  # percent per year
    charge: stats.CostRule = "every_day"
    horizon: int = 20
    confidence: float = 0.999
    band_level: float = 0.99
    rolling_window: int = 60


@dataclass
class Series:
    """Per-day arrays the charts need."""

    dates: pd.DatetimeIndex
    pnl: np.ndarray
    hits: np.ndarray | None = None


@dataclass
class Analysis:
    """metrics.json content plus the series behind the charts."""

    metrics: Metrics
    series: dict[str, Series] = field(default_factory=dict)
    blocks: np.ndarray = field(default_factory=lambda: np.empty(0))


def accuracy_entry(calls_up: np.ndarray, actual_up: np.ndarray, level: float = 0.99) -> Accuracy:
    """Accuracy, hits, calls, exact two-sided p-value against 50 %, and the random guesser's band."""
    n = len(actual_up)
    hits = int(np.sum(np.asarray(calls_up, bool) == np.asarray(actual_up, bool)))
    low, high = stats.random_band(n, level)
    return Accuracy(hits / n if n else math.nan, hits, n, stats.binomial_p_value(hits, n), [low, high])


def _risk(pnl: np.ndarray, opts: Options) -> Risk:
    z = stats.z_for(opts.confidence)
    return Risk(
        total=float(np.sum(pnl)),
        mean_daily=float(np.mean(pnl)) if len(pnl) else math.nan,
        blocks=stats.summarize_blocks(stats.block_sums(pnl, opts.horizon), z),
        rolling_blocks=stats.summarize_blocks(stats.rolling_sums(pnl, opts.horizon), z),
        max_drawdown=stats.max_drawdown(pnl),
        sharpe=stats.sharpe_ratio(pnl),
    )


def calls_tail_entry(port: Series, opts: Options) -> CallsTail | None:
    """Following the calls, from history: the rolling ``horizon``-day loss quantile, its expected shortfall and the
    worst window, as fractions of equity at the configured leverage (``fxbot.risk.tail_loss``, equity 1)."""
    from fxbot.risk import tail_loss

    sums = stats.rolling_sums(port.pnl, opts.horizon)
    days = port.dates.to_numpy().astype("datetime64[D]")
    tail = tail_loss(
        sums, opts.confidence, days[: len(sums)], days[opts.horizon - 1 :], days=opts.horizon, source="calls"
    )
    if tail is None:
        return None
    return CallsTail(**msgspec.structs.asdict(tail), gross_leverage=float(sum(opts.leverage.values())))


def pair_rollover_pnl(calls: PairCalls, direction: np.ndarray, opts: Options, leverage: float) -> np.ndarray:
    """Rollover of each day's position as a fraction of equity; NaN where a rate (or the next day's date) is unknown."""
    if opts.rates is None or calls.next_dates is None:
        return np.full(len(calls.dates), np.nan)
    pair = get_pair(calls.pair)
    return pair_rollover(
        opts.rates,
        pair.base,
        pair.quote,
        stats.tranche_positions(direction, calls.horizon),
        calls.dates.to_numpy(),
        calls.next_dates.to_numpy(),
        opts.rollover_markup,
        leverage,
    )


def pair_pnl(
    calls: PairCalls, direction: np.ndarray, opts: Options, leverage: float, charge: stats.CostRule | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Daily P/L net of the pair's cost, with rollover where rates exist; and the rollover (NaN: no rates).

    A call with a target ``calls.horizon`` days ahead is held that many days, in overlapping
    tranches (``stats.tranche_positions``): a 5-day call earns the 5 days it forecasts, not one.
    """
    price = stats.daily_pnl(
        direction,
        calls.close,
        calls.next_close,
        leverage,
        opts.cost_pips[calls.pair],
        opts.pip_size[calls.pair],
        charge or opts.charge,
        calls.horizon,
    )
    roll = pair_rollover_pnl(calls, direction, opts, leverage)
    return price + np.where(np.isnan(roll), 0.0, roll), roll


def _rollover_entry(roll: np.ndarray, dates: pd.DatetimeIndex) -> Rollover:
    missing = np.isnan(roll)
    months = sorted({d.strftime("%Y-%m") for d in dates[missing]})
    return Rollover(float(np.nansum(roll)), int(np.sum(~missing)), int(np.sum(missing)), months)


def analyze_pair(calls: PairCalls, opts: Options) -> tuple[PairMetrics, Series]:
    """Every figure of one pair."""
    actual = calls.actual_up
    vote_up = calls.vote_up
    direction = np.where(vote_up, 1.0, -1.0)
    leverage = opts.leverage[calls.pair]
    pnl, roll = pair_pnl(calls, direction, opts, leverage)
    other_rule: stats.CostRule = "on_change" if opts.charge == "every_day" else "every_day"
    pnl_other, _ = pair_pnl(calls, direction, opts, leverage, other_rule)
    gross = stats.daily_pnl(direction, calls.close, calls.next_close, leverage, 0.0, 1.0, horizon=calls.horizon)
    buy_pnl, buy_roll = pair_pnl(calls, np.ones(len(direction)), opts, leverage, "on_change")
    baselines = {
        "always_buy": always_buy(len(actual)),
        "repeat_yesterday": repeat_yesterday(calls.close, calls.prev_close),
        "logistic": calls.logistic_probs > 0.5,
    }
    other_total = {f"pnl_total_cost_{other_rule}": float(np.sum(pnl_other))}
    metrics = PairMetrics(
        pair=calls.pair,
        first_day=calls.dates[0].date().isoformat() if len(calls.dates) else None,
        last_day=calls.dates[-1].date().isoformat() if len(calls.dates) else None,
        leverage=leverage,
        cost_pips=opts.cost_pips[calls.pair],
        target_days=calls.horizon,
        vote=accuracy_entry(vote_up, actual, opts.band_level),
        members=[accuracy_entry(calls.member_probs[:, j] > 0.5, actual) for j in range(calls.member_probs.shape[1])],
        baselines={name: accuracy_entry(up, actual, opts.band_level) for name, up in baselines.items()},
        share_up_days=float(np.mean(actual)) if len(actual) else math.nan,
        pnl=_risk(pnl, opts),
        pnl_gross_total=float(np.sum(gross)),
        rollover=_rollover_entry(roll, calls.dates),
        # Always-buy held as one position (cost once), carry included: the drift-and-carry benchmark.
        always_buy_pnl=AlwaysBuyPnl(float(np.sum(buy_pnl)), stats.sharpe_ratio(buy_pnl), float(np.nansum(buy_roll))),
        direction_changes=int(np.sum(direction[1:] != direction[:-1])),
        **other_total,
    )
    return metrics, Series(calls.dates, pnl, (vote_up == actual).astype(float))


def portfolio_pnl(pair_series: dict[str, Series]) -> Series:
    """Sum of the pairs' daily P/L on the union of their days."""
    frame = pd.DataFrame({pair: pd.Series(s.pnl, index=s.dates) for pair, s in pair_series.items()}).fillna(0.0)
    return Series(pd.DatetimeIndex(frame.index), frame.sum(axis=1).to_numpy())


def _comparison(result: WalkForwardResult, opts: Options) -> Comparison | None:
    first, last = (pd.Timestamp(d) for d in ORIGINAL_WINDOW)
    covered = [c for c in result.calls.values() if len(c.dates) and c.dates[0] <= first + pd.Timedelta(days=7)]
    if not covered or any(c.dates[-1] < last - pd.Timedelta(days=7) for c in covered):
        return None  # the run does not span the original window: no like-for-like comparison
    pairs: dict[str, Accuracy] = {}
    all_up, all_actual = [], []
    for c in covered:
        mask = (c.dates >= first) & (c.dates <= last)
        up, actual = c.vote_up[mask], c.actual_up[mask]
        pairs[c.pair] = accuracy_entry(up, actual, opts.band_level)
        all_up.append(up)
        all_actual.append(actual)
    return Comparison(
        list(ORIGINAL_WINDOW),
        ORIGINAL,
        pairs,
        accuracy_entry(np.concatenate(all_up), np.concatenate(all_actual), opts.band_level),
        list(stats.random_band(ORIGINAL.calls, opts.band_level)),
    )


def analyze(result: WalkForwardResult, opts: Options) -> Analysis:
    """metrics.json (per pair, portfolio, correlation, comparison with the original) and chart series."""
    pairs: dict[str, PairMetrics] = {}
    series: dict[str, Series] = {}
    for pair, calls in result.calls.items():
        pairs[pair], series[pair] = analyze_pair(calls, opts)
    port = portfolio_pnl(series)
    hits = np.concatenate([s.hits for s in series.values() if s.hits is not None])
    ups = np.concatenate([c.vote_up for c in result.calls.values()])
    actual = np.concatenate([c.actual_up for c in result.calls.values()])
    aligned = pd.DataFrame({p: pd.Series(s.pnl, index=s.dates) for p, s in series.items()}).dropna()
    names = list(aligned.columns)
    corr = stats.correlation_matrix(aligned.to_numpy()) if len(names) > 1 else np.ones((1, 1))
    risk = _risk(port.pnl, opts)
    risk.tail = calls_tail_entry(port, opts)
    rates = {c: opts.rates.coverage(c) for c in sorted(opts.rates.rates)} if opts.rates is not None else None
    metrics = Metrics(
        generated=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        options=OptionsRecord(
            leverage=opts.leverage,
            cost_pips=opts.cost_pips,
            cost_charged=opts.charge,
            rollover_markup=opts.rollover_markup,
            rates=rates,
            horizon_days=opts.horizon,
            confidence=opts.confidence,
            z=stats.z_for(opts.confidence),
            random_band_level=opts.band_level,
        ),
        periods=[PeriodRecord(p.label, p.start.isoformat(), p.end.isoformat()) for p in result.periods],
        pairs=pairs,
        portfolio=Portfolio(accuracy_entry(ups, actual, opts.band_level), int(hits.sum()), risk, len(port.pnl)),
        correlation=Correlation(names, corr.tolist()),
        comparison_2013_2017=_comparison(result, opts),
        walk_forward=WalkForwardRecord(round(result.seconds, 1), result.workers, result.executor, result.training),
        variant=VariantRecord(
            result.variant.name,
            result.variant.features,
            result.variant.target,
            result.variant.horizon,
            result.variant.units,
            result.selection,
        ),
        headline=headline(pairs, ups, actual, port.pnl),
    )
    series["portfolio"] = port
    return Analysis(metrics, series, stats.block_sums(port.pnl, opts.horizon))


def headline(pairs: dict[str, PairMetrics], ups: np.ndarray, actual: np.ndarray, pnl: np.ndarray) -> Headline:
    """The figures a trial is recorded with: pooled accuracy, always-buy on the same calls, Sharpe, calls."""
    calls = len(actual)
    buy = float(np.mean(actual)) if calls else math.nan
    acc = float(np.mean(ups == actual)) if calls else math.nan
    per_pair = {p: PairHeadline(m.vote.accuracy, m.baselines["always_buy"].accuracy) for p, m in pairs.items()}
    return Headline(acc, buy, acc - buy, stats.sharpe_ratio(pnl), calls, per_pair)
