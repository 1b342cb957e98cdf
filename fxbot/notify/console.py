"""Console notifier: the report as a plain table on stdout (the embedded default), in English or Japanese.

The console's rendering lives here (the report's table, the weekly summary's lines); the phrases it
shares with Slack's messages come from ``fxbot.notify.messages``, the words from the catalogue.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from fxbot.notify import messages
from fxbot.notify.base import Notifier
from fxbot.notify.catalogue import words

if TYPE_CHECKING:
    from fxbot.signals import Report
    from fxbot.summary import WeeklySummary


def format_table(report: Report, locale: str = "en") -> str:
    """The report as an aligned text table with its warnings, each call's risk, the portfolio and the evidence."""
    return "\n".join(report_lines(report, locale))


def report_lines(report: Report, locale: str = "en") -> list[str]:
    """The report as plain text for the console: a table with each call's risk, then portfolio and evidence."""
    w = words(locale)
    header = list(w.header)
    rows = [
        [
            s.pair.display,
            s.bar_date.isoformat(),
            f"{s.close:.{s.pair.price_decimals}f}",
            s.for_day.isoformat(),
            w.buy if s.vote.direction.value == "BUY" else w.sell,
            s.vote.label,
            f"{s.position.leverage:.2f}{w.times}",
            f"{s.position.notional_jpy:,.0f}",
            f"{s.position.units:,.0f} {s.pair.base}",
            messages.loss_text(s, locale),
        ]
        for s in report.signals
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    title = w.title.format(as_of=report.as_of.isoformat())
    lines = [f"{title}{w.paren[0]}{w.data_to.format(day=report.last_bar.isoformat())}{w.paren[1]}"]
    for warning in report.warnings:
        lines.append(f"{w.warning}: {warning}")
    edge = messages.edge_text(report, locale)
    if edge is not None and report.edge_warning:
        lines.append(f"{w.warning}: {edge}")
    lines.append("  ".join(_pad(h, width, left=True) for h, width in zip(header, widths, strict=True)))
    for row in rows:
        lines.append(
            "  ".join(
                _pad(c, width, left=i < 2 or i == 4) for i, (c, width) in enumerate(zip(row, widths, strict=True))
            )
        )
    for s in report.signals:
        held = f"{s.pair.display}: {w.held}: {messages.held_text(s, locale)}"
        if s.evidence is not None:
            held += f" · {w.walk_forward}: {messages.walk_forward_text(s.evidence, locale)}"
        lines.append(held)
    portfolio = messages.portfolio_text(report, locale)
    if portfolio is not None:
        lines.append(f"{w.portfolio}: {portfolio}")
    evidence = messages.evidence_text(report, locale)
    if evidence is not None:
        lines.append(f"{w.evidence}: {evidence}" + (f" {edge}" if edge is not None and not report.edge_warning else ""))
    versions = sorted({s.model_version for s in report.signals})
    age = messages.model_age_text(report.model_age, locale).removeprefix(":warning: ")
    lines.append(f"{w.models}: {', '.join(versions)}" + (f" · {age}" if age else ""))
    if report.track is not None or report.track_record:
        lines.append(f"{w.track_label}: {messages.track_text(report.track, locale)}")
    lines.append(w.advice)
    return lines


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text


def summary_lines(summary: WeeklySummary, locale: str = "en") -> list[str]:
    """The weekly summary as plain lines for the console."""
    w = words(locale)
    lines = [w.summary.title.format(end=summary.week_end.isoformat())]
    for scope in [*summary.pairs, summary.pooled]:
        week, running = messages.scope_lines(summary, scope, locale)
        lines += [f"{messages.scope_name(scope, locale)}:", f"  {week}", f"  {running}"]
    risk = messages.risk_line(summary, locale)
    lines += [*([risk] if risk else []), messages.basis_line(summary, locale), w.advice]
    return lines


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
        print("\n".join(summary_lines(summary, self.locale)), file=self.stream or sys.stdout, flush=True)
        return None

    def send_alert(self, message: str) -> None:
        """Print the alert to stderr."""
        print(f"ALERT: {message}", file=self.stream or sys.stderr, flush=True)

    def send_notice(self, message: str) -> None:
        """Print the notice where reports go."""
        print(f"NOTICE: {message}", file=self.stream or sys.stdout, flush=True)
