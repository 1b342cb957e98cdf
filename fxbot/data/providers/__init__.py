"""Market-data providers (oanda, yahoo, bundled) and the factory that picks one from the settings.

``data.provider: auto`` (the default) means oanda when OANDA_API_TOKEN is set, otherwise bundled
(no network). yahoo is never picked automatically: its bars use another day boundary.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import msgspec
import requests

from fxbot.config import DataSettings, Secrets
from fxbot.data.providers.base import Provider, make_session
from fxbot.data.providers.bundled import BundledProvider
from fxbot.data.providers.oanda import HOSTS, OandaProvider
from fxbot.data.providers.yahoo import BOUNDARY_WARNING, DEFAULT_URL, YahooProvider
from fxbot.data.source import provider_name
from fxbot.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = ["Provider", "ProviderChoice", "choose_provider", "describe_provider", "make_provider"]


class ProviderChoice(msgspec.Struct, frozen=True):
    """Which provider is active, where it fetches from, why, and what the user must know about it."""

    name: str
    url: str | None
    reason: str
    warning: str | None = None

    @property
    def network(self) -> bool:
        """True if fetching talks to a server."""
        return self.url is not None


def choose_provider(settings: DataSettings, secrets: Secrets) -> ProviderChoice:
    """Resolve ``data.provider`` against the environment (no network)."""
    name, reason = provider_name(settings, secrets)
    if name == "oanda":
        if secrets.oanda_api_token is None:
            raise ConfigError("data.provider is oanda but OANDA_API_TOKEN is not set; export it or use auto/bundled")
        url = secrets.oanda_api_url or HOSTS[settings.oanda.environment]
        return ProviderChoice("oanda", url, reason)
    if name == "yahoo":
        return ProviderChoice("yahoo", secrets.yahoo_api_url or DEFAULT_URL, reason, BOUNDARY_WARNING)
    return ProviderChoice(
        "bundled", None, reason, "no data provider: bars change only through `fxbot import-csv`, so they go stale"
    )


def describe_provider(settings: DataSettings, secrets: Secrets | None = None) -> list[str]:
    """Lines for `fxbot check`: the active provider, its source and what it means for the models."""
    choice = choose_provider(settings, Secrets.from_env() if secrets is None else secrets)
    where = choice.url or "no network"
    lines = [f"data provider: {choice.name} ({where}; {choice.reason})"]
    if choice.warning:
        lines.append(f"WARNING: {choice.warning}")
    return lines


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_provider(
    settings: DataSettings,
    secrets: Secrets | None = None,
    *,
    session: requests.Session | None = None,
    now: Callable[[], dt.datetime] = _utc_now,
) -> Provider:
    """The provider ``settings`` and the environment ask for, with a retrying session unless one is given."""
    secrets = Secrets.from_env() if secrets is None else secrets
    choice = choose_provider(settings, secrets)
    if choice.url is None:
        return BundledProvider()
    if choice.warning:
        logger.warning("%s", choice.warning)
    session = session or make_session(settings.retries)
    if choice.name == "oanda":
        assert secrets.oanda_api_token is not None  # choose_provider checked it
        return OandaProvider(
            session,
            choice.url,
            secrets.oanda_api_token.get_secret_value(),
            timeout=settings.timeout_seconds,
            retries=settings.retries,
            now=now,
        )
    return YahooProvider(session, choice.url, timeout=settings.timeout_seconds, retries=settings.retries, now=now)
