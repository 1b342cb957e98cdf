"""Console notifier: the report as a plain table on stdout (the embedded default), in English or Japanese."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from fxbot.notify import messages
from fxbot.notify.base import Notifier
from fxbot.signals import Report

if TYPE_CHECKING:
    from fxbot.summary import WeeklySummary


def format_table(report: Report, locale: str = "en") -> str:
    """The report as an aligned text table with its warnings, each call's risk, the portfolio and the evidence."""
    return "\n".join(messages.report_lines(report, locale))


class ConsoleNotifier(Notifier):
    """Prints reports and alerts (no destination: nothing it prints is recorded in the ledger)."""

    name = "console"
    takes_summaries = True

    def __init__(self, stream: TextIO | None = None, locale: str = "en") -> None:
        self.stream = stream
        self.locale = locale

    def send_report(self, report: Report) -> str | None:
        """Print the table."""
        print(format_table(report, self.locale), file=self.stream or sys.stdout, flush=True)
        return None

    def send_summary(self, summary: WeeklySummary) -> str | None:
        """Print the weekly summary."""
        from fxbot.summary import summary_lines

        print("\n".join(summary_lines(summary, self.locale)), file=self.stream or sys.stdout, flush=True)
        return None

    def send_alert(self, message: str) -> None:
        """Print the alert to stderr."""
        print(f"ALERT: {message}", file=self.stream or sys.stderr, flush=True)

    def send_notice(self, message: str) -> None:
        """Print the notice where reports go."""
        print(f"NOTICE: {message}", file=self.stream or sys.stdout, flush=True)
