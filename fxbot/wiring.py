"""The composition root: the one place that builds the store, the provider, the notifiers, the chart
source and the ledger from the settings and the secrets it is given.

`run-once`, `schedule`, `check`, `status`, `fetch` and `history` get their adapters here; nothing
below this module reads the environment (the CLI reads ``Secrets`` once and passes them in).

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

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from fxbot.data.fetch import FetchReport
    from fxbot.data.providers.base import Provider
    from fxbot.data.store import PriceStore
    from fxbot.heartbeat import Pinger
    from fxbot.ledger import Ledger
    from fxbot.metrics import MetricsWriter
    from fxbot.model.registry import Registry
    from fxbot.monitor import JobMonitor
    from fxbot.notify.base import Notifier
    from fxbot.notify.slack import SlackWebhookNotifier, SlackWebNotifier
    from fxbot.pipeline import Dependencies
    from fxbot.scheduler import ChildResult, Daemon
    from fxbot.signals import Evidence, Report
    from fxbot.slack_app.app import SlackApp
    from fxbot.weekly import SummaryDependencies

logger = logging.getLogger(__name__)

ChartSource = Callable[["Report"], "bytes | None"]


def prepare_state(settings: Settings, *, models: bool = True) -> None:
    """Seed ``state_dir`` from the bundled data and shipped models where it lacks them (first use, upgrades)."""
    from fxbot.state import prepare_state as prepare

    prepare(settings, models=models)


def store(settings: Settings) -> PriceStore:
    """The price store of ``data.dir``."""
    from fxbot.data.store import PriceStore

    return PriceStore(settings.data.dir)


def registry(settings: Settings) -> Registry:
    """The model registry of ``model.dir`` (versions, champion pointers, promotions log)."""
    from fxbot.model.registry import Registry

    return Registry(settings.model.dir, min_members=settings.training.members)


def ledger(settings: Settings) -> Ledger:
    """The ledger at ``ledger.path`` (the file is opened on first use)."""
    from fxbot.ledger import Ledger

    return Ledger(settings.ledger.path)


def provider_is_network(settings: Settings, secrets: Secrets) -> bool:
    """True if the configured provider fetches over the network (decided without importing requests)."""
    from fxbot.data.source import provider_name

    return provider_name(settings.data, secrets)[0] != "bundled"


def provider(settings: Settings, secrets: Secrets) -> Provider:
    """The data provider ``data.provider`` and ``secrets`` select (OANDA's token comes from ``secrets``)."""
    from fxbot.data.providers import make_provider

    return make_provider(settings.data, secrets)


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


def slack_notifier(
    settings: Settings, secrets: Secrets, chart: ChartSource | None = None
) -> SlackWebNotifier | SlackWebhookNotifier | None:
    """The Slack notifier a credential calls for, or None (slack_sdk is imported only with a credential)."""
    if secrets.slack_bot_token is None and secrets.slack_webhook_url is None:
        return None
    from fxbot.notify.slack import slack_notifier as make_slack_notifier

    return make_slack_notifier(settings, secrets, chart=chart)


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


def evidence_loader(models: Registry) -> Callable[[str], Evidence | None]:
    """Reads the walk-forward evidence stored with a pair's champion (``<champion folder>/evidence.json``).

    An unreadable file does not stop the day's calls: it is logged (naming the file and the fix) and
    the post says that no evidence is stored, which claims nothing.
    """
    from fxbot.errors import ModelError
    from fxbot.model.evidence import load_evidence

    def load(pair: str) -> Evidence | None:
        try:
            return load_evidence(models.champion_folder(pair))
        except ModelError as exc:
            logger.warning("%s: the post shows no evidence", exc)
            return None

    return load


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
    import sys

    command = [sys.executable, "-m", "fxbot.cli", "site", *(["--config", config] if config else [])]
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


def slack_web_client(settings: Settings, secrets: Secrets) -> WebClient:
    """A Web API client with the bot token (if set) that follows no redirect, at ``FXBOT_SLACK_API_URL`` or Slack."""
    from fxbot.notify.slack import api_url
    from fxbot.notify.slack.transport import NoRedirectWebClient

    token = secrets.slack_bot_token.get_secret_value() if secrets.slack_bot_token is not None else None
    return NoRedirectWebClient(
        token=token, base_url=api_url(secrets), timeout=max(1, round(settings.notify.slack.timeout_seconds))
    )


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
        raise ConfigError("fxbot slack-app needs slack_bolt, which is not installed: pip install 'fxbot[slack-app]'")
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
