"""The composition root: assembles the adapters (``fxbot.sources``: store, registry, ledger, provider,
Slack) with the notifiers, the chart source, the pinger and the metrics into what each command runs.

The commands (``fxbot.commands``) get their daily run, daemon, Slack app and adapters here; nothing
below this module imports it, and nothing below it reads the environment (the CLI reads ``Secrets``
once and passes them in). The adapters it assembles are built in ``fxbot.sources`` (and named here
too, as ``wiring.store`` and so on), so a report below it (`fxbot status`, the Slack app's answers)
opens the ledger there instead of looking up the composition root.

Imports are made inside the functions, so each command loads only what it uses: the daemon
(``build_daemon``) never imports numpy, a model loader or the daily pipeline, and no command
imports slack_sdk or requests unless a Slack credential or a network provider calls for them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fxbot.config import ScheduleSettings, Secrets, Settings
from fxbot.extras import install_hint
from fxbot.sources import ChartSource as ChartSource
from fxbot.sources import evidence_loader as evidence_loader
from fxbot.sources import ledger as ledger
from fxbot.sources import provider as provider
from fxbot.sources import registry as registry
from fxbot.sources import slack_notifier as slack_notifier
from fxbot.sources import slack_web_client as slack_web_client
from fxbot.sources import store as store

if TYPE_CHECKING:
    from fxbot.data.fetch import FetchReport
    from fxbot.data.store import PriceStore
    from fxbot.heartbeat import Pinger
    from fxbot.ledger import Ledger
    from fxbot.metrics import MetricsWriter
    from fxbot.monitor import JobMonitor
    from fxbot.notify.base import Notifier
    from fxbot.pipeline import Dependencies
    from fxbot.scheduler import ChildResult, Daemon
    from fxbot.slack_app.app import SlackApp
    from fxbot.weekly import SummaryDependencies

logger = logging.getLogger(__name__)


def provider_is_network(settings: Settings, secrets: Secrets) -> bool:
    """True if the configured provider fetches over the network (decided without importing requests)."""
    from fxbot.data.source import provider_name

    return provider_name(settings.data, secrets)[0] != "bundled"


def fetcher(settings: Settings, secrets: Secrets, price_store: PriceStore) -> Callable[[], FetchReport] | None:
    """A function that brings ``price_store`` up to date from the configured provider, or None for bundled data."""
    if not provider_is_network(settings, secrets):
        return None

    def fetch() -> FetchReport:
        from fxbot.data.fetch import fetch_for_settings

        return fetch_for_settings(settings, price_store, provider(settings, secrets))

    return fetch


def chart_source(settings: Settings, price_store: PriceStore, the_ledger: Ledger) -> ChartSource | None:
    """The Slack chart maker when ``notify.slack.chart`` is on, else None (matplotlib is then never imported)."""
    if not settings.notify.slack.chart:
        return None
    from fxbot.notify.chart import chart_source as make_chart_source

    colors = (settings.notify.colors.buy, settings.notify.colors.sell)
    return make_chart_source(price_store.load, the_ledger.recent_calls, colors, settings.notify.locale)


def notifiers(settings: Settings, secrets: Secrets, chart: ChartSource | None = None) -> list[Notifier]:
    """The console, and Slack when a credential is set."""
    from fxbot.notify.console import ConsoleNotifier

    out: list[Notifier] = [ConsoleNotifier(locale=settings.notify.locale)]
    slack = slack_notifier(settings, secrets, chart)
    if slack is not None:
        out.append(slack)
    return out


def daily_dependencies(settings: Settings, secrets: Secrets) -> Dependencies:
    """What `fxbot run-once` talks to: store, models, ledger, notifiers and the fetch step."""
    from fxbot.model.ensemble import Ensemble
    from fxbot.pipeline import Dependencies

    price_store = store(settings)
    the_ledger = ledger(settings)
    engine, models = settings.model.engine, registry(settings)
    min_members = settings.training.members
    return Dependencies(
        store=price_store,
        load_ensemble=lambda pair: Ensemble(models.champion_folder(pair), engine, min_members=min_members, pair=pair),
        notifiers=notifiers(settings, secrets, chart_source(settings, price_store, the_ledger)),
        ledger=the_ledger,
        fetch=fetcher(settings, secrets, price_store),
        load_evidence=evidence_loader(models),
        registry=models,
    )


def summary_dependencies(settings: Settings, secrets: Secrets) -> SummaryDependencies:
    """What `fxbot summary` talks to: store, ledger and notifiers (no models, no fetch)."""
    from fxbot.weekly import SummaryDependencies

    return SummaryDependencies(store=store(settings), ledger=ledger(settings), notifiers=notifiers(settings, secrets))


def pinger(settings: Settings, secrets: Secrets) -> Pinger | None:
    """The FXBOT_PING_URL pinger, or None without a URL (urllib is then never imported)."""
    if secrets.ping_url is None:
        return None
    from fxbot.heartbeat import Pinger

    return Pinger(secrets.ping_url, settings.heartbeat.timeout_seconds)


def metrics_writer(settings: Settings) -> MetricsWriter | None:
    """The Prometheus textfile writer of ``metrics.textfile``, or None when it is empty (off)."""
    if not settings.metrics.textfile:
        return None
    from fxbot.metrics import MetricsWriter

    return MetricsWriter(
        Path(settings.metrics.textfile),
        ledger_path=settings.ledger.path,
        data_dir=settings.data.dir,
        pairs=settings.pairs,
    )


def job_monitor(settings: Settings, secrets: Secrets) -> JobMonitor | None:
    """Pings and metrics around a `run-once` that runs on its own; None when neither is configured."""
    ping, metrics = pinger(settings, secrets), metrics_writer(settings)
    if ping is None and metrics is None:
        return None
    from fxbot.monitor import JobMonitor

    return JobMonitor(ping, metrics)


def alerter(settings: Settings, secrets: Secrets) -> Callable[[str], bool]:
    """Sends an alert through the configured notifiers (console, and Slack's error channel); True if all took it.

    The message is redacted first: an alert typed by hand (``fxbot alert``) or quoting a journal
    may hold a secret, which never reaches a channel or the console.
    """
    from fxbot.notify.manager import NotifierManager
    from fxbot.redaction import redact

    manager = NotifierManager(notifiers(settings, secrets), None)
    known = secrets.values()
    return lambda message: manager.alert(redact(message, known))


def build_daemon(settings: Settings, config_path: Path | None, secrets: Secrets, **overrides: Any) -> Daemon:
    """The `fxbot schedule` daemon: alerts through the console and Slack, failures and catch-up via the ledger.

    The ledger is opened for each use and closed again, so the daemon holds no file for months. Signs
    of life: the FXBOT_PING_URL pinger and the metrics writer (each if configured), systemd's notify
    socket (``NOTIFY_SOCKET``, if systemd set one) and the liveness file beside the ledger.
    """
    from fxbot.health import AliveFile, alive_file_for
    from fxbot.notify.manager import NotifierManager
    from fxbot.scheduler import Daemon
    from fxbot.sdnotify import SystemdNotifier

    overrides.setdefault("pinger", pinger(settings, secrets))
    overrides.setdefault("metrics", metrics_writer(settings))
    overrides.setdefault("systemd", SystemdNotifier.from_environ(os.environ))
    overrides.setdefault("alive_file", AliveFile(alive_file_for(settings.ledger.path)))

    manager = NotifierManager(notifiers(settings, secrets), None)
    now: Callable[[], dt.datetime] = overrides.pop("now", lambda: dt.datetime.now(dt.UTC))

    def alert(message: str) -> None:
        if not manager.alert(message):
            logger.error("the alert could not be delivered everywhere: %s", message)

    def record_failure(result: ChildResult, day: dt.date) -> None:
        the_ledger = ledger(settings)
        try:
            the_ledger.abandon_running(day, result.describe())
        finally:
            the_ledger.close()

    def delivered(day: dt.date) -> bool:
        if not settings.ledger.path.exists():
            return False
        the_ledger = ledger(settings)
        try:
            return the_ledger.completed(day)
        finally:
            the_ledger.close()

    def reload_schedule() -> ScheduleSettings:
        from fxbot.config import load_settings

        return load_settings(config_path).schedule

    return Daemon(
        settings.schedule,
        config_path,
        alert=alert,
        record_failure=record_failure,
        delivered=delivered,
        now=now,
        reload_schedule=reload_schedule,
        **overrides,
    )


#: The longest the page's child may take after a run (matplotlib's import and a few charts take a few seconds).
SITE_TIMEOUT_SECONDS = 120.0


def refresh_site(settings: Settings, config: str | None) -> bool:
    """Rewrite the track-record page in ``site.dir`` in a child process (`fxbot site`), after a run's post.

    A child keeps matplotlib (about 0.5 s and 40 MB to import) out of the run and the daemon's memory flat;
    its failure is a warning, never the run's. True if the page was written.
    """
    import subprocess

    from fxbot.child import fxbot_argv

    command = fxbot_argv("site", *(["--config", config] if config else []))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=SITE_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning(
            "the track-record page in %s was not rewritten (%s); the run is not affected", settings.site.dir, exc
        )
        return False
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        logger.warning("the track-record page in %s was not rewritten: %s", settings.site.dir, detail)
        return False
    logger.info("%s", done.stdout.strip())
    return True


def slack_app(settings: Settings, secrets: Secrets) -> SlackApp:
    """The `fxbot slack-app` process: Bolt over Socket Mode with both tokens from ``secrets``.

    slack_bolt is imported here only: no other command loads it.
    """
    from fxbot.errors import ConfigError
    from fxbot.sdnotify import SystemdNotifier
    from fxbot.slack_app.answers import Answers
    from fxbot.slack_app.app import SlackApp

    if secrets.slack_bot_token is None or secrets.slack_app_token is None:
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", secrets.slack_bot_token),
                ("SLACK_APP_TOKEN", secrets.slack_app_token),
            )
            if value is None
        ]
        raise ConfigError(
            f"fxbot slack-app needs {' and '.join(missing)} in the environment: the bot token (xoxb-) answers, "
            "the app-level token (xapp-, connections:write) opens the Socket Mode connection; see docs/slack-app.md"
        )
    import importlib.util

    if importlib.util.find_spec("slack_bolt") is None:  # an extra: the daily path and the daemon never need it
        raise ConfigError(f"fxbot slack-app needs slack_bolt, which is not installed: {install_hint('slack-app')}")
    app_token = secrets.slack_app_token.get_secret_value()
    if not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp-; copy it from Basic Information"
        )
    return SlackApp(
        settings.slack_app,
        Answers(settings),
        slack_web_client(settings, secrets),
        app_token,
        systemd=SystemdNotifier.from_environ(os.environ),
    )
