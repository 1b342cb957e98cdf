"""`fxbot check`: everything a deployment needs, tried without posting anything.

- the config (loaded before this runs: a file that does not load never gets here);
- the data provider, and with OANDA one small candles request (the token and the host);
- write access to the data, models and ledger directories (a temporary file, created and removed);
- each pair's data, and every model member loaded with the configured engine and run once on the
  pair's live window, and the champions' age (the local checks of ``fxbot.status``, made thorough);
- the schedule, and Slack's auth.test and conversations.info (never a post);
- with SLACK_APP_TOKEN, `fxbot slack-app`'s token (apps.connections.open) and its rendered answers
  against Block Kit's limits (``fxbot.slack_app.check``).

A configuration problem makes the exit code 2 whatever else is found, and then no line says
"config: ok". The adapters it tries (provider, Slack clients, store, registry) come from
``fxbot.sources``, as the composition root's do.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from fxbot import sources
from fxbot.calendar import last_completed_trading_day
from fxbot.config import Secrets, Settings
from fxbot.errors import ConfigError, DeliveryError, FxbotError
from fxbot.status import CheckResult, check_data_and_models, check_model_age

logger = logging.getLogger(__name__)

#: How far back the OANDA probe asks for candles: a week always holds trading days.
PROBE_DAYS = 7


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
    # the same verdict and day count as `fxbot status` and the post: counted to the last completed trading day
    check_model_age(settings, result, last_completed_trading_day(now))
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
        notifier = sources.slack_notifier(settings, secrets)
        if notifier is None:
            result.lines.append("slack: no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL; calls go to the console only")
        else:
            result.lines.extend(notifier.check())
    except DeliveryError as exc:
        result.problem(f"slack: {exc}", exc.exit_code)
    except FxbotError as exc:
        result.problem(f"slack: {exc}", exc.exit_code)
    check_slack_app(settings, secrets, result)
    check_charts(settings, result)
    source = config_source or "built-in defaults"
    if result.config_problem:
        # The file loaded, but a setting is wrong for this machine: the config is the first thing to fix.
        result.exit_code = ConfigError.exit_code
        result.lines.insert(0, f"config: {source} loaded, but a setting is wrong: see the PROBLEM line(s)")
    else:
        result.lines.insert(0, f"config: ok ({source})")
    return result


def check_charts(settings: Settings, result: CheckResult) -> None:
    """A chart that is asked for needs matplotlib, the ``charts`` extra: say so before a run finds out."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is not None:
        return
    if settings.notify.slack.chart:
        from fxbot.notify.chart import NO_MATPLOTLIB

        result.problem(f"charts: {NO_MATPLOTLIB}", 2)
    if settings.site.dir:
        from fxbot.site import NO_MATPLOTLIB as NO_MATPLOTLIB_SITE

        result.problem(f"charts: site.dir is set, but {NO_MATPLOTLIB_SITE} (or leave site.dir empty)", 2)


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
            check_app_token(sources.slack_web_client(settings, secrets), secrets.slack_app_token.get_secret_value())
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
        bars = sources.provider(settings, secrets).fetch(pair, since)
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
