"""`fxbot status`: last run, next scheduled run, data freshness, model versions, ledger health.

Reads only local state (no network, posts nothing), so it is cheap enough for a health check. Its
local checks (each pair's data and model, the model age) are `fxbot check`'s too (``fxbot.check``
adds the network, the directories and Slack to them); the Slack app's status answer and App Home
show these same lines.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fxbot import sources
from fxbot.calendar import last_completed_trading_day, trading_days_between
from fxbot.config import Settings
from fxbot.cron import cron_trigger
from fxbot.data.freshness import last_bar_day, store_file
from fxbot.errors import ConfigError, FxbotError
from fxbot.model.artifacts import read_manifest
from fxbot.signals import ModelAge

if TYPE_CHECKING:
    from fxbot.data.bars import Bars
    from fxbot.model.artifacts import Manifest


class CheckResult(msgspec.Struct):
    """The lines to print and the exit code (the worst problem found)."""

    lines: list[str] = msgspec.field(default_factory=list)
    exit_code: int = 0
    config_problem: bool = False  # a problem with exit code 2 was found

    def problem(self, line: str, code: int) -> None:
        """Record a failed check."""
        self.lines.append(f"PROBLEM {line}")
        self.exit_code = max(self.exit_code, code)
        self.config_problem = self.config_problem or code == ConfigError.exit_code


def status_report(settings: Settings, now: dt.datetime | None = None) -> CheckResult:
    """The status lines; the exit code is the worst problem found (3 stale data or models, 2 config)."""
    now = now or dt.datetime.now(dt.UTC)
    result = CheckResult()
    path = settings.ledger.path
    if not path.exists():
        result.lines.append(f"last run: none yet (no ledger at {path})")
    else:
        ledger = sources.ledger(settings)
        try:
            runs = ledger.runs(1)
            if runs:
                run = runs[0]
                detail = f": {run['error']}" if run["error"] else ""
                result.lines.append(f"last run: {run['started_at']} as of {run['as_of']}, {run['status']}{detail}")
            else:
                result.lines.append("last run: none yet")
            health = ledger.health()
            line = (
                f"ledger: {path}: {health['integrity']}, {health['runs']} runs ({health['failed']} failed), "
                f"{health['pending']} unconfirmed deliveries"
            )
            if health["integrity"] != "ok":
                result.problem(f"{line}; restore the ledger from a backup", 3)
            else:
                result.lines.append(line)
        except (sqlite3.Error, FxbotError) as exc:
            result.problem(f"ledger: {path}: {exc}", 3)
        finally:
            ledger.close()
    try:
        fire = cron_trigger(settings.schedule).get_next_fire_time(None, now)
        when = fire.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if fire else "never"
        result.lines.append(f"next scheduled run: {when} ({settings.schedule.cron!r} {settings.schedule.timezone})")
    except FxbotError as exc:
        result.problem(f"schedule: {exc}", exc.exit_code)
    check_data_and_models(settings, result, now, whole_files=False)
    check_model_age(settings, result, last_completed_trading_day(now))
    check_rollback_flags(settings, result, now.date())
    check_live_record(settings, result, now.date())
    return result


def check_live_record(settings: Settings, result: CheckResult, today: dt.date) -> None:
    """Exit 3 with a line when every scored live call so far, pooled across pairs and clustered by day, is
    significantly worse than always-buy on the same calls (two-sided p < 0.05: ``fxbot.versus``)."""
    if not settings.ledger.path.exists():
        return
    from fxbot.versus import LEVEL, clustered_versus, worse

    ledger = sources.ledger(settings)
    try:
        live = clustered_versus(ledger.live_calls(today), "live")
    except (FxbotError, sqlite3.Error):
        return  # reported on the ledger line
    finally:
        ledger.close()
    if live is not None and worse(live):
        result.problem(
            f"live record: worse than always-buy: {live.accuracy:.1%} of {live.calls} live calls right, always-buy "
            f"{live.always_buy:.1%} on the same calls (two-sided p {live.p_value:.3f} < {LEVEL}, clustered by day "
            f"over {live.dates} days); the post says so. Following these models has cost against simply buying",
            3,
        )


def check_rollback_flags(settings: Settings, result: CheckResult, today: dt.date) -> None:
    """Exit 3 with a line per pair whose champion's latest calls trail always-buy beyond the random band."""
    if not settings.ledger.path.exists():
        return
    from fxbot.model.artifacts import read_manifest
    from fxbot.model.gate import rollback_flag

    registry, ledger, last = sources.registry(settings), sources.ledger(settings), settings.lifecycle.rollback_calls
    try:
        for code in settings.pairs:
            try:
                version = read_manifest(registry.champion_folder(code), pair=code).version
                record = ledger.live_record(code, version, last, today)
            except (FxbotError, sqlite3.Error):
                continue  # reported on the model and ledger lines
            flag = rollback_flag([r for r, _ in record], [u for _, u in record]) if len(record) >= last else None
            if flag is not None:
                result.problem(
                    f"rollback flag: {code}: the champion {version} got {flag.accuracy:.1%} of its last {flag.n} calls "
                    f"right, always-buy {flag.always_buy:.1%} (random band ±{flag.band:.1%}); "
                    f"`fxbot models rollback {code}` restores the previous one",
                    3,
                )
    finally:
        ledger.close()


def check_model_age(settings: Settings, result: CheckResult, today: dt.date) -> None:
    """One line with the champions' training end and age; exit 3 past ``lifecycle.max_model_age_days``.

    ``today`` is the last completed trading day, the day the post's calls are made after, so `status`,
    `check` and the post count the same days at any hour (a Sunday's `status` said 2 days more).
    """
    from fxbot.model.artifacts import read_manifest

    registry = sources.registry(settings)
    ends: dict[str, dt.date] = {}
    for code in settings.pairs:
        try:
            manifest = read_manifest(registry.champion_folder(code), pair=code)
        except FxbotError:  # already reported on the model line
            continue
        ends[code] = dt.date.fromisoformat(manifest.train_end)
    if not ends:
        return
    oldest = min(ends.values())
    age = ModelAge(oldest, max(0, (today - oldest).days), settings.lifecycle.max_model_age_days)
    trained = ", ".join(f"{code} {end.isoformat()}" for code, end in ends.items())
    line = f"model age: trained to {trained}; the oldest is {age.age_days} days old"
    if age.too_old:
        result.problem(f"{line}, past lifecycle.max_model_age_days ({age.limit_days}): {age.fix}", 3)
    else:
        result.lines.append(f"{line} (limit {age.limit_days})")
    for code in ends:
        for challenger in registry.challengers(code):
            result.lines.append(
                f"challenger: {challenger.version} trained to {challenger.manifest.train_end}, on trial: the daily "
                f"runs make its shadow calls and the gate decides after {settings.lifecycle.shadow_days} scored ones"
            )


def check_data_and_models(
    settings: Settings,
    result: CheckResult,
    now: dt.datetime | None = None,
    *,
    whole_files: bool = True,
    run_members: bool = False,
) -> None:
    """Add each pair's data freshness and model version to ``result`` (no network).

    ``whole_files``: parse and validate every bar (`fxbot check`); otherwise only the last bar, and
    count the rest (`fxbot status`, a health check that runs often). ``run_members``: load every
    member with ``model.engine`` and run it once on the pair's live window (`fxbot check`);
    otherwise only the manifest is read and checked.
    """
    due = last_completed_trading_day(now or dt.datetime.now(dt.UTC))
    for code in settings.pairs:
        bars = None
        try:
            if whole_files:
                bars = sources.store(settings).load(code)
                count, last = len(bars), bars.last_date
            else:
                last, count = last_bar_day(store_file(settings.data.dir, code))
            lag = trading_days_between(last, due)
            line = f"data: {code}: {count} bars, last {last.isoformat()}"
            if lag > settings.data.max_staleness_days:
                result.problem(f"{line}, {lag} trading day(s) behind {due.isoformat()} (stale)", 3)
            else:
                result.lines.append(f"{line}, up to date")
        except FxbotError as exc:
            result.problem(f"data: {exc}", exc.exit_code)
        try:
            folder = sources.registry(settings).champion_folder(code)
            if run_members:
                manifest, ran = _run_members(settings, folder, bars, code)
            else:
                manifest, ran = read_manifest(folder, min_members=settings.training.members, pair=code), ""
            result.lines.append(
                f"model: {code}: {manifest.version}, {len(manifest.members)} members, "
                f"trained to {manifest.train_end}{_age(manifest.train_end, due)}{ran}"
            )
        except FxbotError as exc:
            result.problem(f"model: {exc}", exc.exit_code)


def _age(train_end: str, due: dt.date) -> str:
    """`` (N trading days ago)``: how far the training data end lies behind the last completed trading day."""
    try:
        days = trading_days_between(dt.date.fromisoformat(train_end), due)
    except ValueError:  # a manifest checked elsewhere; an odd date only loses the age
        return ""
    return f" ({days} trading day{'s' if days != 1 else ''} ago)" if days > 0 else " (up to date)"


def _run_members(settings: Settings, folder: Path, bars: Bars | None, pair: str) -> tuple[Manifest, str]:
    """Load every member of ``folder`` and run each once on the live window of ``bars`` (if usable).

    Returns the manifest and what was done, for the model line (`fxbot check`'s). numpy and the engine
    are imported here only: `fxbot status` reads manifests alone.
    """
    from fxbot.features import live_window, min_bars
    from fxbot.model.ensemble import Ensemble

    ensemble = Ensemble(folder, settings.model.engine, min_members=settings.training.members, pair=pair)
    try:
        manifest = ensemble.manifest
        if bars is None or len(bars) < min_bars(manifest.window):
            return manifest, f"; all loaded ({settings.model.engine}), none run: no usable bars"
        probabilities = ensemble.member_probabilities(live_window(bars, manifest.scaler, manifest.window))
    finally:
        ensemble.close()
    return manifest, (
        f"; all loaded ({settings.model.engine}) and run on {bars.last_date.isoformat()}: "
        f"P(up) {min(probabilities):.3f}..{max(probabilities):.3f}"
    )
