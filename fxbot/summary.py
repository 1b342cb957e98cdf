"""The weekly summary: a pure builder over the ledger's scored calls, and its chart.

``build_weekly_summary`` takes the calls whose outcome is known (``Ledger.scored_calls``), the week
(any day in it; the key is its Friday) and the money settings, and returns a ``WeeklySummary``: per
pair and pooled, the week's and the running calls, how many were right against the random band
and against always-buy on the same days, P/L in JPY at the configured leverage after the cost per
trade (``backtest.cost_pips``, charged on every call: each is a one-day trade, close to close) and
rollover where the rates are known (``fxbot.backtest.rollover``; where not, it is left out and
the summary says for how many calls), and the drawdown of the running P/L.

A call belongs to the week of its outcome: opened at the close of its bar day, closed at the close
of the next trading day, which falls in Monday-Friday of the week. Numpy only (no pandas, no
scipy): the Slack app's ``/fxbot week`` calls the same builder. Its words are rendered by
``fxbot.notify.messages`` (Slack) and ``fxbot.notify.console``; ``render_chart`` imports matplotlib
when it is called.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from fxbot.pairs import get_pair

if TYPE_CHECKING:
    from fxbot.backtest.rollover import RateTable
    from fxbot.ledger import ScoredCall

POOLED = "ALL"
BAND_LEVEL = 0.99


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """(Monday, Friday) of ``day``'s week; a Saturday or Sunday belongs to the week that just ended."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=4)


def random_band(n: int, level: float = BAND_LEVEL) -> tuple[float, float]:
    """Central ``level`` band of a coin flip's accuracy over ``n`` calls (exact binomial quantiles, no scipy)."""
    if n <= 0:
        return (math.nan, math.nan)
    tail = (1.0 - level) / 2.0
    log_half = n * math.log(0.5)
    cumulative, low, high = 0.0, None, n
    for k in range(n + 1):
        cumulative += math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + log_half)
        if low is None and cumulative >= tail:
            low = k
        if cumulative >= 1.0 - tail:
            high = k
            break
    return ((low or 0) / n, high / n)


class Scope(msgspec.Struct, frozen=True):
    """One pair's (or all pairs') week and running record."""

    name: str  # pair code, or POOLED
    week_calls: int
    week_right: int
    week_always_buy: int  # of the week's calls, how many days closed up
    week_pnl_jpy: float
    calls: int
    right: int
    always_buy: int
    pnl_jpy: float
    max_drawdown_jpy: float  # largest fall of the running P/L from a previous high (>= 0)
    band: tuple[float, float]  # 99 % band of a coin flip's accuracy over ``calls``

    @property
    def accuracy(self) -> float | None:
        """Share of running calls that were right."""
        return self.right / self.calls if self.calls else None

    @property
    def always_buy_accuracy(self) -> float | None:
        """Share of the same days that closed up."""
        return self.always_buy / self.calls if self.calls else None


class WeeklyRisk(msgspec.Struct, frozen=True):
    """The loss from history the week's last post showed, and how the live days' 1-day figures held up."""

    loss_20d_jpy: float
    worst_20d_jpy: float | None
    worst_start: dt.date | None
    worst_end: dt.date | None
    days: int  # scored live days with a recorded 1-day figure, up to the Friday
    exceedances: int
    p_value: float  # Kupiec's proportion-of-failures test at 1 %


class WeeklySummary(msgspec.Struct, frozen=True):
    """Everything the weekly post shows; ``series`` feeds the chart (cumulative P/L per scope by outcome day)."""

    week_start: dt.date
    week_end: dt.date  # the Friday: the key of its delivery
    equity_jpy: float
    leverage: dict[str, float]
    cost_pips: dict[str, float]
    pairs: list[Scope]
    pooled: Scope
    rollover_included: bool  # False: no rate files at all
    calls_without_rates: int  # calls whose rollover is unknown (left out)
    series: dict[str, list[tuple[dt.date, float]]] = msgspec.field(default_factory=dict)
    week_calls: list[tuple[str, dt.date, str]] = msgspec.field(default_factory=list)  # (pair, outcome day, BUY/SELL)
    risk: WeeklyRisk | None = None


def call_pnl(
    calls: Sequence[ScoredCall],
    leverage: float,
    equity_jpy: float,
    cost_pips: float,
    pip_size: float,
    rates: RateTable | None,
    markup: float,
) -> tuple[np.ndarray, np.ndarray]:
    """P/L in JPY of each call (price move x leverage - cost + rollover), and whether its rollover was unknown.

    Same rule as the backtest (``stats.daily_pnl`` with every call charged, plus ``rollover``).
    """
    if not calls:
        return np.zeros(0), np.zeros(0, dtype=bool)
    direction = np.array([1.0 if c.direction == "BUY" else -1.0 for c in calls])
    close = np.array([c.close for c in calls])
    next_close = np.array([c.outcome_close for c in calls])
    price = direction * (next_close / close - 1.0) * leverage - cost_pips * pip_size / close * leverage
    if rates is None:
        roll = np.full(len(calls), np.nan)
    else:
        from fxbot.backtest.rollover import pair_rollover

        pair = get_pair(calls[0].pair)
        roll = pair_rollover(
            rates,
            pair.base,
            pair.quote,
            direction,
            np.array([c.bar_date for c in calls], dtype="datetime64[D]"),
            np.array([c.outcome_day for c in calls], dtype="datetime64[D]"),
            markup,
            leverage,
        )
    unknown = np.isnan(roll)
    pnl: np.ndarray = (price + np.where(unknown, 0.0, roll)) * equity_jpy
    return pnl, unknown


def _drawdown(pnl: np.ndarray) -> float:
    if len(pnl) == 0:
        return 0.0
    equity = np.concatenate([[0.0], np.cumsum(pnl)])
    return float(np.max(np.maximum.accumulate(equity) - equity))


def _scope(name: str, days: np.ndarray, right: np.ndarray, up: np.ndarray, pnl: np.ndarray, week: np.ndarray) -> Scope:
    # The drawdown of the pooled book is on the daily sums (pairs held together), not call by call.
    _, daily = _daily(days, pnl)
    n = len(right)
    return Scope(
        name=name,
        week_calls=int(week.sum()),
        week_right=int(right[week].sum()),
        week_always_buy=int(up[week].sum()),
        week_pnl_jpy=float(pnl[week].sum()),
        calls=n,
        right=int(right.sum()),
        always_buy=int(up.sum()),
        pnl_jpy=float(pnl.sum()),
        max_drawdown_jpy=_drawdown(daily),
        band=random_band(n),
    )


def _daily(days: np.ndarray, pnl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(days) == 0:
        return days, pnl
    unique, inverse = np.unique(days, return_inverse=True)
    sums = np.zeros(len(unique))
    np.add.at(sums, inverse, pnl)
    return unique, sums


def build_weekly_summary(
    calls: Sequence[ScoredCall],
    week_of: dt.date,
    *,
    pairs: Sequence[str],
    leverage: dict[str, float],
    equity_jpy: float,
    cost_pips: dict[str, float],
    rates: RateTable | None = None,
    rollover_markup: float = 0.5,
) -> WeeklySummary:
    """The summary of ``week_of``'s week (Monday-Friday) and of every call up to its Friday. Pure."""
    monday, friday = week_bounds(week_of)
    known = [c for c in calls if c.outcome_day <= friday and c.pair in pairs]
    scopes: list[Scope] = []
    parts: dict[str, list[np.ndarray]] = {"days": [], "right": [], "up": [], "pnl": [], "week": []}
    series: dict[str, list[tuple[dt.date, float]]] = {}
    without_rates = 0
    week_calls: list[tuple[str, dt.date, str]] = []
    for code in pairs:
        mine = sorted((c for c in known if c.pair == code), key=lambda c: c.outcome_day)
        pnl, unknown = call_pnl(
            mine,
            leverage[code],
            equity_jpy,
            cost_pips[code],
            get_pair(code).pip_size,
            rates,
            rollover_markup,
        )
        without_rates += int(unknown.sum()) if rates is not None else 0
        days = np.array([c.outcome_day for c in mine], dtype="datetime64[D]")
        right = np.array([c.right for c in mine], dtype=bool)
        up = np.array([c.move > 0 for c in mine], dtype=bool)
        week = np.array([monday <= c.outcome_day <= friday for c in mine], dtype=bool)
        scopes.append(_scope(code, days, right, up, pnl, week))
        series[code] = [(c.outcome_day, float(v)) for c, v in zip(mine, np.cumsum(pnl), strict=True)]
        week_calls += [(code, c.outcome_day, c.direction) for c in mine if monday <= c.outcome_day <= friday]
        for key, value in (("days", days), ("right", right), ("up", up), ("pnl", pnl), ("week", week)):
            parts[key].append(value)
    joined = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    pooled = _scope(
        POOLED,
        joined["days"].astype("datetime64[D]"),
        joined["right"].astype(bool),
        joined["up"].astype(bool),
        joined["pnl"].astype(float),
        joined["week"].astype(bool),
    )
    pooled_days, pooled_daily = _daily(joined["days"].astype("datetime64[D]"), joined["pnl"].astype(float))
    series[POOLED] = [
        (dt.date.fromisoformat(str(d)), float(v)) for d, v in zip(pooled_days, np.cumsum(pooled_daily), strict=True)
    ]
    return WeeklySummary(
        week_start=monday,
        week_end=friday,
        equity_jpy=equity_jpy,
        leverage={p: leverage[p] for p in pairs},
        cost_pips={p: cost_pips[p] for p in pairs},
        pairs=scopes,
        pooled=pooled,
        rollover_included=rates is not None,
        calls_without_rates=without_rates,
        series=series,
        week_calls=week_calls,
    )


# -- the chart (the summary's words are rendered by fxbot.notify.messages and fxbot.notify.console) ----------


def render_chart(summary: WeeklySummary, colors: tuple[str, str] = ("green", "red"), locale: str = "en") -> bytes:
    """One PNG: the running P/L in JPY per pair and pooled, the week shaded, its calls marked in the BUY/SELL colours.

    Labels are pair names and dates only in Japanese (a server rarely has a Japanese font).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from fxbot.notify.chart import MPL_COLORS

    fig, ax = plt.subplots(figsize=(8, 3.6))
    try:
        for name, points in summary.series.items():
            if not points:
                continue
            days = np.array([d for d, _ in points], dtype="datetime64[D]")
            values = [v for _, v in points]
            pooled = name == POOLED
            label = ("all pairs" if locale == "en" else "ALL") if pooled else get_pair(name).display
            ax.plot(days, values, color="black" if pooled else None, linewidth=2.0 if pooled else 1.0, label=label)
            if not pooled:
                at = dict(points)
                for pair, day, direction in summary.week_calls:
                    if pair == name and day in at:
                        buy = direction == "BUY"
                        ax.scatter(
                            np.array([day], dtype="datetime64[D]"),
                            [at[day]],
                            marker="^" if buy else "v",
                            color=MPL_COLORS[colors[0] if buy else colors[1]],
                            zorder=3,
                        )
        # The week from Monday's open (Friday's close before it) to Friday's close.
        start, end = mdates.date2num([summary.week_start - dt.timedelta(days=3), summary.week_end])  # type: ignore[no-untyped-call]
        ax.axvspan(float(start), float(end), color="0.85", alpha=0.6)
        ax.axhline(0.0, color="0.5", linewidth=0.8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        ax.set_ylabel("JPY")
        title = f"fxbot: running P/L, week to {summary.week_end.isoformat()} shaded" if locale == "en" else None
        ax.set_title(title or f"fxbot {summary.week_start.isoformat()} - {summary.week_end.isoformat()}", fontsize=10)
        fig.autofmt_xdate()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
    finally:
        plt.close(fig)
    return buffer.getvalue()
