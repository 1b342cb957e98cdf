"""Delivery through the Slack Web API with a bot token (``chat.postMessage``), exactly once.

Every report carries Slack message ``metadata`` (event type ``fxbot_daily_calls``, payload
``{"as_of": day}``). A post whose outcome is unknown (the process died after Slack accepted it,
or the answer timed out) is reconciled by reading ``conversations.history`` since the recorded
intent and looking for that metadata. A read timeout on ``chat.postMessage`` is therefore retried
only after such a look finds nothing. The ledger side is in ``fxbot.notify.manager``.

The token is only ever in the Authorization header.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from fxbot.errors import DeliveryError, UnknownOutcomeError
from fxbot.notify import messages
from fxbot.notify.slack.error_messages import api_error_message
from fxbot.notify.slack.retry import AMBIGUOUS
from fxbot.redaction import redact
from fxbot.signals import Report

logger = logging.getLogger(__name__)

REPORT_EVENT = "fxbot_daily_calls"
# How far conversations.history is read back before the recorded intent (clock skew margin).
_RECONCILE_MARGIN_S = 120
_RECONCILE_PAGES = 5


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
                    f"Slack answered HTTP {status} after {self.retries} retries: Slack may be down; try again later"
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
                "or FXBOT_SLACK_API_URL"
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
