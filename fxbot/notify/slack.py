"""Slack delivery through slack_sdk: the Web API with a bot token, or an incoming webhook.

Which one runs follows from the credential: ``SLACK_BOT_TOKEN`` (``chat.postMessage`` to
``notify.slack.channel``, a channel ID) wins over ``SLACK_WEBHOOK_URL``. Both clients carry
slack_sdk's own retry handlers, each bounded by ``notify.slack.retries``: rate limits (429,
honouring ``Retry-After``), connection errors, and 5xx server errors.

Exactly once and the crash window (the ledger side is in ``fxbot.notify.manager``):

* Web API: every report carries Slack message ``metadata`` (event type ``fxbot_daily_calls``,
  payload ``{"as_of": day}``). A post whose outcome is unknown (the process died after Slack
  accepted it, or the answer timed out) is reconciled by reading ``conversations.history`` since
  the recorded intent and looking for that metadata. A read timeout on ``chat.postMessage`` is
  therefore retried only after such a look finds nothing.
* Webhook: Slack gives no message id and nothing can be read back, so an unknown outcome is not
  retried or re-posted automatically: a duplicate in a channel people trade from is worse than a
  missing post that fxbot reports loudly (exit 4, with "check the channel; --force re-posts").
  Only errors that prove nothing was posted (connection refused, 429, 5xx) are retried.

Secrets: the token is only ever in the Authorization header; the webhook URL is the secret
itself, so it is never printed. slack_sdk logs request URLs when it retries: the log filter the
CLI installs (``fxbot.redaction``) redacts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from fxbot.config import Secrets, Settings
from fxbot.errors import ConfigError, DeliveryError, UnknownOutcomeError
from fxbot.notify import messages
from fxbot.redaction import redact
from fxbot.signals import Report

logger = logging.getLogger(__name__)

# Raised while waiting for Slack's answer: the request arrived, it may have been acted on.
AMBIGUOUS = (TimeoutError, ConnectionResetError)

DEFAULT_API_URL = "https://slack.com/api/"
REPORT_EVENT = "fxbot_daily_calls"
# How far conversations.history is read back before the recorded intent (clock skew margin).
_RECONCILE_MARGIN_S = 120
_RECONCILE_PAGES = 5


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's server-error handler, extended from 500/503 to every 5xx (502 and 504 happen too)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers(retries: int, backoff: float = 0.5) -> list[RetryHandler]:
    """Rate limit (Retry-After), connection errors and 5xx, each at most ``retries`` times.

    Only connection errors raised before a request was sent whole (urllib wraps those in URLError)
    are retried here. A timeout or a dropped connection while waiting for the answer
    (``TimeoutError``, ``ConnectionResetError``, ``RemoteDisconnected``) may come after Slack posted,
    so the notifiers handle those themselves (see the module docstring).
    """
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    return [
        RateLimitErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
        ConnectionErrorRetryHandler(
            max_retry_count=retries,
            interval_calculator=interval,
            error_types=[URLError],
        ),
        AnyServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
    ]


def api_error_message(error: str, channel: str, needed: str | None = None) -> str:
    """One actionable line for a Web API error code."""
    where = f"channel {channel}" if channel else "the channel"
    actions = {
        "invalid_auth": "Slack rejected the bot token (invalid_auth): check SLACK_BOT_TOKEN",
        "not_authed": "Slack received no token (not_authed): check SLACK_BOT_TOKEN",
        "token_revoked": (
            "the bot token was revoked (token_revoked): reinstall the Slack app and update SLACK_BOT_TOKEN"
        ),
        "token_expired": "the bot token expired (token_expired): refresh it and update SLACK_BOT_TOKEN",
        "account_inactive": (
            "the bot's account is deactivated (account_inactive): reinstall the app, update SLACK_BOT_TOKEN"
        ),
        "channel_not_found": (
            f"{where} was not found (channel_not_found): set notify.slack.channel to the channel ID "
            "(e.g. C0123456789, from the channel's details) and invite the bot with /invite @fxbot"
        ),
        "not_in_channel": f"the bot is not in {where} (not_in_channel): invite the bot to it with /invite @fxbot",
        "is_archived": f"{where} is archived (is_archived): unarchive it or set notify.slack.channel to another",
        "missing_scope": (
            f"the bot token lacks a scope (missing_scope{': needs ' + needed if needed else ''}): add it to the "
            "Slack app (chat:write, channels:history, channels:read; files:write for charts), reinstall, "
            "update SLACK_BOT_TOKEN"
        ),
        "ratelimited": "Slack kept rate-limiting fxbot after every retry (ratelimited): try again later",
        "msg_too_long": "the message was too long for Slack (msg_too_long): report this as an fxbot bug",
        "invalid_blocks": "Slack rejected the message blocks (invalid_blocks): report this as an fxbot bug",
    }
    fallback = f"Slack answered {error!r} for {where}; see https://api.slack.com/methods for its meaning"
    return actions.get(error, fallback)


def webhook_error_message(status: int, body: str) -> str:
    """One actionable line for an incoming-webhook error answer."""
    code = body.strip()[:80]
    actions = {
        "invalid_token": "the webhook URL is no longer valid (invalid_token): create a new incoming webhook and "
        "update SLACK_WEBHOOK_URL",
        "no_service": "the webhook was removed (no_service): create a new incoming webhook and update "
        "SLACK_WEBHOOK_URL",
        "no_team": "the webhook's workspace is gone (no_team): create a new incoming webhook, update SLACK_WEBHOOK_URL",
        "channel_not_found": "the webhook's channel no longer exists (channel_not_found): create a new incoming "
        "webhook for the channel and update SLACK_WEBHOOK_URL",
        "channel_is_archived": "the webhook's channel is archived (channel_is_archived): unarchive it or create a "
        "new webhook",
        "action_prohibited": "an admin restricted posting to the webhook's channel (action_prohibited): ask a "
        "workspace admin",
        "invalid_payload": "Slack rejected the message (invalid_payload): report this as an fxbot bug",
    }
    if code in actions:
        return actions[code]
    if status == 429:
        return "Slack kept rate-limiting the webhook after every retry (HTTP 429): try again later"
    if status >= 500:
        return f"Slack's webhook answered HTTP {status} after every retry: Slack may be down; try again later"
    return f"Slack's webhook answered HTTP {status} ({code or 'no body'}); check SLACK_WEBHOOK_URL"


def _utc(ts: str) -> str:
    return dt.datetime.fromtimestamp(float(ts), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class SlackWebNotifier:
    """Posts with ``chat.postMessage`` (bot token); can find its own posts again for reconciling."""

    name = "slack"
    can_reconcile = True

    def __init__(
        self,
        client: WebClient,
        channel: str,
        *,
        error_channel: str = "",
        locale: str = "en",
        retries: int = 3,
        chart: Callable[[Report], bytes | None] | None = None,
    ) -> None:
        self.client = client
        self.channel = channel
        self.error_channel = error_channel or channel
        self.locale = locale
        self.retries = retries
        self.chart = chart

    @property
    def destination(self) -> str:
        """The exactly-once key's channel part."""
        return self.channel

    def _api(self, call: Callable[[], Any], channel: str) -> Any:
        """Run one Web API call; map every failure to a one-line DeliveryError."""
        try:
            return call()
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            status = exc.response.status_code
            if status == 429:
                raise DeliveryError(api_error_message("ratelimited", channel)) from None
            if status >= 500 or not data.get("error"):
                raise DeliveryError(
                    f"Slack answered HTTP {status} after {self.retries} retries: Slack may be down; try again later",
                ) from None
            message = api_error_message(str(data["error"]), channel, data.get("needed"))
            raise DeliveryError(redact(message, [self.client.token])) from None  # in case Slack echoes it
        except AMBIGUOUS:
            raise
        except (URLError, OSError, SlackClientError) as exc:
            reason = getattr(exc, "reason", exc)
            host = urlsplit(self.client.base_url).netloc
            raise DeliveryError(
                f"cannot reach Slack at {host} ({reason}) after {self.retries} retries; check the network "
                "or FXBOT_SLACK_API_URL",
            ) from None

    def send_report(self, report: Report) -> str:
        """Post the report; returns the message ts. A timed-out post is retried only if not found in history."""
        started = dt.datetime.now(dt.UTC)
        payload: dict[str, Any] = {
            "channel": self.channel,
            "text": messages.report_text(report, self.locale),
            "blocks": messages.report_blocks(report, self.locale),
            "metadata": {"event_type": REPORT_EVENT, "event_payload": {"as_of": report.as_of.isoformat()}},
            "unfurl_links": False,
            "unfurl_media": False,
        }
        ts: str | None = None
        for attempt in range(self.retries + 1):
            try:
                response = self._api(lambda: self.client.chat_postMessage(**payload), self.channel)
                ts = str(response["ts"])
                break
            except AMBIGUOUS:
                logger.warning("no answer to chat.postMessage in time (try %d); looking for the post", attempt + 1)
                ts = self.find_posted(report.as_of, started)
                if ts is not None:
                    break
        if ts is None:
            raise UnknownOutcomeError(
                f"Slack did not answer within {self.client.timeout}s (or dropped the connection), {self.retries + 1} "
                "times; the calls may not have been posted: the next run looks for them and posts only if missing",
            )
        logger.info("posted the calls of %s to %s (ts %s)", report.as_of, self.channel, ts)
        if self.chart is not None:
            self._upload_chart(report, ts)
        return ts

    def _upload_chart(self, report: Report, ts: str) -> None:
        """Upload the chart into the report's thread; a failure here never re-posts the report."""
        assert self.chart is not None
        try:
            png = self.chart(report)
            if png is None:
                return
            self._api(
                lambda: self.client.files_upload_v2(
                    channel=self.channel,
                    thread_ts=ts,
                    content=png,
                    filename=f"fxbot-{report.as_of.isoformat()}.png",
                    title=f"fxbot {report.as_of.isoformat()}",
                ),
                self.channel,
            )
        except (DeliveryError, *AMBIGUOUS, ValueError) as exc:
            logger.warning("the calls were posted, but the chart upload failed: %s", exc)

    def find_posted(self, as_of: dt.date, since: dt.datetime) -> str | None:
        """The ts of this channel's fxbot report for ``as_of`` posted since ``since``, if any."""
        oldest = f"{since.timestamp() - _RECONCILE_MARGIN_S:.6f}"
        cursor: str | None = None
        for _ in range(_RECONCILE_PAGES):
            try:
                page = self._api(
                    lambda c=cursor: self.client.conversations_history(  # type: ignore[misc]
                        channel=self.channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=c
                    ),
                    self.channel,
                )
            except AMBIGUOUS:
                raise UnknownOutcomeError(
                    "Slack did not answer conversations.history in time; try again later"
                ) from None
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if (
                    meta.get("event_type") == REPORT_EVENT
                    and (meta.get("event_payload") or {}).get("as_of") == as_of.isoformat()
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def send_alert(self, message: str) -> None:
        """Post a short failure alert to the error channel (else the report channel)."""
        try:
            self._api(
                lambda: self.client.chat_postMessage(
                    channel=self.error_channel,
                    text=messages.alert_text(message, self.locale),
                    blocks=messages.alert_blocks(message, self.locale),
                ),
                self.error_channel,
            )
        except AMBIGUOUS:
            raise DeliveryError(f"Slack did not answer within {self.client.timeout}s; the alert may be lost") from None

    def check(self) -> list[str]:
        """auth.test and conversations.info: the token works and the bot can post to the channel. Posts nothing."""
        try:
            auth = self._api(self.client.auth_test, self.channel)
            lines = [f"slack: token ok: bot {auth.get('user', '?')} in workspace {auth.get('team', '?')}"]
            for label, channel in (("channel", self.channel), ("error channel", self.error_channel)):
                if label == "error channel" and channel == self.channel:
                    continue
                info = self._api(lambda ch=channel: self.client.conversations_info(channel=ch), channel)  # type: ignore[misc]
                conv = info.get("channel") or {}
                if conv.get("is_archived"):
                    raise DeliveryError(api_error_message("is_archived", channel))
                if conv.get("is_member") is False:
                    raise DeliveryError(api_error_message("not_in_channel", channel))
                lines.append(f"slack: {label} {channel} (#{conv.get('name', '?')}) reachable, the bot is a member")
        except AMBIGUOUS:
            raise DeliveryError(f"Slack did not answer within {self.client.timeout}s; try again later") from None
        return lines


class SlackWebhookNotifier:
    """Posts through an incoming webhook; it cannot read anything back, so it never reconciles."""

    name = "slack-webhook"
    can_reconcile = False

    def __init__(self, client: WebhookClient, *, locale: str = "en", retries: int = 3) -> None:
        self.client = client
        self.locale = locale
        self.retries = retries

    @property
    def destination(self) -> str:
        """A stable key for the webhook that is not the secret URL itself."""
        return "webhook:" + hashlib.sha256(self.client.url.encode()).hexdigest()[:12]

    def _send(self, text: str, blocks: list[messages.Block]) -> None:
        try:
            response = self.client.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except AMBIGUOUS:
            raise UnknownOutcomeError(
                f"Slack's webhook did not answer within {self.client.timeout}s or dropped the connection; the message "
                "may or may not be in the channel: check it, and run `fxbot run-once --force` to post it if missing"
            ) from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(
                f"cannot reach Slack's webhook ({reason}) after {self.retries} retries; check the network",
            ) from None
        # WebhookClient.send does not raise on HTTP errors: the status and body tell.
        if response.status_code != 200 or response.body.strip() != "ok":
            # The answer is Slack's text: redacted in case it echoes the URL.
            raise DeliveryError(webhook_error_message(response.status_code, redact(response.body, [self.client.url])))

    def send_report(self, report: Report) -> str | None:
        """Post the report; a webhook returns no message id."""
        self._send(messages.report_text(report, self.locale), messages.report_blocks(report, self.locale))
        return None

    def send_alert(self, message: str) -> None:
        """Post a short failure alert to the webhook's channel."""
        self._send(messages.alert_text(message, self.locale), messages.alert_blocks(message, self.locale))

    def check(self) -> list[str]:
        """A webhook cannot be tested without posting; say so."""
        return ["slack: incoming webhook configured (SLACK_WEBHOOK_URL); it cannot be checked without posting"]


def api_url(secrets: Secrets) -> str:
    """The Web API base URL: ``FXBOT_SLACK_API_URL`` (normalised to end with /) or Slack's."""
    url = secrets.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def _validate_channel(channel: str, key: str) -> None:
    if not channel:
        raise ConfigError(f"{key} is empty; SLACK_BOT_TOKEN needs a channel ID there (e.g. C0123456789)")
    if channel.startswith("#") or not channel[:1].isupper() or not channel.isalnum():
        raise ConfigError(
            f"{key} must be a channel ID like C0123456789, got {channel!r}; find it in the channel's details "
            "in Slack (bottom of the About tab)"
        )


def slack_notifier(
    settings: Settings,
    secrets: Secrets,
    *,
    chart: Callable[[Report], bytes | None] | None = None,
    backoff: float = 0.5,
) -> SlackWebNotifier | SlackWebhookNotifier | None:
    """The Slack notifier the credentials call for (bot token first, then webhook), or None."""
    cfg = settings.notify.slack
    timeout = max(1, round(cfg.timeout_seconds))
    if secrets.slack_bot_token is not None:
        _validate_channel(cfg.channel, "notify.slack.channel")
        if cfg.error_channel:
            _validate_channel(cfg.error_channel, "notify.slack.error_channel")
        token = secrets.slack_bot_token.get_secret_value()
        if secrets.slack_webhook_url is not None:
            logger.info("both SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are set; using the bot token")
        client = WebClient(
            token=token,
            base_url=api_url(secrets),
            timeout=timeout,
            retry_handlers=retry_handlers(cfg.retries, backoff),
        )
        return SlackWebNotifier(
            client,
            cfg.channel,
            error_channel=cfg.error_channel,
            locale=settings.notify.locale,
            retries=cfg.retries,
            chart=chart if cfg.chart else None,
        )
    if secrets.slack_webhook_url is not None:
        url = secrets.slack_webhook_url.get_secret_value()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ConfigError("SLACK_WEBHOOK_URL is not an http(s) URL; copy it again from the Slack app's settings")
        if cfg.chart:
            logger.warning("notify.slack.chart needs SLACK_BOT_TOKEN; a webhook posts no charts")
        return SlackWebhookNotifier(
            WebhookClient(url, timeout=timeout, retry_handlers=retry_handlers(cfg.retries, backoff)),
            locale=settings.notify.locale,
            retries=cfg.retries,
        )
    return None
