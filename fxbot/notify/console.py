"""Console notifier: the report as a plain table on stdout (the embedded default)."""

from __future__ import annotations

import sys
from typing import TextIO

from fxbot.signals import Report


def format_table(report: Report) -> str:
    """The report as an aligned text table with its warnings."""
    header = ["PAIR", "LAST BAR", "CLOSE", "CALL FOR", "CALL", "VOTES", "LEVERAGE", "NOTIONAL JPY", "UNITS"]
    rows = [
        [
            s.pair.display,
            s.bar_date.isoformat(),
            f"{s.close:.{s.pair.price_decimals}f}",
            s.for_day.isoformat(),
            s.vote.direction.value,
            s.vote.label,
            f"{s.position.leverage:.2f}x",
            f"{s.position.notional_jpy:,.0f}",
            f"{s.position.units:,.0f} {s.pair.base}",
        ]
        for s in report.signals
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"fxbot calls as of {report.as_of.isoformat()} (data up to {report.last_bar.isoformat()})"]
    for warning in report.warnings:
        lines.append(f"WARNING: {warning}")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i < 2 or i == 4 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    versions = sorted({s.model_version for s in report.signals})
    lines.append(f"models: {', '.join(versions)}")
    if report.model_age is not None:
        age = report.model_age
        lines.append(f"models trained to: {age.trained_to.isoformat()} ({age.age_days} days)")
    if report.track_record:
        lines.append(f"track record: {report.track_record}")
    lines.append("Not investment advice.")
    return "\n".join(lines)


class ConsoleNotifier:
    """Prints reports and alerts."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send_report(self, report: Report) -> str | None:
        """Print the table."""
        print(format_table(report), file=self.stream or sys.stdout, flush=True)
        return None

    def send_alert(self, message: str) -> None:
        """Print the alert to stderr."""
        print(f"ALERT: {message}", file=self.stream or sys.stderr, flush=True)
