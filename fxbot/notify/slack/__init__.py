"""Slack delivery through slack_sdk: the Web API with a bot token, or an incoming webhook.

Which one runs follows from the credential: ``SLACK_BOT_TOKEN`` (``chat.postMessage`` to
``notify.slack.channel``, a channel ID) wins over ``SLACK_WEBHOOK_URL``; ``slack_notifier`` builds
it. One job per module:

    __init__        slack_notifier: settings + credentials -> the notifier they call for, or None
    web             SlackWebNotifier: bot token; exactly once by reconciling with the channel's history
    webhook         SlackWebhookNotifier: incoming webhook; never re-sent after an uncertain outcome
    retry           what slack_sdk may retry (429 capped, unsent requests, 5xx on reads) and what is uncertain
    transport       slack_sdk's clients, refusing every redirect (the token never leaves Slack's origin)
    error_messages  one actionable line per Slack error answer

Secrets: the token is only ever in the Authorization header; the webhook URL is the secret
itself, so it is never printed. slack_sdk logs request URLs when it retries: the log filter the
CLI installs (``fxbot.redaction``) redacts them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from fxbot.config import Secrets, Settings
from fxbot.errors import ConfigError
from fxbot.notify.slack.error_messages import api_error_message, webhook_error_message
from fxbot.notify.slack.retry import retry_handlers
from fxbot.notify.slack.transport import NoRedirectWebClient, NoRedirectWebhookClient, RedirectRefused
from fxbot.notify.slack.web import REPORT_EVENT, SlackWebNotifier
from fxbot.notify.slack.webhook import SlackWebhookNotifier
from fxbot.signals import Report

__all__ = [
    "DEFAULT_API_URL",
    "REPORT_EVENT",
    "NoRedirectWebClient",
    "NoRedirectWebhookClient",
    "RedirectRefused",
    "SlackWebNotifier",
    "SlackWebhookNotifier",
    "api_error_message",
    "api_url",
    "retry_handlers",
    "slack_notifier",
    "webhook_error_message",
]

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"


def api_url(secrets: Secrets) -> str:
    """The Web API base URL: ``FXBOT_SLACK_API_URL`` (normalised to end with /) or Slack's."""
    url = secrets.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def _validate_channel(channel: str, key: str) -> None:
    if not channel:
        raise ConfigError(f"{key} is empty; SLACK_BOT_TOKEN needs a channel ID there (e.g. C0123456789)")
    if channel.startswith("#") or not channel[:1].isupper() or not channel.isalnum():
        # Echo a channel name (the usual mistake), never anything else: it could be a pasted secret.
        looks_like_a_name = len(channel) <= 40 and re.fullmatch(r"#?[a-z0-9][a-z0-9_.-]*", channel) is not None
        got = f", got {channel!r}" if looks_like_a_name else " (the value is not shown)"
        raise ConfigError(
            f"{key} must be a channel ID like C0123456789{got}; find it in the channel's details "
            "in Slack (bottom of the About tab)"
        )


def slack_notifier(
    settings: Settings,
    secrets: Secrets,
    *,
    chart: Callable[[Report], bytes | None] | None = None,
    backoff: float = 0.5,
) -> SlackWebNotifier | SlackWebhookNotifier | None:
    """The Slack notifier the credentials call for (bot token first, then webhook), or None.

    A post with an uncertain outcome is looked for in the channel at once, then after half the
    timeout and after the whole timeout more (``settle``), before fxbot concludes it was not posted.
    """
    cfg = settings.notify.slack
    timeout = max(1, round(cfg.timeout_seconds))
    cap = cfg.max_retry_after_seconds
    if secrets.slack_bot_token is not None:
        _validate_channel(cfg.channel, "notify.slack.channel")
        if cfg.error_channel:
            _validate_channel(cfg.error_channel, "notify.slack.error_channel")
        token = secrets.slack_bot_token.get_secret_value()
        if secrets.slack_webhook_url is not None:
            logger.info("both SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are set; using the bot token")
        client = NoRedirectWebClient(
            token=token,
            base_url=api_url(secrets),
            timeout=timeout,
            retry_handlers=list(retry_handlers(cfg.retries, backoff, max_retry_after=cap)),
        )
        return SlackWebNotifier(
            client,
            cfg.channel,
            error_channel=cfg.error_channel,
            locale=settings.notify.locale,
            colors=(settings.notify.colors.buy, settings.notify.colors.sell),
            retries=cfg.retries,
            chart=chart if cfg.chart else None,
            settle=(timeout / 2, timeout),
            max_retry_after=cap,
            charts=cfg.chart,
        )
    if secrets.slack_webhook_url is not None:
        url = secrets.slack_webhook_url.get_secret_value()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ConfigError("SLACK_WEBHOOK_URL is not an http(s) URL; copy it again from the Slack app's settings")
        if cfg.chart:
            logger.warning("notify.slack.chart needs SLACK_BOT_TOKEN; a webhook posts no charts")
        handlers = retry_handlers(cfg.retries, backoff, max_retry_after=cap, read_only_5xx=False)
        return SlackWebhookNotifier(
            NoRedirectWebhookClient(url, timeout=timeout, retry_handlers=list(handlers)),
            locale=settings.notify.locale,
            colors=(settings.notify.colors.buy, settings.notify.colors.sell),
            retries=cfg.retries,
            max_retry_after=cap,
        )
    return None
