"""Credentials: read only from the environment, never printed, and refused in a config file."""

from __future__ import annotations

import os
import re

from msgspec import Struct

SECRET_HINT = (
    "looks like a secret; secrets go in the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_WEBHOOK_URL, "
    "OANDA_API_TOKEN), "
    "never in the config file: remove it, and revoke it if the file was shared"
)
# Slack tokens (xoxb-, xoxp-, xoxa-, xoxe.xoxp-, xapp-), Slack webhook URLs, OANDA v20 tokens
# (32 hex, dash, 32 hex) and URLs that carry a password. Compiled (and cached by ``re``) on first use, not at
# import: only a config file's values are checked.
_SECRET = (
    r"xox[a-z]-|xoxe\.|xapp-|hooks\.slack(-gov)?\.com|[0-9a-f]{32}-[0-9a-f]{32}|^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@"
)


def looks_like_secret(text: str) -> bool:
    """True if ``text`` holds something shaped like a Slack or OANDA credential (or a URL with a password)."""
    return re.search(_SECRET, text, re.IGNORECASE) is not None


class SecretStr:
    """A credential that never prints: ``repr`` and ``str`` mask it; ``get_secret_value()`` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself; pass it on to the client that needs it, never to a message or log."""
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Secrets(Struct, frozen=True, kw_only=True):
    """Credentials and endpoint overrides, read only from the environment; they never print."""

    # SLACK_BOT_TOKEN: posts with chat.postMessage (exactly-once delivery).
    slack_bot_token: SecretStr | None = None
    # SLACK_APP_TOKEN: the app-level token (xapp-, connections:write) of `fxbot slack-app` (Socket Mode).
    slack_app_token: SecretStr | None = None
    # SLACK_WEBHOOK_URL: an incoming webhook (never re-sent after an uncertain outcome).
    slack_webhook_url: SecretStr | None = None
    # OANDA_API_TOKEN: the OANDA v20 REST provider.
    oanda_api_token: SecretStr | None = None
    # FXBOT_SLACK_API_URL: Slack Web API base URL (GovSlack, tests).
    slack_api_url: str | None = None
    # FXBOT_OANDA_API_URL: OANDA host (practice vs live, tests).
    oanda_api_url: str | None = None
    # FXBOT_YAHOO_API_URL: Yahoo chart API base URL (tests).
    yahoo_api_url: str | None = None
    # FXBOT_PING_URL: dead-man's switch (healthchecks.io conventions); its path holds the check's key.
    ping_url: SecretStr | None = None

    def values(self) -> list[str]:
        """Every secret that is set, as plain strings: what the redaction filter must hide.

        Read from the type, not from a list kept by hand: every field that holds a ``SecretStr`` (the fields
        typed ``SecretStr | None``), in field order, so a credential added to this class is redacted as soon
        as it is declared. The plain endpoint overrides (``str``) are not secrets.
        """
        held = (getattr(self, name) for name in self.__struct_fields__)
        return [value.get_secret_value() for value in held if isinstance(value, SecretStr)]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        """Read the documented variables; empty values count as unset."""
        env = dict(os.environ) if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def secret(name: str) -> SecretStr | None:
            value = get(name)
            return None if value is None else SecretStr(value)

        return cls(
            slack_bot_token=secret("SLACK_BOT_TOKEN"),
            slack_app_token=secret("SLACK_APP_TOKEN"),
            slack_webhook_url=secret("SLACK_WEBHOOK_URL"),
            oanda_api_token=secret("OANDA_API_TOKEN"),
            slack_api_url=get("FXBOT_SLACK_API_URL"),
            oanda_api_url=get("FXBOT_OANDA_API_URL"),
            yahoo_api_url=get("FXBOT_YAHOO_API_URL"),
            ping_url=secret("FXBOT_PING_URL"),
        )
