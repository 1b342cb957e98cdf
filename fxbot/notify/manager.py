"""The notifier manager: delivers a report to every notifier exactly once, isolating their failures.

A broken notifier never stops the others: each is tried, failures are collected, and the first
delivery error is raised after all have had their turn (exit code 4).

Notifiers with a ``destination`` (Slack) go through the ledger, keyed on (as-of day, destination).
Without ``--force``:

    latest attempt   bot token (can reconcile)                  webhook (cannot)
    sent             not posted again; said so                  the same
    none / failed    look in the channel first: found -> record  record the intent (pending),
                     it as sent with the ts found, no post;      post, record sent or failed
                     not found -> pending, post, sent/failed
    pending          a run died or got no clear answer: look     not posted; exit 4 "check the
                     in the channel (waiting for Slack to be     channel; `fxbot run-once --force`
                     consistent): found -> sent with its ts;     posts it again"
                     not found -> failed, then post

So with the bot token a lost, truncated or replaced ledger cannot cause a second post: the channel
is the record of what was posted, and the ledger learns the ts found there. A post whose outcome
stays uncertain (``UnknownOutcomeError``) leaves its intent pending for the next run; a failure
that proves nothing was posted is recorded as failed. ``--force`` posts regardless (no look, no
reconciling) and records a new attempt: posting twice is then the person's decision.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, TextIO

import msgspec

from fxbot.errors import DeliveryError, FxbotError, UnknownOutcomeError
from fxbot.ledger import Ledger, NullLedger
from fxbot.notify.base import Notifier
from fxbot.outcome import OUTCOME_PREFIX, DayOutcome
from fxbot.signals import Report

if TYPE_CHECKING:
    from fxbot.summary import WeeklySummary

logger = logging.getLogger(__name__)


class _Post(msgspec.Struct, frozen=True):
    """One kind of message delivered exactly once per (key day, destination)."""

    key: dt.date
    what: str  # e.g. "the calls as of 2024-06-14"
    weekly: bool
    send: Callable[[Notifier], str | None]
    find: Callable[[Notifier, bool], str | None]
    force_command: str
    plural: bool = True  # "the calls ... were", "the weekly summary ... was"
    prefix: str = ""  # the ledger destination's prefix when not the daily or weekly one (an outcome reply)

    def were(self) -> str:
        """The verb after ``what`` in the past."""
        return "were" if self.plural else "was"

    def are(self) -> str:
        """The verb after ``what`` in the present."""
        return "are" if self.plural else "is"

    def destination(self, base: str) -> str:
        """The ledger's destination key: the channel (daily) or ``weekly:<channel>``."""
        if self.prefix:
            return f"{self.prefix}{base}"
        return f"{WEEKLY_PREFIX}{base}" if self.weekly else base


#: The ledger destination of a weekly summary is its channel's with this prefix (keyed on the week's Friday).
WEEKLY_PREFIX = "weekly:"


def _daily_post(report: Report) -> _Post:
    return _Post(
        key=report.as_of,
        what=f"the calls as of {report.as_of.isoformat()}",
        weekly=False,
        send=lambda n: n.send_report(report),
        find=lambda n, settle: n.find_posted(report.as_of, settle=settle),
        force_command="fxbot run-once --force",
    )


def _weekly_post(summary: WeeklySummary) -> _Post:
    return _Post(
        key=summary.week_end,
        what=f"the weekly summary of the week to {summary.week_end.isoformat()}",
        weekly=True,
        send=lambda n: n.send_summary(summary),
        find=lambda n, settle: n.find_summary(summary.week_end, settle=settle),
        force_command=f"fxbot summary --week {summary.week_end.isoformat()} --force",
        plural=False,
    )


def _outcome_post(outcome: DayOutcome) -> _Post:
    return _Post(
        key=outcome.as_of,
        what=f"the outcome of the calls as of {outcome.as_of.isoformat()}",
        weekly=False,
        send=lambda n: n.send_outcome(outcome),
        find=lambda n, settle: n.find_outcome(outcome, settle=settle),
        force_command="(an outcome reply is never forced: check the post's thread)",
        plural=False,
        prefix=OUTCOME_PREFIX,
    )


class DeliveryResult(msgspec.Struct, frozen=True):
    """What the manager did for the report: how many posts, how many skipped as already delivered."""

    posted: int
    skipped: int


class NotifierManager:
    """Hands a report (or an alert) to every notifier; the ledger makes Slack posts exactly once."""

    def __init__(
        self, notifiers: Sequence[Notifier], ledger: Ledger | NullLedger | None, out: TextIO | None = None
    ) -> None:
        self.notifiers = list(notifiers)
        self.ledger = ledger
        self.out = out

    def _say(self, line: str) -> None:
        print(line, file=self.out or sys.stdout, flush=True)

    @contextmanager
    def leases(self, day: dt.date, wait: float, *, weekly: bool = False) -> Iterator[None]:
        """Hold the lease on delivering ``day`` (a week's Friday with ``weekly``) to each notifier's destination.

        One live run per (day, destination): a second one waits here up to ``wait`` seconds, then finds
        the day delivered. The leases are taken in sorted order, so two runs never hold one each.
        """
        prefix = WEEKLY_PREFIX if weekly else ""
        with ExitStack() as held:
            if self.ledger is not None:
                for destination in sorted({d for n in self.notifiers if (d := n.destination)}):
                    held.enter_context(self.ledger.lease(day, prefix + destination, wait))
            yield

    def deliver(self, report: Report, *, run_id: int | None = None, force: bool = False) -> DeliveryResult:
        """Deliver ``report`` to each notifier; raise the first DeliveryError once all were tried."""
        return self._deliver_all(_daily_post(report), run_id, force)

    def deliver_summary(
        self, summary: WeeklySummary, *, run_id: int | None = None, force: bool = False
    ) -> DeliveryResult:
        """Deliver the weekly summary to each notifier that takes one, exactly once per week (keyed on its Friday)."""
        return self._deliver_all(_weekly_post(summary), run_id, force)

    def deliver_outcomes(self, known_by: dt.date, since: dt.date, *, run_id: int | None = None) -> list[DayOutcome]:
        """Reply in each posted day's thread with its outcome, exactly once per (day, channel); returns those sent.

        Only notifiers that thread replies (``threads_replies``) take part; the days due come from the ledger
        (``Ledger.outcomes_due``). Nothing raises: a reply that fails or stays uncertain is logged and
        stays due (a pending one is looked for in the thread first), so the day's post is never failed by it.
        """
        ledger = self.ledger
        sent: list[DayOutcome] = []
        if ledger is None:
            return sent
        for notifier in self.notifiers:
            base = notifier.destination
            if base is None or not notifier.threads_replies:
                continue
            for outcome in ledger.outcomes_due(base, known_by, since):
                if outcome.parent_ts is None:  # no thread to reply in (the post's ts was never learned)
                    continue
                post = _outcome_post(outcome)
                try:
                    with ledger.lease(outcome.as_of, post.destination(base), 0.0):
                        if self._deliver_one(notifier, post, run_id, force=False):
                            sent.append(outcome)
                except FxbotError as exc:
                    logger.warning("%s: the outcome of %s was not replied: %s", notifier.name, outcome.as_of, exc)
        return sent

    def _deliver_all(self, post: _Post, run_id: int | None, force: bool) -> DeliveryResult:
        errors: list[DeliveryError] = []
        posted = skipped = 0
        for notifier in self.notifiers:
            if post.weekly and not notifier.takes_summaries:
                continue
            try:
                if self._deliver_one(notifier, post, run_id, force):
                    posted += 1
                else:
                    skipped += 1
            except DeliveryError as exc:
                # The first error is raised and printed once by the CLI; only the others need a log line.
                (logger.info if not errors else logger.error)("%s: %s", notifier.name, exc)
                errors.append(exc)
            except Exception as exc:  # a notifier's bug must not stop the others
                logger.exception("%s failed unexpectedly", notifier.name)
                errors.append(DeliveryError(f"{notifier.name} failed unexpectedly: {type(exc).__name__}: {exc}"))
        if errors:
            raise errors[0]
        return DeliveryResult(posted, skipped)

    def _deliver_one(self, notifier: Notifier, post: _Post, run_id: int | None, force: bool) -> bool:
        """True if posted, False if skipped as already delivered."""
        base = notifier.destination
        if base is None or self.ledger is None:
            post.send(notifier)
            return True
        destination = post.destination(base)
        ledger, day, what = self.ledger, post.key, post.what
        previous = ledger.latest_delivery(day, destination)
        if not force:
            if previous is not None and previous.status == "sent":
                when = f" (message ts {previous.ts})" if previous.ts else ""
                self._say(
                    f"fxbot: {what} {post.were()} already posted to {base}{when}; "
                    "not posting again (--force posts anyway)"
                )
                return False
            interrupted = previous is not None and previous.status == "pending"
            if notifier.can_reconcile:
                # The channel, not the ledger, is the record: look there before the first post of a day too.
                ts = post.find(notifier, interrupted)
                if ts is not None:
                    if previous is not None and interrupted:
                        ledger.mark_sent(previous.id, ts)
                        self._say(
                            f"fxbot: an interrupted run had already posted {what} to {base} "
                            f"(message ts {ts}); recorded it, not posting again"
                        )
                    else:
                        ledger.mark_sent(ledger.begin_delivery(run_id, day, destination, notifier.name), ts)
                        self._say(
                            f"fxbot: {what} {post.are()} already in the channel {base} (message ts {ts}) "
                            "though the ledger had no record of them; recorded them, not posting again "
                            "(--force posts anyway)"
                        )
                    return False
                if previous is not None and interrupted:
                    ledger.mark_failed(previous.id, "not found in the channel after an interrupted run")
                    logger.warning("an interrupted post of %s was not found in %s; posting now", what, base)
            elif previous is not None and interrupted:
                raise DeliveryError(
                    f"a run at {previous.intent_at:%Y-%m-%d %H:%M} UTC started posting {what} "
                    f"through {notifier.name} but never confirmed it; fxbot cannot tell whether the message "
                    f"arrived: check the channel, and run `{post.force_command}` to post it again if missing"
                )
        delivery_id = ledger.begin_delivery(run_id, day, destination, notifier.name)
        try:
            ts = post.send(notifier)
        except DeliveryError as exc:
            if not isinstance(exc, UnknownOutcomeError):
                ledger.mark_failed(delivery_id, str(exc))
            raise
        except Exception as exc:
            ledger.mark_failed(delivery_id, f"{type(exc).__name__}: {exc}")
            raise
        ledger.mark_sent(delivery_id, ts)
        return True

    def alert(self, message: str) -> bool:
        """Send ``message`` to every notifier as an alert; True if every one delivered it."""
        delivered = True
        for notifier in self.notifiers:
            try:
                notifier.send_alert(message)
            except Exception as exc:
                delivered = False
                detail = "" if str(exc) in message else f": {exc}"  # the same failure is printed once already
                logger.error("%s could not deliver the alert either%s", notifier.name, detail)
        return delivered

    def notice(self, message: str, *, key: str | None = None) -> bool:
        """Send ``message`` to every notifier as a notice (news, not a failure); True if none is left to retry.

        With ``key`` and a ledger, each notifier gets it at most once per key and is tried again on
        the next call after a clear failure. A notifier that can look in its channel (the bot token)
        posts it tagged with ``key`` and, after an uncertain answer, looks: a notice Slack did not
        store stays pending and goes out with the next call, which looks first (never twice). A
        notifier that cannot look (the webhook) is never sent it again after an uncertain answer
        (Slack may have posted it). A notifier without notices gets it as an alert. Nothing raises:
        a notice never fails the run that made it.
        """
        ledger = self.ledger if isinstance(self.ledger, Ledger) else None
        left = False
        for notifier in self.notifiers:
            done = f"{key}@{notifier.name}" if key is not None and ledger is not None else None
            if done is not None and ledger is not None and ledger.notice_sent(done):
                continue
            keyed = key if done is not None and notifier.can_reconcile else None
            try:
                if keyed is not None:
                    if notifier.find_notice(keyed) is None:
                        notifier.send_keyed_notice(message, keyed)
                else:
                    notifier.send_notice(message)  # one without notices of its own sends an alert
            except UnknownOutcomeError as exc:
                if keyed is not None:  # it can look: the next call looks before sending
                    left = True
                    logger.error("%s: %s", notifier.name, exc)
                    continue
                logger.error("%s: %s; it is not sent again", notifier.name, exc)
            except Exception as exc:
                left = True
                logger.error("%s could not deliver the notice (the next run tries again): %s", notifier.name, exc)
                continue
            if done is not None and ledger is not None:
                ledger.mark_notice_sent(done)
        return not left
