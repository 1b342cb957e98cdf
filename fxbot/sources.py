"""The adapters, each built from the settings (and the secrets it needs): store, registry, ledger, provider, Slack.

These are the leaves of the composition: ``fxbot.wiring`` assembles them into what a command runs (the
daily run's dependencies, the daemon, the Slack app), and the commands and reports below it (`fxbot
status`, `fxbot check`, the Slack app's answers, the track-record page) open what they read here. So
every adapter is still built in one place, and nothing below ``fxbot.wiring`` imports it.

Nothing here reads the environment (the CLI reads ``Secrets`` once and passes them in), and every
import is made inside its function: opening the ledger never loads a provider, and no function here
imports slack_sdk or requests unless a credential or a network provider calls for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fxbot.config import Secrets, Settings

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from fxbot.data.providers.base import Provider
    from fxbot.data.store import PriceStore
    from fxbot.ledger import Ledger
    from fxbot.model.registry import Registry
    from fxbot.notify.slack import SlackWebhookNotifier, SlackWebNotifier
    from fxbot.signals import Evidence, Report

logger = logging.getLogger(__name__)

ChartSource = Callable[["Report"], "bytes | None"]


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


def provider(settings: Settings, secrets: Secrets) -> Provider:
    """The data provider ``data.provider`` and ``secrets`` select (OANDA's token comes from ``secrets``)."""
    from fxbot.data.providers import make_provider

    return make_provider(settings.data, secrets)


def slack_notifier(
    settings: Settings, secrets: Secrets, chart: ChartSource | None = None
) -> SlackWebNotifier | SlackWebhookNotifier | None:
    """The Slack notifier a credential calls for, or None (slack_sdk is imported only with a credential)."""
    if secrets.slack_bot_token is None and secrets.slack_webhook_url is None:
        return None
    from fxbot.notify.slack import slack_notifier as make_slack_notifier

    return make_slack_notifier(settings, secrets, chart=chart)


def slack_web_client(settings: Settings, secrets: Secrets) -> WebClient:
    """A Web API client with the bot token (if set) that follows no redirect, at ``FXBOT_SLACK_API_URL`` or Slack."""
    from fxbot.notify.slack import api_url
    from fxbot.notify.slack.transport import NoRedirectWebClient

    token = secrets.slack_bot_token.get_secret_value() if secrets.slack_bot_token is not None else None
    return NoRedirectWebClient(
        token=token, base_url=api_url(secrets), timeout=max(1, round(settings.notify.slack.timeout_seconds))
    )
