"""run_once: the daily run (bars -> windows -> ensembles -> vote -> sizing -> report -> notifiers).

Everything it touches arrives in ``Dependencies``; nothing is hidden in globals, so tests and the
scheduler's child process build their own. With a ledger, a run is recorded (start, end, status,
error), its calls are stored, earlier calls are scored against the bars that followed them, and
delivery is exactly once per (as-of day, channel) (``fxbot.notify.manager``). A run that fails for
any reason sends a short alert before it re-raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from fxbot.calendar import last_completed_trading_day, next_trading_day, trading_days_between
from fxbot.config import Secrets, Settings
from fxbot.data.store import PriceStore
from fxbot.errors import DataError, ProviderError, StaleDataError
from fxbot.features import live_window, min_bars
from fxbot.ledger import Ledger
from fxbot.model.ensemble import Ensemble
from fxbot.notify.base import Notifier
from fxbot.notify.console import ConsoleNotifier
from fxbot.notify.manager import NotifierManager
from fxbot.pairs import get_pair
from fxbot.portfolio import size_position
from fxbot.signals import PairSignal, Report

if TYPE_CHECKING:
    from fxbot.data.fetch import FetchReport

logger = logging.getLogger(__name__)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Dependencies:
    """What a run talks to."""

    store: PriceStore
    load_ensemble: Callable[[str], Ensemble]
    notifiers: list[Notifier] = field(default_factory=list)
    now: Callable[[], dt.datetime] = _utc_now
    ledger: Ledger | None = None
    # Brings the store up to date before the run (`run-once` without --no-fetch); None: never fetch.
    fetch: Callable[[], FetchReport] | None = None


def default_dependencies(settings: Settings, secrets: Secrets | None = None) -> Dependencies:
    """The production wiring: store, models, ledger, the console and Slack if a credential is set.

    HTTP libraries are imported only when something will use them: no Slack credential, no
    slack_sdk; the bundled provider, no requests (a few hundred ms of the daily run's start-up).
    """
    from fxbot.data.source import provider_name

    secrets = secrets or Secrets.from_env()
    engine = settings.model.engine
    model_dir = settings.model.dir
    store = PriceStore(settings.data.dir)
    ledger = Ledger(settings.ledger.path)
    chart = None
    if settings.notify.slack.chart:
        from fxbot.notify.chart import chart_source

        chart = chart_source(store.load, ledger.recent_calls)
    notifiers: list[Notifier] = [ConsoleNotifier()]
    if secrets.slack_bot_token is not None or secrets.slack_webhook_url is not None:
        from fxbot.notify.slack import slack_notifier

        slack = slack_notifier(settings, secrets, chart=chart)
        if slack is not None:
            notifiers.append(slack)
    fetch: Callable[[], FetchReport] | None = None
    if provider_name(settings.data, secrets)[0] != "bundled":

        def fetch() -> FetchReport:
            from fxbot.data.fetch import fetch_for_settings

            return fetch_for_settings(settings, store)

    return Dependencies(
        store=store,
        load_ensemble=lambda pair: Ensemble(model_dir / pair, engine),
        notifiers=notifiers,
        ledger=ledger,
        fetch=fetch,
    )


@dataclass(frozen=True)
class RunOptions:
    """Switches of `fxbot run-once`."""

    as_of: dt.date | None = None
    dry_run: bool = False
    force: bool = False
    fetch: bool = True


def bars_up_to(bars: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Bars labelled ``day`` or earlier: what the bot knew after that day's close."""
    return bars.loc[bars.index <= pd.Timestamp(day)]


def build_report(settings: Settings, deps: Dependencies, as_of: dt.date | None = None) -> Report:
    """Make each pair's call from bars up to ``as_of`` (default: the last completed trading day)."""
    explicit = as_of is not None
    target = as_of if as_of is not None else last_completed_trading_day(deps.now())
    signals: list[PairSignal] = []
    warnings: list[str] = []
    in_sample: list[str] = []
    for code in settings.pairs:
        pair = get_pair(code)
        bars = bars_up_to(deps.store.load(code), target)
        if len(bars) < min_bars():
            raise DataError(
                f"{code}: only {len(bars)} bars up to {target.isoformat()}, need {min_bars()}; "
                "choose a later --as-of or import more history"
            )
        ensemble = deps.load_ensemble(code)
        try:
            manifest = ensemble.manifest
            window = live_window(bars, manifest.scaler, manifest.window)
            decision = ensemble.predict(window)
        finally:
            ensemble.close()
        bar_day = bars.index[-1].date()
        close = float(bars["close"].iloc[-1])
        position = size_position(decision.direction, settings.leverage_for(code), settings.account.equity_jpy, close)
        signals.append(PairSignal(pair, bar_day, close, decision, position, manifest.version))
        if bar_day.isoformat() < manifest.train_end:
            # The model saw the next day's move of this bar while training: a replay, not a forecast.
            in_sample.append(code)
    if in_sample:
        warnings.append(
            f"{', '.join(in_sample)}: the models were trained on these days' outcomes, so the calls are in-sample "
            "replays, not forecasts; `fxbot backtest` gives honest figures"
        )
    # Judged per pair: one pair brought up to date must not make the others' old calls look fresh.
    stale = [s for s in signals if trading_days_between(s.bar_date, target) > settings.data.max_staleness_days]
    if stale:
        oldest = min(s.bar_date for s in stale)
        lag = trading_days_between(oldest, target)
        note = (
            ""
            if explicit
            else " Run `fxbot fetch` (needs a data provider) or `fxbot import-csv` to bring them up to date."
        )
        which = "" if len(stale) == len(signals) else f" for {', '.join(s.pair.code for s in stale)}"
        warnings.insert(
            0,
            f"the data are stale{which}: the last bar is {oldest.isoformat()}, {lag} trading day(s) before "
            f"{target.isoformat()}; these calls are for {next_trading_day(oldest).isoformat()}, "
            f"not for the next trading day.{note}",
        )
    return Report(as_of=target, signals=signals, warnings=warnings)


def is_stale(report: Report, settings: Settings) -> bool:
    """True if any pair's last bar lags the report's as-of day by more than allowed."""
    allowed = settings.data.max_staleness_days
    return any(trading_days_between(s.bar_date, report.as_of) > allowed for s in report.signals)


def update_outcomes(settings: Settings, deps: Dependencies) -> int:
    """Score the ledger's open calls against the stored bars; returns how many were scored."""
    if deps.ledger is None:
        return 0
    bars = {}
    for code in settings.pairs:
        try:
            bars[code] = deps.store.load_or_empty(code)
        except DataError as exc:  # the run itself reports bad data; scoring just waits
            logger.warning("cannot score %s's calls: %s", code, exc)
    return deps.ledger.update_outcomes(bars)


def fetch_first(deps: Dependencies) -> str | None:
    """Run ``deps.fetch`` if there is one; a provider failure becomes a warning (the stale check decides)."""
    if deps.fetch is None:
        return None
    try:
        for line in deps.fetch().lines():
            logger.info("fetch: %s", line)
    except ProviderError as exc:
        logger.warning("fetch failed: %s", exc)
        return f"fetching new bars failed, the calls use the stored bars: {exc}"
    return None


def run_once(settings: Settings, deps: Dependencies, options: RunOptions) -> Report:
    """One daily run. With ``dry_run`` the calls are only printed; stale data never get delivered."""
    if options.dry_run:  # posts nothing and records nothing (fetching still updates the store)
        fetch_warning = fetch_first(deps) if options.fetch else None
        report = build_report(settings, deps, options.as_of)
        if fetch_warning:
            report.warnings.append(fetch_warning)
        ConsoleNotifier().send_report(report)
        return report
    ledger = deps.ledger
    manager = NotifierManager(deps.notifiers, ledger)
    target = options.as_of or last_completed_trading_day(deps.now())
    run_id = ledger.start_run(target) if ledger is not None else None
    try:
        fetch_warning = fetch_first(deps) if options.fetch else None
        update_outcomes(settings, deps)
        report = build_report(settings, deps, options.as_of)
        if fetch_warning:
            report.warnings.append(fetch_warning)
        if is_stale(report, settings):
            raise StaleDataError(report.warnings[0] + (f" ({fetch_warning})" if fetch_warning else ""))
        if ledger is not None and run_id is not None:
            ledger.record_signals(run_id, report)
            record = ledger.track_record(20, known_by=report.as_of)
            report = dataclasses.replace(report, track=record, track_record=str(record))
        result = manager.deliver(report, run_id=run_id, force=options.force)
    except BaseException as exc:
        error = str(exc) or type(exc).__name__
        if ledger is not None and run_id is not None:
            ledger.finish_run(run_id, "failed", error)
        if isinstance(exc, Exception):
            prefix = "fxbot did not post calls" if isinstance(exc, StaleDataError) else "fxbot run failed"
            if not manager.alert(f"{prefix} (as of {target.isoformat()}): {error}"):
                logger.error("the failure alert could not be delivered everywhere either")
        raise
    if ledger is not None and run_id is not None:
        ledger.finish_run(run_id, "skipped" if result.skipped and not result.posted else "ok")
    return report
