"""Delivery through a Slack incoming webhook: at most once, never re-sent automatically after an uncertain outcome.

Semantics. A webhook gives no message id and nothing can be read back, so fxbot cannot tell
whether an unanswered post arrived, and a duplicate in a channel people trade from is worse than
a missing post reported loudly:

- Retried automatically (nothing was posted): a 429 (waiting its Retry-After, at most
  ``notify.slack.max_retry_after_seconds``; a longer wait gives up at once), and a request that
  never left (connection refused, DNS, connect timeout).
- UNCERTAIN (a timeout or dropped connection while waiting for the answer, a 5xx, a 200 whose body
  is not ``ok``): never re-sent, not by slack_sdk and not by the next run. The run exits 4 with
  "check the channel; `fxbot run-once --force` posts it again", and the ledger keeps the delivery
  pending, so the next run says the same instead of posting. ``--force`` is the person's decision.
- Certain errors (4xx such as ``no_service`` or ``invalid_payload``, a refused redirect) are
  recorded as failed: nothing was posted, and the next run posts.

The webhook URL is the secret itself, so it is never printed; ``destination`` is a hash of it.
No redirect is followed (``fxbot.notify.slack.transport``).
"""

from __future__ import annotations

import hashlib
from http.client import HTTPException
from typing import TYPE_CHECKING
from urllib.error import URLError

from slack_sdk.webhook import WebhookClient

from fxbot.errors import DeliveryError, UnknownOutcomeError
from fxbot.notify import messages
from fxbot.notify.base import Notifier
from fxbot.notify.slack.error_messages import webhook_error_message
from fxbot.notify.slack.retry import retry_after, uncertain_exception
from fxbot.redaction import redact
from fxbot.signals import Report

if TYPE_CHECKING:
    from fxbot.summary import WeeklySummary

_RESEND = "check the channel; `fxbot run-once --force` posts it again if it is missing"


class SlackWebhookNotifier(Notifier):
    """Posts through an incoming webhook; it cannot read anything back, so it never reconciles."""

    name = "slack-webhook"
    takes_summaries = True

    def __init__(
        self,
        client: WebhookClient,
        *,
        locale: str = "en",
        colors: tuple[str, str] = messages.DEFAULT_COLORS,
        retries: int = 3,
        max_retry_after: float = 60.0,
    ) -> None:
        self.client = client
        self.locale = locale
        self.colors = colors
        self.retries = retries
        self.max_retry_after = max_retry_after

    @property
    def destination(self) -> str:
        """A stable key for the webhook that is not the secret URL itself."""
        return "webhook:" + hashlib.sha256(self.client.url.encode()).hexdigest()[:12]

    def _send(self, text: str, blocks: list[messages.Block]) -> None:
        try:
            response = self.client.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except URLError as exc:  # the request never left
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(
                f"cannot reach Slack's webhook ({reason}) after {self.retries} retries; check the network"
            ) from None
        except (OSError, HTTPException, ValueError) as exc:
            if not uncertain_exception(exc):
                raise
            raise UnknownOutcomeError(
                f"Slack's webhook did not answer within {self.client.timeout}s or dropped the connection "
                f"({type(exc).__name__}); the message may or may not be in the channel, and fxbot never re-sends a "
                f"webhook post by itself: {_RESEND}"
            ) from None
        # WebhookClient.send does not raise on HTTP errors: the status and body tell.
        status, body = response.status_code, response.body.strip()
        if status == 200 and body == "ok":
            return
        if status >= 500 or status == 200:
            raise UnknownOutcomeError(
                f"Slack's webhook answered HTTP {status}{' but not ok' if status == 200 else ''}; the message may or "
                f"may not be in the channel, and fxbot never re-sends a webhook post by itself: {_RESEND}"
            )
        if status == 429:
            wait = retry_after(response.headers)
            if wait is not None and wait > self.max_retry_after:
                raise DeliveryError(
                    f"Slack rate-limited the webhook and asked to wait {wait:g} s (HTTP 429, Retry-After: {wait:g}), "
                    f"longer than notify.slack.max_retry_after_seconds ({self.max_retry_after:g} s); nothing was "
                    "posted: try again later"
                )
        # The answer is Slack's text: redacted in case it echoes the URL.
        raise DeliveryError(webhook_error_message(status, redact(response.body, [self.client.url])))

    def send_report(self, report: Report) -> str | None:
        """Post the report; a webhook returns no message id. A webhook cannot reply in a thread, so the
        outcomes of earlier posted days (``report.outcomes``) ride along as one compact line each."""
        self._send(*messages.report_with_outcomes(report, self.locale, self.colors))
        return None

    def send_summary(self, summary: WeeklySummary) -> str | None:
        """Post the weekly summary (no chart: a webhook cannot upload files)."""
        self._send(messages.summary_text(summary, self.locale), messages.summary_blocks(summary, self.locale))
        return None

    def send_alert(self, message: str) -> None:
        """Post a short failure alert to the webhook's channel."""
        self._send(messages.alert_text(message, self.locale), messages.alert_blocks(message, self.locale))

    def send_notice(self, message: str) -> None:
        """Post a short notice to the webhook's channel."""
        self._send(messages.notice_text(message, self.locale), messages.notice_blocks(message, self.locale))

    def check(self) -> list[str]:
        """A webhook cannot be tested without posting; say so."""
        return ["slack: incoming webhook configured (SLACK_WEBHOOK_URL); it cannot be checked without posting"]
