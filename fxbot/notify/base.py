"""The Notifier interface: every member ``NotifierManager`` uses, so a new channel is written from this file alone.

A notifier delivers a report, an alert and a notice (``send_report``, ``send_alert``,
``send_notice``). The rest is optional, switched on by a class attribute the manager reads:

    destination      a str: its posts are recorded in the ledger under it, exactly once per day
                     (None: not recorded, e.g. the console)
    takes_summaries  True: ``send_summary`` delivers the weekly summary
    can_reconcile    True: it can look in its channel (``find_posted``, ``find_summary``,
                     ``find_notice``) and tag a notice with a key (``send_keyed_notice``); the
                     channel, not the ledger, is then the record of what was posted
    threads_replies  True: it replies in a post's thread (``send_outcome``, ``find_outcome``)

The manager calls an optional method only when its switch is on; the defaults here say so if one
is called anyway. A notifier without a thread gets earlier outcomes on its next report
(``Report.outcomes``) instead.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from fxbot.outcome import DayOutcome
    from fxbot.signals import Report
    from fxbot.summary import WeeklySummary


class Notifier(ABC):
    """Delivers reports and alerts somewhere a person reads them."""

    #: Its name in logs and in the ledger's deliveries.
    name: ClassVar[str]
    takes_summaries: ClassVar[bool] = False
    can_reconcile: ClassVar[bool] = False
    threads_replies: ClassVar[bool] = False

    @property
    def destination(self) -> str | None:
        """The ledger's key for where it posts (a channel); None: its deliveries are not recorded."""
        return None

    @abstractmethod
    def send_report(self, report: Report) -> str | None:
        """Deliver the day's calls; returns a delivery id (e.g. Slack ts) or None."""

    @abstractmethod
    def send_alert(self, message: str) -> None:
        """Deliver a short failure alert."""

    def send_notice(self, message: str) -> None:
        """Deliver a short notice that is not a failure (the model gate's decision) where reports go.

        Without a notice of its own, a notifier gets it as an alert.
        """
        self.send_alert(message)

    def send_summary(self, summary: WeeklySummary) -> str | None:
        """Deliver the weekly summary (``takes_summaries``); returns a delivery id or None."""
        raise NotImplementedError(f"{self.name} takes no weekly summary")

    def send_outcome(self, outcome: DayOutcome) -> str | None:
        """Reply with a posted day's outcome in its thread (``threads_replies``); returns the reply's id."""
        raise NotImplementedError(f"{self.name} cannot reply in a thread")

    def send_keyed_notice(self, message: str, key: str) -> None:
        """Deliver a notice tagged with ``key``, so that ``find_notice`` finds it (``can_reconcile``)."""
        raise NotImplementedError(f"{self.name} cannot tag a notice")

    def find_posted(self, as_of: dt.date, *, settle: bool = False) -> str | None:
        """The id of the calls of ``as_of`` found in the channel, or None (``can_reconcile``).

        ``settle``: look again after waits before concluding "not there" (after an uncertain post).
        """
        raise NotImplementedError(f"{self.name} cannot look in its channel")

    def find_summary(self, week_end: dt.date, *, settle: bool = False) -> str | None:
        """The id of the weekly summary of the week to ``week_end`` in the channel, or None (``can_reconcile``)."""
        raise NotImplementedError(f"{self.name} cannot look in its channel")

    def find_notice(self, key: str, *, settle: bool = False) -> str | None:
        """The id of the notice tagged ``key`` in the channel, or None (``can_reconcile``)."""
        raise NotImplementedError(f"{self.name} cannot look in its channel")

    def find_outcome(self, outcome: DayOutcome, *, settle: bool = False) -> str | None:
        """The id of ``outcome``'s reply in its post's thread, or None (``threads_replies``)."""
        raise NotImplementedError(f"{self.name} cannot reply in a thread")

    def check(self) -> list[str]:
        """Lines saying the channel is reachable (``fxbot check``); posts nothing. Default: nothing to check."""
        return []
