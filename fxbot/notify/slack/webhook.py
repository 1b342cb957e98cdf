"""Delivery through a Slack incoming webhook: never re-sent automatically after an uncertain outcome.

Slack gives no message id and nothing can be read back, so an unknown outcome is not retried or
re-posted automatically: a duplicate in a channel people trade from is worse than a missing post
that fxbot reports loudly (exit 4, with "check the channel; --force re-posts"). Only errors that
prove nothing was posted (connection refused, 429, 5xx) are retried, by slack_sdk's handlers.

The webhook URL is the secret itself, so it is never printed; ``destination`` is a hash of it.
"""

from __future__ import annotations

import hashlib
from urllib.error import URLError

from slack_sdk.webhook import WebhookClient

from fxbot.errors import DeliveryError, UnknownOutcomeError
from fxbot.notify import messages
from fxbot.notify.slack.error_messages import webhook_error_message
from fxbot.notify.slack.retry import AMBIGUOUS
from fxbot.redaction import redact
from fxbot.signals import Report


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
                f"cannot reach Slack's webhook ({reason}) after {self.retries} retries; check the network"
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
