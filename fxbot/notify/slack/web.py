"""Delivery through the Slack Web API with a bot token (``chat.postMessage``): exactly once.

Semantics. Every report carries Slack message ``metadata`` (event type ``fxbot_daily_calls``,
payload ``{"as_of": day}``), so the channel itself says whether a day was posted:

- Before the first post of a day (no ``sent`` row in the ledger, or no ledger at all) the manager
  looks in the channel (``find_posted``); a report found there is recorded as sent and not posted
  again. Losing or replacing the ledger therefore cannot cause a second post. ``--force`` skips the
  look and posts.
- An UNCERTAIN outcome of ``chat.postMessage`` (a timeout or dropped connection while waiting for
  the answer, a 5xx, a body that is not JSON, ``ok: false`` with ``fatal_error`` or
  ``internal_error``; see ``fxbot.notify.slack.retry``) is reconciled through
  ``conversations.history`` before any new attempt. slack_sdk never retries such a post by itself.
- Reconciling waits for Slack to become consistent: it looks at once, then again after each of
  the ``settle`` waits (by default half the timeout, then the whole timeout), before it concludes
  "not posted". A post that lands after the client gave up is found that way.
- The search does not depend on the local clock: it reads the channel's newest messages (up to
  ``history_pages`` pages of 200, no ``oldest``) and matches the metadata's day.
- Found: the ledger records the ``ts`` found (what was actually posted). Not found: the post is
  tried again, at most ``notify.slack.retries`` times; if the last try is still uncertain, the
  delivery stays pending (exit 4) and the next run looks again before posting.
- Certain failures (an error code such as ``channel_not_found``, a 429 after its retries or past
  ``notify.slack.max_retry_after_seconds``, a request that never left, a refused redirect) are
  recorded as failed: nothing was posted.

The token is only ever in the Authorization header, and no redirect is followed
(``fxbot.notify.slack.transport``), so it never reaches another origin.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from http.client import HTTPException
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from fxbot.errors import DeliveryError, UnknownOutcomeError
from fxbot.notify import messages
from fxbot.notify.base import Notifier
from fxbot.notify.slack.error_messages import api_error_message
from fxbot.notify.slack.retry import retry_after, uncertain_answer, uncertain_exception
from fxbot.redaction import redact
from fxbot.signals import Report

if TYPE_CHECKING:
    from fxbot.outcome import DayOutcome
    from fxbot.summary import WeeklySummary

logger = logging.getLogger(__name__)

REPORT_EVENT = "fxbot_daily_calls"
SUMMARY_EVENT = "fxbot_weekly_summary"
NOTICE_EVENT = "fxbot_notice"
_HISTORY_PAGE = 200


class Uncertain(Exception):
    """A Web API call may or may not have taken effect (see ``fxbot.notify.slack.retry``)."""


class SlackWebNotifier(Notifier):
    """Posts with ``chat.postMessage`` (bot token); finds its own posts again for reconciling."""

    name = "slack"
    takes_summaries = True
    can_reconcile = True
    threads_replies = True

    def __init__(
        self,
        client: WebClient,
        channel: str,
        *,
        error_channel: str = "",
        locale: str = "en",
        colors: tuple[str, str] = messages.DEFAULT_COLORS,
        retries: int = 3,
        chart: Callable[[Report], bytes | None] | None = None,
        settle: Sequence[float] = (0.5, 1.0),
        history_pages: int = 5,
        max_retry_after: float = 60.0,
        charts: bool = True,
    ) -> None:
        self.client = client
        self.charts = charts  # notify.slack.chart: upload any chart at all (the weekly one too)
        self.channel = channel
        self.error_channel = error_channel or channel
        self.locale = locale
        self.colors = colors
        self.retries = retries
        self.chart = chart
        self.settle = tuple(settle)
        self.history_pages = history_pages
        self.max_retry_after = max_retry_after

    @property
    def destination(self) -> str:
        """The exactly-once key's channel part."""
        return self.channel

    def _api(self, call: Callable[[], Any], channel: str) -> Any:
        """Run one Web API call: its answer, a one-line DeliveryError (nothing happened) or Uncertain."""
        try:
            return call()
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            status = exc.response.status_code
            if uncertain_answer(status, exc.response.data):
                error = data.get("error")
                if status >= 500:
                    raise Uncertain(f"Slack answered HTTP {status}") from None
                if error in ("fatal_error", "internal_error"):
                    raise Uncertain(f"Slack answered {error}") from None
                raise Uncertain("Slack answered with a body that is not JSON") from None
            if status == 429:
                wait = retry_after(exc.response.headers)
                if wait is not None and wait > self.max_retry_after:
                    raise DeliveryError(
                        f"Slack rate-limited fxbot and asked it to wait {wait:g} s (HTTP 429, Retry-After: {wait:g}), "
                        f"longer than notify.slack.max_retry_after_seconds ({self.max_retry_after:g} s); nothing "
                        "was posted: try again later"
                    ) from None
                raise DeliveryError(api_error_message("ratelimited", channel)) from None
            if not data.get("error"):
                raise DeliveryError(f"Slack answered HTTP {status} without an error code for {channel}") from None
            message = api_error_message(str(data["error"]), channel, data.get("needed"))
            raise DeliveryError(redact(message, [self.client.token])) from None  # in case Slack echoes it
        except URLError as exc:  # the request never left: certain
            reason = getattr(exc, "reason", exc)
            host = urlsplit(self.client.base_url).netloc
            raise DeliveryError(
                f"cannot reach Slack at {host} ({reason}) after {self.retries} retries; check the network "
                "or FXBOT_SLACK_API_URL"
            ) from None
        except (OSError, HTTPException, ValueError) as exc:
            if not uncertain_exception(exc):
                raise
            raise Uncertain(
                f"Slack did not answer within {self.client.timeout}s, dropped the connection or garbled its answer "
                f"({type(exc).__name__})"
            ) from None
        except SlackClientError as exc:
            raise DeliveryError(f"the Slack client refused the request: {type(exc).__name__}") from None

    def send_report(self, report: Report) -> str | None:
        """Post the report; returns the message ts. An uncertain post is retried only if not found in the channel."""
        payload: dict[str, Any] = {
            "channel": self.channel,
            "text": messages.report_text(report, self.locale),
            "blocks": messages.report_blocks(report, self.locale, self.colors),
            "metadata": {"event_type": REPORT_EVENT, "event_payload": {"as_of": report.as_of.isoformat()}},
            "unfurl_links": False,
            "unfurl_media": False,
        }
        ts = self._post_once(payload, report.as_of, "calls", REPORT_EVENT, "as_of")
        if self.chart is not None and ts is not None:
            self._upload(lambda: self.chart(report) if self.chart else None, ts, report.as_of, "")
        return ts

    def send_summary(self, summary: WeeklySummary) -> str | None:
        """Post the weekly summary (exactly once like the report, its own metadata) and its chart in the thread."""
        from fxbot import summary as weekly

        payload: dict[str, Any] = {
            "channel": self.channel,
            "text": messages.summary_text(summary, self.locale),
            "blocks": messages.summary_blocks(summary, self.locale),
            "metadata": {"event_type": SUMMARY_EVENT, "event_payload": {"week_end": summary.week_end.isoformat()}},
            "unfurl_links": False,
            "unfurl_media": False,
        }
        ts = self._post_once(payload, summary.week_end, "weekly summary", SUMMARY_EVENT, "week_end")
        if ts is not None and self.charts:  # chart: false uploads nothing (and needs no files:write)
            self._upload(lambda: weekly.render_chart(summary, self.colors, self.locale), ts, summary.week_end, "week-")
        return ts

    def send_outcome(self, outcome: DayOutcome) -> str | None:
        """Reply in the day's post's thread with its outcome (exactly once like a post: its own metadata, reconciled
        through the thread's replies)."""
        from fxbot.outcome import OUTCOME_EVENT

        payload: dict[str, Any] = {
            "channel": self.channel,
            "thread_ts": outcome.parent_ts,
            "text": messages.outcome_text(outcome, self.locale),
            "blocks": messages.outcome_blocks(outcome, self.locale),
            "metadata": {"event_type": OUTCOME_EVENT, "event_payload": {"as_of": outcome.as_of.isoformat()}},
            "unfurl_links": False,
            "unfurl_media": False,
        }
        return self._post_once(payload, outcome.as_of, "outcome", OUTCOME_EVENT, "as_of", thread=outcome.parent_ts)

    def find_outcome(self, outcome: DayOutcome, *, settle: bool = False) -> str | None:
        """The ts of the outcome reply in the thread of ``outcome``'s post, or None."""
        from fxbot.outcome import OUTCOME_EVENT

        return self.find_posted(outcome.as_of, settle=settle, event=OUTCOME_EVENT, thread=outcome.parent_ts)

    def find_summary(self, week_end: dt.date, *, settle: bool = False) -> str | None:
        """The ts of this channel's weekly summary of the week to ``week_end``, or None."""
        return self.find_posted(week_end, settle=settle, event=SUMMARY_EVENT, key="week_end")

    def _post_once(
        self, payload: dict[str, Any], day: dt.date, what: str, event: str, key: str, thread: str | None = None
    ) -> str | None:
        """chat.postMessage with reconciling: an uncertain post is retried only if not found in the channel."""
        report_as_of = day
        tries, ts = self.retries + 1, None
        for attempt in range(1, tries + 1):
            try:
                response = self._api(lambda: self.client.chat_postMessage(**payload), self.channel)
            except Uncertain as exc:
                logger.warning(
                    "no clear answer to chat.postMessage, try %d of %d (%s); looking in the channel",
                    attempt,
                    tries,
                    exc,
                )
                ts = self._reconcile(report_as_of, event, key, thread)
                if ts is None and attempt < tries:
                    logger.warning("the %s of %s are not in %s; posting again", what, report_as_of, self.channel)
                    continue
                if ts is None:
                    raise UnknownOutcomeError(
                        f"no clear answer to any of {tries} posts of the {what} (last: {exc}), and it is not in "
                        f"channel {self.channel} after waiting {sum(self.settle):g}s each time: probably not posted; "
                        "the delivery stays pending, and the next run looks in the channel again and posts only if "
                        "they are missing"
                    ) from None
                logger.info(
                    "Slack had posted the %s of %s to %s after all (ts %s)", what, report_as_of, self.channel, ts
                )
                break
            ts = str(response.get("ts") or "") or self._reconcile(report_as_of, event, key, thread)
            logger.info("posted the %s of %s to %s (ts %s)", what, report_as_of, self.channel, ts)
            break
        return ts

    def _reconcile(
        self, as_of: dt.date, event: str = REPORT_EVENT, key: str = "as_of", thread: str | None = None
    ) -> str | None:
        """find_posted after an uncertain post, with waits; a failed look leaves the outcome unknown."""
        try:
            return self.find_posted(as_of, settle=True, event=event, key=key, thread=thread)
        except DeliveryError as exc:
            raise UnknownOutcomeError(
                f"a post of the calls may or may not have reached channel {self.channel}, and looking for it "
                f"failed: {exc}; the delivery stays pending and the next run looks again before posting"
            ) from None

    def _upload(self, make: Callable[[], bytes | None], ts: str, day: dt.date, prefix: str) -> None:
        """Upload a chart into the message's thread; a failure here never re-posts the message."""
        try:
            png = make()
            if png is None:
                return
            self._api(
                lambda: self.client.files_upload_v2(
                    channel=self.channel,
                    thread_ts=ts,
                    content=png,
                    filename=f"fxbot-{prefix}{day.isoformat()}.png",
                    title=f"fxbot {prefix}{day.isoformat()}",
                ),
                self.channel,
            )
        except (DeliveryError, Uncertain, ValueError) as exc:
            logger.warning("the message was posted, but the chart upload failed: %s", exc)
        except ImportError:  # notify.slack.chart on, but the [charts] extra (matplotlib) is not installed
            from fxbot.notify.chart import NO_MATPLOTLIB

            logger.warning("the message was posted without its chart: %s", NO_MATPLOTLIB)

    def find_posted(
        self,
        as_of: dt.date,
        *,
        settle: bool = False,
        event: str = REPORT_EVENT,
        key: str = "as_of",
        thread: str | None = None,
    ) -> str | None:
        """The ts of this channel's newest fxbot report for ``as_of``, or None if it is not there.

        Reads the newest messages (no ``oldest``: the local clock plays no part). With ``settle``
        it looks again after each of the ``settle`` waits before answering None, for a post that
        Slack stores late. A failed read is a DeliveryError: nothing can be concluded from it. With
        ``thread`` (a post's ts) it reads that thread's replies (``conversations.replies``) instead.
        """
        waits = (0.0, *self.settle) if settle else (0.0,)
        for look, wait in enumerate(waits, 1):
            if wait > 0:
                time.sleep(wait)
            ts = self._search(as_of, event, key, thread)
            if ts is not None:
                return ts
            if look < len(waits):
                logger.info("the calls of %s are not in %s yet; looking again in %gs", as_of, self.channel, waits[look])
        return None

    def _search(
        self, as_of: dt.date | str, event: str = REPORT_EVENT, key: str = "as_of", thread: str | None = None
    ) -> str | None:
        day, cursor = (as_of if isinstance(as_of, str) else as_of.isoformat()), None
        for _ in range(self.history_pages):
            try:
                if thread is not None:
                    page = self._api(
                        lambda c=cursor: self.client.conversations_replies(  # type: ignore[misc]
                            channel=self.channel, ts=thread, include_all_metadata=True, limit=_HISTORY_PAGE, cursor=c
                        ),
                        self.channel,
                    )
                else:
                    page = self._api(
                        lambda c=cursor: self.client.conversations_history(  # type: ignore[misc]
                            channel=self.channel, include_all_metadata=True, limit=_HISTORY_PAGE, cursor=c
                        ),
                        self.channel,
                    )
            except Uncertain as exc:
                raise DeliveryError(
                    f"cannot read the history of channel {self.channel} (no clear answer: {exc}); fxbot posts only "
                    "after looking there: try again later"
                ) from None
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == event and (meta.get("event_payload") or {}).get(key) == day:
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        logger.warning(
            "looked through the newest %d messages of %s without finding the calls of %s",
            self.history_pages * _HISTORY_PAGE,
            self.channel,
            day,
        )
        return None

    def _post_short(self, channel: str, text: str, blocks: list[messages.Block], **extra: Any) -> None:
        """One chat.postMessage of an alert or a notice, not reconciled: Uncertain when the answer is unclear."""
        self._api(lambda: self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, **extra), channel)

    def send_alert(self, message: str) -> None:
        """Post a short failure alert to the error channel (else the report channel); never re-sent blindly."""
        try:
            text, blocks = messages.alert_text(message, self.locale), messages.alert_blocks(message, self.locale)
            self._post_short(self.error_channel, text, blocks)
        except Uncertain as exc:
            raise DeliveryError(f"no clear answer to the alert ({exc}); it may or may not have arrived") from None

    def send_notice(self, message: str) -> None:
        """Post a short notice to the report channel (news for its readers, not a failure); never re-sent blindly."""
        try:
            self._post_short(self.channel, *self._notice(message))
        except Uncertain as exc:
            raise UnknownOutcomeError(
                f"no clear answer to the notice ({exc}); it may or may not have arrived"
            ) from None

    def _notice(self, message: str) -> tuple[str, list[messages.Block]]:
        return messages.notice_text(message, self.locale), messages.notice_blocks(message, self.locale)

    def send_keyed_notice(self, message: str, key: str) -> None:
        """Post a notice tagged with ``key`` (message metadata), so that an uncertain post can be looked for.

        No clear answer: the channel is looked at (with the settle waits); found, it was stored;
        not found, it was not: a DeliveryError, and the notice stays pending for the next run. A
        failed look is an UnknownOutcomeError: the next run looks again before sending.
        """
        try:
            metadata = {"event_type": NOTICE_EVENT, "event_payload": {"key": key}}
            self._post_short(self.channel, *self._notice(message), metadata=metadata)
        except Uncertain as exc:
            try:
                found = self.find_notice(key, settle=True)
            except DeliveryError as look:
                raise UnknownOutcomeError(
                    f"no clear answer to the notice ({exc}), and looking for it failed ({look}); the next run looks "
                    "again before sending it"
                ) from None
            if found is None:
                raise DeliveryError(
                    f"no clear answer to the notice ({exc}), and it is not in {self.channel}: not stored; it stays "
                    "pending and the next run sends it"
                ) from None

    def find_notice(self, key: str, *, settle: bool = False) -> str | None:
        """The ts of the notice ``key`` in the report channel, or None if it is not there."""
        waits = (0.0, *self.settle) if settle else (0.0,)
        for wait in waits:
            if wait > 0:
                time.sleep(wait)
            ts = self._search(key, NOTICE_EVENT, "key")
            if ts is not None:
                return ts
        return None

    def check(self) -> list[str]:
        """auth.test, conversations.info and .history: the token works, the bot can post and look. Posts nothing."""
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
            # Every post looks in the channel first: without the history scope no post can be exactly once.
            self._api(lambda: self.client.conversations_history(channel=self.channel, limit=1), self.channel)
            lines.append(f"slack: the bot can read the history of {self.channel} (it looks there before posting)")
        except Uncertain as exc:
            raise DeliveryError(f"no clear answer from Slack ({exc}); try again later") from None
        return lines
