"""Slack's retry policy: what slack_sdk may retry by itself, and which outcomes are uncertain.

slack_sdk retries only what provably changed nothing in the channel, each at most
``notify.slack.retries`` times:

    429 rate limit          wait Retry-After, but never longer than ``max_retry_after`` (past it,
                            no retry: the notifier gives up with a DeliveryError naming the wait)
    URLError                the request never left (refused, DNS, connect timeout): urllib wraps
                            errors raised while connecting and sending in URLError
    5xx, read-only methods  auth.test, conversations.history, conversations.info change nothing

Everything else that is not a clear answer is UNCERTAIN: Slack may have stored the post. That is a
timeout or a dropped connection while waiting for the answer (any other OSError, an
``http.client.HTTPException``), a 5xx, a body that is not JSON, and ``ok: false`` with
``fatal_error`` or ``internal_error``. slack_sdk never retries those; the Web API notifier
reconciles through the channel's history before any new attempt, the webhook notifier never
re-sends (``fxbot.notify.slack.web``, ``fxbot.notify.slack.webhook``).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Mapping, Sequence
from http.client import HTTPException
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

logger = logging.getLogger(__name__)

# Web API methods that change nothing: a 5xx on them may be retried blindly.
READ_ONLY_METHODS = frozenset({"auth.test", "conversations.history", "conversations.info"})
# ok:false errors after which Slack says "some aspect of the operation may have succeeded".
UNCERTAIN_ERRORS = frozenset({"fatal_error", "internal_error"})
# Slack's error codes are snake_case words; slack_sdk reports a non-JSON body as a sentence instead.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_.]*")


def uncertain_exception(exc: BaseException) -> bool:
    """True for a failure after the request was sent whole: Slack may have acted on it.

    ``URLError`` means the request never left; ``DeliveryError`` (a refused redirect) is an answer.
    A timeout, a dropped connection or a garbled answer while waiting for it is uncertain.
    """
    if isinstance(exc, URLError):
        return False
    return isinstance(exc, (OSError, HTTPException, json.JSONDecodeError))


def uncertain_answer(status: int, data: object) -> bool:
    """True for an HTTP answer that does not say whether the post was stored (5xx, non-JSON, fatal_error)."""
    if status >= 500:
        return True
    if not isinstance(data, Mapping):
        return status == 200
    error = data.get("error")
    if data.get("ok") is False and isinstance(error, str):
        return error in UNCERTAIN_ERRORS or not _ERROR_CODE.fullmatch(error)
    return False


def retry_after(headers: Mapping[str, object]) -> float | None:
    """The Retry-After header in seconds, or None when missing or not a number."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) and value else value
            try:
                seconds = float(str(raw).strip())
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, but a Retry-After longer than ``max_wait`` is not waited for.

    The 429 answer is then handed back to the notifier, which gives up with a DeliveryError that
    names the wait and ``notify.slack.max_retry_after_seconds`` instead of sleeping for hours.
    """

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return wait is None or wait <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry only retries answers
        wait = retry_after(response.headers)
        state.next_attempt_requested = True
        time.sleep((1.0 if wait is None else wait) + random.random() * 0.1)
        state.increment_current_attempt()


class ReadOnlyServerErrorRetryHandler(ServerErrorRetryHandler):
    """A 5xx is retried only for methods that change nothing; never for chat.postMessage or uploads."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = urlsplit(request.url).path.rsplit("/", 1)[-1]
        return response is not None and 500 <= response.status_code < 600 and method in READ_ONLY_METHODS


def retry_handlers(
    retries: int, backoff: float = 0.5, *, max_retry_after: float = 60.0, read_only_5xx: bool = True
) -> Sequence[RetryHandler]:
    """429 (Retry-After up to ``max_retry_after``), requests that never left, and 5xx on read-only methods.

    ``read_only_5xx`` False (the webhook, which only posts) leaves 5xx out altogether.
    """
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    handlers: list[RetryHandler] = [
        CappedRateLimitRetryHandler(retries, max_retry_after),
        ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval, error_types=[URLError]),
    ]
    if read_only_5xx:
        handlers.append(ReadOnlyServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval))
    return handlers
