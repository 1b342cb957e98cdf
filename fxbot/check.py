"""`fxbot check`: everything a deployment needs, tried without posting anything.

- the config (loaded before this runs: a file that does not load never gets here);
- the data provider, and with OANDA one small candles request (the token and the host);
- write access to the data, models and ledger directories (a temporary file, created and removed);
- each pair's data, and every model member loaded with the configured engine and run once on the
  pair's live window;
- the schedule, and Slack's auth.test and conversations.info (never a post);
- with SLACK_APP_TOKEN, `fxbot slack-app`'s token (apps.connections.open) and its rendered answers
  against Block Kit's limits (``fxbot.slack_app.check``).

A configuration problem makes the exit code 2 whatever else is found, and then no line says
"config: ok".
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fxbot import wiring
from fxbot.calendar import last_completed_trading_day, trading_days_between
from fxbot.config import Secrets, Settings
from fxbot.data.freshness import last_bar_day, store_file
from fxbot.errors import ConfigError, DeliveryError, FxbotError
from fxbot.model.artifacts import read_manifest

if TYPE_CHECKING:
    from fxbot.data.bars import Bars
    from fxbot.model.artifacts import Manifest

logger = logging.getLogger(__name__)

#: How far back the OANDA probe asks for candles: a week always holds trading days.
PROBE_DAYS = 7


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


def run_checks(
    settings: Settings, secrets: Secrets, now: dt.datetime | None = None, *, config_source: str | None = None
) -> CheckResult:
    """Check everything a daily run needs; Slack is called (auth.test, conversations.info) but not posted to.

    ``config_source`` names the file the settings came from (None: the built-in defaults).
    """
    now = now or dt.datetime.now(dt.UTC)
    result = CheckResult()
    check_provider(settings, secrets, result, now)
    check_directories(settings, result)
    check_data_and_models(settings, result, now, run_members=True)
    from fxbot.status import check_model_age  # here: status imports this module

    check_model_age(settings, result, now.date())  # the same verdict and day count as `fxbot status`
    try:
        from fxbot.cron import cron_trigger

        fire = cron_trigger(settings.schedule).get_next_fire_time(None, now)
        result.lines.append(f"schedule: {settings.schedule.cron!r} {settings.schedule.timezone}; next run {fire}")
        weekly = settings.schedule.summary_cron
        if weekly.strip():
            fire = cron_trigger(settings.schedule, weekly, "schedule.summary_cron").get_next_fire_time(None, now)
            result.lines.append(f"schedule: weekly summary {weekly!r}; next {fire}")
        else:
            result.lines.append("schedule: no weekly summary (schedule.summary_cron is empty)")
    except FxbotError as exc:
        result.problem(f"schedule: {exc}", exc.exit_code)
    try:
        notifier = wiring.slack_notifier(settings, secrets)
        if notifier is None:
            result.lines.append("slack: no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL; calls go to the console only")
        else:
            result.lines.extend(notifier.check())
    except DeliveryError as exc:
        result.problem(f"slack: {exc}", exc.exit_code)
    except FxbotError as exc:
        result.problem(f"slack: {exc}", exc.exit_code)
    check_slack_app(settings, secrets, result)
    source = config_source or "built-in defaults"
    if result.config_problem:
        # The file loaded, but a setting is wrong for this machine: the config is the first thing to fix.
        result.exit_code = ConfigError.exit_code
        result.lines.insert(0, f"config: {source} loaded, but a setting is wrong: see the PROBLEM line(s)")
    else:
        result.lines.insert(0, f"config: ok ({source})")
    return result


def check_slack_app(settings: Settings, secrets: Secrets, result: CheckResult) -> None:
    """With SLACK_APP_TOKEN: the app-level token and the answers of `fxbot slack-app` (nothing posted)."""
    if secrets.slack_app_token is None:
        return  # the app is optional: say nothing about it unless it is set up
    if secrets.slack_bot_token is None:
        result.problem("slack app: SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not; the app needs both", 2)
        return
    from fxbot.slack_app.app import allow_list_warning
    from fxbot.slack_app.check import check_app_token, sample_problems

    warning = allow_list_warning(settings.slack_app)
    if warning is not None:
        result.lines.append(f"slack app: WARNING {warning}")

    try:
        result.lines.append(
            check_app_token(wiring.slack_web_client(settings, secrets), secrets.slack_app_token.get_secret_value())
        )
    except FxbotError as exc:
        result.problem(f"slack app: {exc}", exc.exit_code)
    try:
        count, problems = sample_problems(settings)
    except FxbotError as exc:
        result.problem(f"slack app: the answers could not be rendered: {exc}", exc.exit_code)
        return
    for problem in problems:
        result.problem(f"slack app: {problem}", 1)
    if not problems:
        result.lines.append(
            f"slack app: {count} rendered answers fit Block Kit's limits (checked here: Slack has no public "
            "method that validates blocks without posting)"
        )


def check_provider(settings: Settings, secrets: Secrets, result: CheckResult, now: dt.datetime) -> None:
    """The active data provider; with OANDA, one candles request tries the token and the host."""
    from fxbot.data.providers import choose_provider, describe_provider

    try:
        result.lines.extend(describe_provider(settings.data, secrets))
        if choose_provider(settings.data, secrets).name != "oanda":
            return
        pair = settings.pairs[0]
        since = now.date() - dt.timedelta(days=PROBE_DAYS)
        bars = wiring.provider(settings, secrets).fetch(pair, since)
    except FxbotError as exc:
        result.problem(f"data provider: {exc}", exc.exit_code)
        return
    result.lines.append(
        f"data provider: oanda token and host ok ({len(bars)} daily bar(s) of {pair} since {since.isoformat()})"
    )


def write_problem(directory: Path) -> str | None:
    """Why fxbot cannot create a file in ``directory``, or None if it can.

    A directory that does not exist yet is judged by the nearest existing one above it, which the
    first run will create it in; nothing is created here but a temporary file, removed at once.
    """
    target = directory
    while not target.exists() and target.parent != target:
        target = target.parent
    if not target.is_dir():
        return f"{target} is not a directory"
    try:
        handle, name = tempfile.mkstemp(prefix=".fxbot-check-", dir=target)
    except OSError as exc:
        return f"cannot create a file in {target}: {exc.strerror or type(exc).__name__}"
    os.close(handle)
    try:
        os.unlink(name)
    except OSError as exc:
        return f"cannot remove a file from {target}: {exc.strerror or type(exc).__name__}"
    return None


def check_directories(settings: Settings, result: CheckResult) -> None:
    """Write access to the data, models and ledger directories (exit 3 naming the one that fails)."""
    ledger = settings.ledger.path
    for key, directory, who in (
        ("data.dir", settings.data.dir, "`fxbot fetch` and `fxbot import-csv` write bars there"),
        ("model.dir", settings.model.dir, "`fxbot train` writes models there"),
        ("ledger.path", ledger.parent, "every run records its calls and deliveries there"),
    ):
        problem = write_problem(directory)
        if problem:
            result.problem(
                f"{key}: directory {directory} is not writable ({problem}); {who}: give the user running fxbot "
                f"write access to it or point {key} elsewhere",
                3,
            )
        elif key == "ledger.path":
            result.lines.append(f"ledger: {ledger}" + ("" if ledger.exists() else " (created by the first run)"))
        else:
            result.lines.append(f"{key}: {directory} writable")


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
                bars = wiring.store(settings).load(code)
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
            folder = wiring.registry(settings).champion_folder(code)
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

    Returns the manifest and what was done, for the model line. numpy and the engine are imported
    here only: `fxbot status` shares this module and reads manifests alone.
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
