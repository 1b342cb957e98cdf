"""run_summary: the weekly summary run (`fxbot summary`, and the daemon's Friday job in a child process).

Bars are loaded once, the ledger's open calls are scored against them, the scored calls go to the
pure builder (``fxbot.summary``) and the summary to every notifier that takes one, exactly once per
week and channel: the same ledger mechanism as the daily post (intent, look in the channel, sent),
keyed on the week's Friday with the destination ``weekly:<channel>``, under a lease. A failure is
alerted like a failed daily run and re-raised (exit 4 for Slack). A dry run prints the summary and
posts nothing (it still scores outcomes in an existing ledger, as `fxbot history` does; it never
creates one).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import msgspec

from fxbot.calendar import last_completed_trading_day, next_trading_day
from fxbot.config import Settings
from fxbot.data.store import PriceStore
from fxbot.errors import DataError, UsageError
from fxbot.ledger import Ledger, NullLedger
from fxbot.notify.base import Notifier
from fxbot.notify.console import ConsoleNotifier
from fxbot.notify.manager import NotifierManager
from fxbot.risk import exceedances
from fxbot.summary import WeeklyRisk, WeeklySummary, build_weekly_summary, week_bounds

logger = logging.getLogger(__name__)

LEASE_WAIT_SECONDS = 120.0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SummaryDependencies(msgspec.Struct):
    """What a summary run talks to."""

    store: PriceStore
    ledger: Ledger | NullLedger = msgspec.field(default_factory=NullLedger)
    notifiers: list[Notifier] = msgspec.field(default_factory=list)
    now: Callable[[], dt.datetime] = _utc_now


class SummaryOptions(msgspec.Struct, frozen=True):
    """Switches of `fxbot summary`."""

    week: dt.date | None = None  # any day of the week; None: the newest week that has closed
    dry_run: bool = False
    force: bool = False
    lease_wait: float = LEASE_WAIT_SECONDS


def week_closed(friday: dt.date, last_closed: dt.date) -> bool:
    """True if no trading day of the week to ``friday`` is still to close after ``last_closed``."""
    return last_closed >= friday or next_trading_day(last_closed) > friday


def latest_closed_week(last_closed: dt.date) -> dt.date:
    """A day of the newest week whose every trading day has closed (this week once Friday has closed)."""
    _, friday = week_bounds(last_closed)
    return last_closed if week_closed(friday, last_closed) else friday - dt.timedelta(days=7)


def build_summary(settings: Settings, deps: SummaryDependencies, week_of: dt.date, *, score: bool) -> WeeklySummary:
    """The summary of ``week_of``'s week from the ledger (its open calls scored first when ``score``)."""
    if score:
        deps.ledger.update_outcomes({code: deps.store.load_or_empty(code) for code in settings.pairs})
    _, friday = week_bounds(week_of)
    rates = None
    try:
        from fxbot.backtest.rollover import load_rates

        rates = load_rates(settings.backtest.rates_dir)
    except DataError as exc:
        logger.warning("the weekly P/L leaves rollover out: %s", exc)
    summary = build_weekly_summary(
        deps.ledger.scored_calls(friday),
        week_of,
        pairs=settings.pairs,
        leverage={code: settings.leverage_for(code) for code in settings.pairs},
        equity_jpy=settings.account.equity_jpy,
        cost_pips={code: settings.backtest.cost_for(code) for code in settings.pairs},
        rates=rates,
        rollover_markup=settings.backtest.rollover_markup,
    )
    return msgspec.structs.replace(summary, risk=weekly_risk(deps.ledger, friday))


def weekly_risk(ledger: Ledger | NullLedger, friday: dt.date) -> WeeklyRisk | None:
    """The last post's loss from history up to ``friday``, and the scored days' 1-day exceedances (Kupiec)."""
    book = ledger.book_risk(until=friday)
    if book is None or book.loss_20d_jpy is None:
        return None
    shown = [
        (b.loss_1d_jpy, -pnl) for b, pnl in ledger.var_record() if b.loss_1d_jpy is not None and b.bar_date <= friday
    ]
    x, n, p_value = exceedances([loss for _, loss in shown], [figure for figure, _ in shown])
    return WeeklyRisk(book.loss_20d_jpy, book.worst_20d_jpy, book.worst_start, book.worst_end, n, x, p_value)


def run_summary(settings: Settings, deps: SummaryDependencies, options: SummaryOptions) -> WeeklySummary:
    """One weekly summary: printed with ``dry_run``, else delivered once per week and channel."""
    last_closed = last_completed_trading_day(deps.now())
    week_of = options.week or latest_closed_week(last_closed)
    _, friday = week_bounds(week_of)
    if options.dry_run:
        has_ledger = isinstance(deps.ledger, Ledger) and deps.ledger.path.exists()
        source = deps if has_ledger else SummaryDependencies(deps.store, NullLedger(), deps.notifiers, deps.now)
        summary = build_summary(settings, source, week_of, score=has_ledger)
        ConsoleNotifier(locale=settings.notify.locale).send_summary(summary)
        return summary
    if not week_closed(friday, last_closed):
        raise UsageError(
            f"the week to {friday.isoformat()} has not closed yet (the last closed trading day is "
            f"{last_closed.isoformat()}); add --dry-run to look at it so far"
        )
    manager = NotifierManager(deps.notifiers, deps.ledger)
    try:
        summary = build_summary(settings, deps, week_of, score=True)
        with manager.leases(friday, options.lease_wait, weekly=True):
            manager.deliver_summary(summary, force=options.force)
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        manager.alert(f"fxbot weekly summary failed (week to {friday.isoformat()}): {error}")
        raise
    return summary
