"""run_once: the daily run (bars -> windows -> ensembles -> vote -> sizing -> report -> notifiers).

Everything it touches arrives in ``Dependencies`` (built by ``fxbot.wiring``); nothing is hidden in
globals, so tests and the scheduler's child process build their own. The as-of day is resolved
once, the bars are loaded once (after the fetch), and staleness is a fact on the report.

With a ledger, a run is recorded (start, end, status, error), its calls are stored, earlier calls
are scored against the bars that followed them, and delivery is exactly once per (as-of day,
channel) (``fxbot.notify.manager``). Without one (``NullLedger``) nothing is recorded. A run that
fails for any reason sends a short alert before it re-raises.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from fxbot.calendar import last_completed_trading_day, next_trading_day, trading_days_between
from fxbot.config import Settings
from fxbot.data.bars import Bars
from fxbot.data.store import PriceStore
from fxbot.errors import DataError, FxbotError, LedgerError, ModelError, ProviderError, StaleDataError, UsageError
from fxbot.features import live_window, min_bars
from fxbot.ledger import Ledger, NullLedger
from fxbot.model.ensemble import Ensemble
from fxbot.notify.base import Notifier
from fxbot.notify.console import ConsoleNotifier
from fxbot.notify.manager import NotifierManager
from fxbot.notify.messages import warning_text
from fxbot.outcome import OUTCOME_PREFIX, DayOutcome
from fxbot.pairs import get_pair
from fxbot.portfolio import size_position
from fxbot.risk import aligned_closes, pair_risk, portfolio_risk, scaled_tail
from fxbot.signals import Evidence, PairSignal, PortfolioRisk, Report, Staleness, VersusBuy, model_age

if TYPE_CHECKING:
    from fxbot.data.fetch import FetchReport
    from fxbot.model.registry import Registry, VersionInfo

logger = logging.getLogger(__name__)

# How long a run waits for another live run that is delivering the same day to the same place.
LEASE_WAIT_SECONDS = 120.0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Dependencies(msgspec.Struct):
    """What a run talks to."""

    store: PriceStore
    load_ensemble: Callable[[str], Ensemble]
    notifiers: list[Notifier] = msgspec.field(default_factory=list)
    now: Callable[[], dt.datetime] = _utc_now
    ledger: Ledger | NullLedger = msgspec.field(default_factory=NullLedger)
    # Brings the store up to date before the run (`run-once` without --no-fetch); None: never fetch.
    fetch: Callable[[], FetchReport] | None = None
    # The walk-forward evidence stored with a pair's models (``fxbot.model.evidence``); None: none shown.
    load_evidence: Callable[[str], Evidence | None] | None = None
    # The model registry: challengers make shadow calls, the gate judges them (None: no lifecycle).
    registry: Registry | None = None


class RunOptions(msgspec.Struct, frozen=True):
    """Switches of `fxbot run-once`."""

    as_of: dt.date | None = None
    dry_run: bool = False
    force: bool = False  # post even if the day was posted (and allow a past --as-of)
    fetch: bool = True
    replay: bool = False  # allow a past --as-of to post, marked as a replay (exactly once still holds)
    lease_wait: float = LEASE_WAIT_SECONDS


def run_once(settings: Settings, deps: Dependencies, options: RunOptions) -> Report:
    """One daily run. With ``dry_run`` the calls are only printed; stale data never get delivered."""
    as_of = resolve_as_of(options.as_of, deps.now)
    replay = is_replay(as_of, deps.now)
    kind = "replay" if replay else "live"  # what the ledger marks this run's calls: replays never count as live
    if replay and not (options.dry_run or options.force or options.replay):
        raise UsageError(
            f"--as-of {as_of.isoformat()} is a past day: its calls are a replay, not news. Add --dry-run to look "
            "without posting, or --replay to post them marked as a replay (--force also re-posts a posted day)"
        )
    if options.dry_run:  # posts nothing and records nothing (fetching still updates the store)
        fetch_warning = fetch_first(deps, settings.notify.locale) if options.fetch else None
        bars = load_bars(settings, deps.store)
        report = build_report(settings, deps, bars, as_of, explicit=options.as_of)
        report = _with_warning(report, fetch_warning)
        ConsoleNotifier(locale=settings.notify.locale).send_report(report)
        return report
    ledger = deps.ledger
    manager = NotifierManager(deps.notifiers, ledger)
    run_id: int | None = None
    try:
        run_id = ledger.start_run(as_of)
        fetch_warning = fetch_first(deps, settings.notify.locale) if options.fetch else None
        bars = load_bars(settings, deps.store)
        ledger.update_outcomes(bars)
        report = _with_warning(build_report(settings, deps, bars, as_of, explicit=options.as_of), fetch_warning)
        if report.staleness is not None:
            raise StaleDataError(report.staleness.message + (f" ({fetch_warning})" if fetch_warning else ""))
        if replay:
            report = _with_warning(report, replay_warning(as_of, deps.now, settings.notify.locale))
        with manager.leases(as_of, options.lease_wait):  # a second live run waits, then finds the day delivered
            ledger.record_signals(run_id, report, kind)
            record = ledger.track_record(20, known_by=report.as_of)
            if record is not None:
                report = msgspec.structs.replace(report, track=record, track_record=str(record))
            report = with_live_record(report, ledger)
            for flag in rollback_flags(settings, ledger, report):
                report = _with_warning(report, flag)
            if not replay:  # a channel without threads reads earlier days' outcomes in this post
                report = msgspec.structs.replace(report, outcomes=unthreaded_outcomes(deps, as_of))
            result = manager.deliver(report, run_id=run_id, force=options.force)
            record_outcomes(deps, report, run_id, replay=replay)
    except BaseException as exc:
        error = str(exc) or type(exc).__name__
        if run_id is not None:
            try:
                ledger.finish_run(run_id, "failed", error)
            except LedgerError as ledger_exc:  # the alert below matters more than the record
                logger.error("%s", ledger_exc)
        if isinstance(exc, Exception):
            prefix = "fxbot did not post calls" if isinstance(exc, StaleDataError) else "fxbot run failed"
            manager.alert(f"{prefix} (as of {as_of.isoformat()}): {error}")  # a notifier that fails logs it
        raise
    ledger.finish_run(run_id, "skipped" if result.skipped and not result.posted else "ok")
    if not replay:  # after the post: each earlier post's outcome in its thread, once; never for a replay
        try:
            manager.deliver_outcomes(as_of, as_of - dt.timedelta(days=OUTCOME_DAYS), run_id=run_id)
        except Exception:  # the day's calls are out; an outcome left due is replied by the next run
            logger.exception("the outcome replies failed")
    try:  # after the post: a challenger's shadow call or the gate never delays or fails the day's calls
        shadow_and_gate(settings, deps, manager, bars, as_of, run_id, kind)
    except Exception as exc:
        logger.exception("shadow calls / promotion gate failed")
        manager.alert(f"fxbot: the challenger's shadow calls or the promotion gate failed (the champion stays): {exc}")
    return report


#: A post's outcome is replied only while it is news: posts older than this (calendar days) are left alone,
#: so a ledger from before this feature, or a long outage, does not flood old threads.
OUTCOME_DAYS = 10


def _unthreaded(deps: Dependencies) -> list[Notifier]:
    """The notifiers with a ledger destination that cannot reply in a thread (an incoming webhook)."""
    return [n for n in deps.notifiers if n.destination and not n.threads_replies]


def unthreaded_outcomes(deps: Dependencies, as_of: dt.date) -> list[DayOutcome]:
    """The earlier posted days whose outcome a channel without threads has not read yet (its next post carries it)."""
    since = as_of - dt.timedelta(days=OUTCOME_DAYS)
    for notifier in _unthreaded(deps):
        return deps.ledger.outcomes_due(str(notifier.destination), as_of, since)
    return []


def record_outcomes(deps: Dependencies, report: Report, run_id: int | None, *, replay: bool) -> None:
    """After the day's delivery: a replay's post gets no outcome, ever (recorded as skipped); a post that carried
    earlier outcomes as compact lines records them delivered, like a thread reply."""
    ledger = deps.ledger
    for notifier in deps.notifiers:
        destination = notifier.destination
        if not destination:
            continue
        if replay:
            ledger.skip_outcome(report.as_of, destination, "a replay: its outcome is not news")
            continue
        delivered = ledger.latest_delivery(report.as_of, destination)
        if not report.outcomes or notifier not in _unthreaded(deps) or delivered is None or delivered.status != "sent":
            continue
        for outcome in report.outcomes:
            key = OUTCOME_PREFIX + destination
            ledger.mark_sent(ledger.begin_delivery(run_id, outcome.as_of, key, notifier.name), None)


def with_live_record(report: Report, ledger: Ledger | NullLedger) -> Report:
    """``report`` marked worse than always-buy if every scored live call so far (pooled across pairs, clustered
    by day: ``fxbot.versus``) is significantly worse (two-sided p < 0.05); the post then says so."""
    if isinstance(ledger, NullLedger):
        return report
    from fxbot.versus import clustered_versus, worse

    live = clustered_versus(ledger.live_calls(report.as_of), "live")
    return msgspec.structs.replace(report, worse=live) if worse(live) else report


def walk_forward_worse(signals: list[PairSignal]) -> VersusBuy | None:
    """The stored walk-forward evidence (pooled) if it is significantly worse than always-buy, else None."""
    from fxbot.versus import versus_from_difference, worse

    e = next((s.evidence for s in signals if s.evidence is not None), None)
    if e is None or e.pooled_difference is None or e.pooled_difference_se is None:
        return None
    record = versus_from_difference(
        "walk-forward",
        e.pooled_calls,
        e.pooled_accuracy,
        e.pooled_always_buy_accuracy,
        e.pooled_difference,
        e.pooled_difference_se,
    )
    return record if worse(record) else None


def rollback_flags(settings: Settings, ledger: Ledger | NullLedger, report: Report) -> list[str]:
    """A warning per pair whose champion's last ``lifecycle.rollback_calls`` scored calls trail always-buy
    by more than the random band. A flag only: the champion is never swapped automatically."""
    if isinstance(ledger, NullLedger):
        return []
    from fxbot.model.gate import rollback_flag

    out = []
    last = settings.lifecycle.rollback_calls
    for s in report.signals:
        record = ledger.live_record(s.pair.code, s.model_version, last, report.as_of)
        if len(record) < last:
            continue
        flag = rollback_flag([r for r, _ in record], [u for _, u in record])
        if flag is not None:
            out.append(
                warning_text(
                    "rollback",
                    settings.notify.locale,
                    pair=s.pair.code,
                    version=s.model_version,
                    acc=f"{flag.accuracy:.1%}",
                    n=flag.n,
                    buy=f"{flag.always_buy:.1%}",
                    band=f"{flag.band:.1%}",
                )
            )
    return out


def shadow_and_gate(
    settings: Settings,
    deps: Dependencies,
    manager: NotifierManager,
    bars_by_pair: dict[str, Bars],
    as_of: dt.date,
    run_id: int | None,
    kind: str = "live",
) -> None:
    """Each challenger's call for ``as_of`` (recorded as a shadow call of ``kind``, never posted); then the gate.

    After ``lifecycle.shadow_days`` scored shadow calls (its trial window) the challenger is compared
    with the champion and always-buy on the same days (``fxbot.model.gate``): promoted
    (``auto_promote``), passed for a person to promote, or retired; the decision and its evidence go
    to the promotions log and out as one short message. A live run's gate reads live calls only; a
    replay's reads the replay's own calls (the lifecycle replayed) and its decision says so.
    """
    registry, ledger = deps.registry, deps.ledger
    if registry is None or isinstance(ledger, NullLedger):
        return
    for code in settings.pairs:
        for challenger in registry.challengers(code):
            try:  # one challenger's broken files never stop the others' shadow calls and gates
                bars = bars_by_pair[code].up_to(as_of)
                shadow_and_judge(settings, deps, manager, bars, as_of, run_id, challenger, kind)
            except FxbotError as exc:
                manager.alert(
                    f"fxbot: the shadow call or gate of challenger {challenger.version} failed (the champion stays; "
                    f"`fxbot models show {challenger.version}`): {exc}"
                )
    send_gate_notices(registry, manager, deps.now(), settings.notify.locale)


def shadow_and_judge(
    settings: Settings,
    deps: Dependencies,
    manager: NotifierManager,
    bars: Bars,
    as_of: dt.date,
    run_id: int | None,
    challenger: VersionInfo,
    kind: str = "live",
) -> None:
    """One challenger's shadow call for ``as_of``, and the gate once it has enough scored calls."""
    from fxbot.model.gate import decision_alpha, gate_figures, judge
    from fxbot.model.holdback import HOLDBACK_SHA256, bound_holdback
    from fxbot.model.registry import Entry

    registry, ledger, lifecycle, code = deps.registry, deps.ledger, settings.lifecycle, challenger.pair
    if registry is None or isinstance(ledger, NullLedger):  # shadow_and_gate runs this only with both
        return

    def load(pair: str, folder: Path = challenger.folder) -> Ensemble:
        return Ensemble(folder, settings.model.engine, min_members=settings.training.members, pair=pair)

    signal = pair_signal(settings, msgspec.structs.replace(deps, load_ensemble=load), code, bars, as_of)
    ledger.record_shadow(run_id, as_of, signal, kind)
    # Only the days whose outcome the challenger did not train on (a replayed or stale day may be earlier).
    out_of_sample = dt.date.fromisoformat(challenger.manifest.train_end)
    record = ledger.shadow_record(code, challenger.version, as_of, since=out_of_sample, kind=kind)
    if len(record) < lifecycle.shadow_days:
        logger.info(
            "%s: challenger %s has %d of %d scored shadow calls",
            code,
            challenger.version,
            len(record),
            lifecycle.shadow_days,
        )
        return
    champion = registry.champion(code)
    held_back, unreadable, ignored = None, "", ""
    if lifecycle.holdback_months:
        try:  # only the file whose sha256 the retrain recorded: an edited or forged one is ignored
            held_back, ignored = bound_holdback(
                challenger.folder, registry.added_with(challenger.version, HOLDBACK_SHA256)
            )
        except ModelError as exc:  # its evidence is damaged: retired, decided once (no daily alert loop)
            unreadable = str(exc)
    if held_back is not None and held_back.champion != champion:  # judged against another champion then
        held_back = held_back.without_champion()
    alpha = decision_alpha(lifecycle.alpha_per_year, lifecycle.decisions_per_year)
    decision = judge(
        [r[0] for r in record],
        [r[1] for r in record],
        [r[2] for r in record],
        alpha,
        held_back=held_back,
        held_back_missing=ignored,
    )
    if unreadable:
        reason = f"has a held-back walk-forward that cannot be read ({unreadable}); the next retrain makes a new one"
        missing = "the held-back walk-forward cannot be read"
        decision = msgspec.structs.replace(decision, promote=False, reason=reason, held_back_missing=missing)
    now = deps.now().astimezone(dt.UTC).replace(microsecond=0).isoformat()
    promote = decision.promote and lifecycle.auto_promote
    action: Literal["promote", "passed", "retire"] = (
        "promote" if promote else ("passed" if decision.promote else "retire")
    )
    if promote:
        verdict = f"promoted {challenger.version} (was {champion}): it {decision.reason}"
    elif decision.promote:
        verdict = f"passes; lifecycle.auto_promote is off: `fxbot models promote {challenger.version}` promotes it"
    else:
        verdict = f"retired {challenger.version}, the champion {champion} stays: the challenger {decision.reason}"
    replayed = ", a replay: replayed calls only" if kind != "live" else ""
    head = f"model gate {code} (as of {as_of.isoformat()}{replayed}), challenger {challenger.version}: {verdict}"
    # The notice is part of the decision's log line (one append): a run killed before it is sent
    # leaves it to the next run (``send_gate_notices``), never lost. The evidence is bound to the decision:
    # the sha256 of the shadow record it read (and of the held-back file, as recorded at retrain).
    binding = {
        "kind": kind,
        "shadow_sha256": record_sha256(challenger.version, as_of, record),
        HOLDBACK_SHA256: registry.added_with(challenger.version, HOLDBACK_SHA256) if held_back is not None else None,
    }
    evidence = {**decision.evidence(), **binding, NOTICE_KEY: f"{head}. Evidence: {gate_figures(decision)}"}
    entry = Entry(now, code, action, champion, challenger.version, "schedule", evidence)
    if not registry.decide(entry, promote=promote):
        logger.info("%s: challenger %s was decided by another run meanwhile", code, challenger.version)


def record_sha256(version: str, known_by: dt.date, record: list[tuple[bool, bool, bool]]) -> str:
    """The sha256 of the shadow record a decision read (challenger right, champion right, up per day), with
    the version and the day it was known by: recomputed from the ledger, it must match the decision's."""
    import hashlib
    import json

    payload = json.dumps([version, known_by.isoformat(), [[int(a), int(b), int(c)] for a, b, c in record]])
    return hashlib.sha256(payload.encode()).hexdigest()


#: The promotions-log evidence key that holds a gate decision's notice; the ledger records it sent.
NOTICE_KEY = "notice"
#: Gate decisions older than this are not announced any more (a new, empty ledger does not replay old news).
NOTICE_DAYS = 14


def send_gate_notices(registry: Registry, manager: NotifierManager, now: dt.datetime, locale: str = "en") -> None:
    """Send each recent gate decision's notice to every notifier that has not had it (``manager.notice``).

    At least once per notifier: a run killed after its decision, or a clear refusal, leaves it to the
    next run; a run killed between the sending and its record sends it again. An uncertain answer is
    not re-sent (Slack may have posted it).
    """
    from fxbot.model.gate_text import gate_notice

    since = (now.astimezone(dt.UTC) - dt.timedelta(days=NOTICE_DAYS)).isoformat()
    for entry in registry.history():
        text = entry.evidence.get(NOTICE_KEY)
        if entry.by == "schedule" and isinstance(text, str) and entry.at >= since:
            manager.notice(gate_notice(entry, text, locale), key=f"gate:{entry.pair}:{entry.to_version}")


def is_replay(as_of: dt.date, now: Callable[[], dt.datetime]) -> bool:
    """True if ``as_of`` is before the last completed trading day: its calls are history, not news."""
    return as_of < last_completed_trading_day(now())


def replay_warning(as_of: dt.date, now: Callable[[], dt.datetime], locale: str = "en") -> str:
    """The line every replayed post carries."""
    return warning_text("replay", locale, as_of=as_of.isoformat(), today=now().date().isoformat())


def resolve_as_of(as_of: dt.date | None, now: Callable[[], dt.datetime]) -> dt.date:
    """The day the calls are made after: ``--as-of``, else the last completed trading day.

    An ``--as-of`` after the last completed trading day is refused: its close has not happened, so
    no call can be "after" it (the bars would silently be older ones).
    """
    last = last_completed_trading_day(now())
    if as_of is not None and as_of > last:
        raise UsageError(
            f"--as-of {as_of.isoformat()} is after the last completed trading day ({last.isoformat()}, New York "
            "17:00 close); give a past day, or leave --as-of out for today's calls"
        )
    return as_of if as_of is not None else last


def fetch_first(deps: Dependencies, locale: str = "en") -> str | None:
    """Run ``deps.fetch`` if there is one; a provider failure becomes a warning (the stale check decides)."""
    if deps.fetch is None:
        return None
    try:
        for line in deps.fetch().lines():
            logger.info("fetch: %s", line)
    except ProviderError as exc:
        logger.warning("fetch failed: %s", exc)
        return warning_text("fetch", locale, error=exc)
    return None


def load_bars(settings: Settings, price_store: PriceStore) -> dict[str, Bars]:
    """Every configured pair's stored bars, loaded (and so validated, the whole file) once per run."""
    return {code: price_store.load(code) for code in settings.pairs}


def build_report(
    settings: Settings,
    deps: Dependencies,
    bars_by_pair: dict[str, Bars],
    as_of: dt.date,
    *,
    explicit: dt.date | None = None,
) -> Report:
    """Make each pair's call from its bars up to ``as_of``; ``explicit`` is the --as-of the user gave, if any."""
    signals = [pair_signal(settings, deps, code, bars_by_pair[code].up_to(as_of), as_of) for code in settings.pairs]
    signals = [with_risk_and_evidence(settings, deps, s, bars_by_pair[s.pair.code].up_to(as_of)) for s in signals]
    warnings: list[str] = []
    staleness = find_staleness(signals, as_of, settings.data.max_staleness_days, replay=explicit is not None)
    locale = settings.notify.locale
    if staleness is not None:
        warnings.append(stale_warning(staleness, as_of, len(signals), replay=explicit is not None, locale=locale))
    age = model_age(signals, as_of, settings.lifecycle.max_model_age_days)
    if age is not None and age.too_old:
        figures = {"days": age.age_days, "trained_to": age.trained_to.isoformat(), "limit": age.limit_days}
        on_trial = (
            [c.version for code in settings.pairs for c in deps.registry.challengers(code)] if deps.registry else []
        )
        if on_trial:  # retraining has been done: say so, rather than ask for it again
            versions = ", ".join(on_trial)
            shadow_days = settings.lifecycle.shadow_days
            warnings.append(
                warning_text("model_age_trial", locale, versions=versions, shadow_days=shadow_days, **figures)
            )
        else:
            warnings.append(warning_text("model_age", locale, **figures))
    in_sample = [s.pair.code for s in signals if s.in_sample]
    if in_sample:
        warnings.append(warning_text("in_sample", locale, pairs=", ".join(in_sample)))
    return Report(
        as_of=as_of,
        signals=signals,
        warnings=warnings,
        staleness=staleness,
        portfolio_risk=book_risk(settings, signals, bars_by_pair),
        model_age=age,
        worse=walk_forward_worse(signals),
    )


def with_risk_and_evidence(settings: Settings, deps: Dependencies, signal: PairSignal, bars: Bars) -> PairSignal:
    """``signal`` with its 1-day loss and holding window (from ``bars``, already loaded) and its models' evidence."""
    risk = pair_risk(
        bars.dates,
        bars.close,
        exposure(signal),
        signal.bar_date,
        signal.for_day,
        settings.notify.risk.vol_window_days,
    )
    evidence = deps.load_evidence(signal.pair.code) if deps.load_evidence is not None else None
    return msgspec.structs.replace(signal, risk=risk, evidence=evidence)


def exposure(signal: PairSignal) -> float:
    """The call's signed notional in JPY: + for a BUY, - for a SELL."""
    sign = 1.0 if signal.vote.direction.value == "BUY" else -1.0
    return sign * signal.position.notional_jpy


def book_risk(settings: Settings, signals: list[PairSignal], bars_by_pair: dict[str, Bars]) -> PortfolioRisk:
    """Today's book from the pairs' joint history up to each call's bar (already loaded), and following the
    calls in the walk-forward (the first pair's stored evidence) at today's gross leverage."""
    history = [bars_by_pair[s.pair.code].up_to(s.bar_date) for s in signals]
    dates, closes = aligned_closes([(b.dates, b.close) for b in history])
    equity = settings.account.equity_jpy
    exposures = [exposure(s) for s in signals]
    gross = sum(abs(e) for e in exposures) / equity
    source = next((s.evidence for s in signals if s.evidence is not None and s.evidence.calls_tail is not None), None)
    calls = None
    if source is not None and source.calls_tail is not None and source.gross_leverage:
        calls = scaled_tail(source.calls_tail, gross / source.gross_leverage * equity)
    return portfolio_risk(dates, closes, exposures, equity, calls=calls, budget=settings.notify.risk.budget)


def pair_signal(settings: Settings, deps: Dependencies, code: str, bars: Bars, as_of: dt.date) -> PairSignal:
    """One pair's sized call from its bars up to ``as_of``."""
    if len(bars) < min_bars():
        raise DataError(
            f"{code}: only {len(bars)} bars up to {as_of.isoformat()}, need {min_bars()}; "
            "choose a later --as-of or import more history"
        )
    ensemble = deps.load_ensemble(code)
    try:
        manifest = ensemble.manifest
        decision = ensemble.predict(live_window(bars, manifest.scaler, manifest.window))
    finally:
        ensemble.close()
    close = float(bars.close[-1])
    position = size_position(decision.direction, settings.leverage_for(code), settings.account.equity_jpy, close)
    bar_day = bars.last_date
    # The model saw the next day's move of this bar while training: a replay, not a forecast.
    in_sample = bar_day.isoformat() < manifest.train_end
    return PairSignal(
        get_pair(code),
        bar_day,
        close,
        decision,
        position,
        manifest.version,
        in_sample=in_sample,
        trained_to=dt.date.fromisoformat(manifest.train_end),
    )


def find_staleness(signals: list[PairSignal], as_of: dt.date, allowed: int, *, replay: bool) -> Staleness | None:
    """The pairs whose last bar lags ``as_of`` by more than ``allowed`` trading days, judged per pair.

    One pair brought up to date must not make the others' old calls look fresh.
    """
    stale = [s for s in signals if trading_days_between(s.bar_date, as_of) > allowed]
    if not stale:
        return None
    oldest = min(s.bar_date for s in stale)
    staleness = Staleness(tuple(s.pair.code for s in stale), oldest, trading_days_between(oldest, as_of), "")
    message = stale_warning(staleness, as_of, len(signals), replay=replay, locale="en")
    return msgspec.structs.replace(staleness, message=message)


def stale_warning(staleness: Staleness, as_of: dt.date, pairs: int, *, replay: bool, locale: str) -> str:
    """The stale-data warning of a post in ``locale`` (the English one is also the error's message)."""
    which = (
        "" if len(staleness.pairs) == pairs else warning_text("stale_which", locale, pairs=", ".join(staleness.pairs))
    )
    return warning_text(
        "stale",
        locale,
        which=which,
        oldest=staleness.oldest_bar.isoformat(),
        as_of=as_of.isoformat(),
        lag=staleness.lag_days,
        for_day=next_trading_day(staleness.oldest_bar).isoformat(),
        hint="" if replay else warning_text("stale_hint", locale),
    )


def _with_warning(report: Report, warning: str | None) -> Report:
    return report if warning is None else msgspec.structs.replace(report, warnings=[*report.warnings, warning])
