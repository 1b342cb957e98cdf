"""Slack's retry policy: which failures slack_sdk retries by itself, and which the notifiers must judge.

Both clients carry slack_sdk's own retry handlers, each bounded by ``notify.slack.retries``: rate
limits (429, honouring ``Retry-After``), connection errors raised before a request was sent whole,
and 5xx server errors. A failure while waiting for the answer (``AMBIGUOUS``) may come after Slack
posted, so it is never retried here: the Web API notifier looks in the channel first, the webhook
notifier does not retry it at all.
"""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Raised while waiting for Slack's answer: the request arrived, it may have been acted on.
AMBIGUOUS = (TimeoutError, ConnectionResetError)


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
