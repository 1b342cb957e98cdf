"""`fxbot history`: the ledger's calls, their realized outcomes and delivery, as a table."""

from __future__ import annotations

from fxbot.ledger import Ledger
from fxbot.pairs import get_pair


def format_history(ledger: Ledger, days: int | None) -> str:
    """The calls of the latest ``days`` bar days and the running accuracy per pair."""
    rows = ledger.history(days)
    if not rows:
        return "no calls recorded yet; `fxbot run-once` records them"
    header = ["DAY", "PAIR", "CALL", "VOTES", "MOVE", "RESULT", "DELIVERY"]
    table = [
        [
            r.bar_date.isoformat(),
            get_pair(r.pair).display,
            r.direction,
            f"{r.votes}/{r.members}",
            "pending" if r.move is None else f"{r.move:+.2%}",
            "-" if r.right is None else ("right" if r.right else "wrong"),
            r.delivery,
        ]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *table]]
    lines.append("")
    lines.append("accuracy (all scored calls):")
    accuracy = ledger.accuracy_by_pair()
    for code, record in sorted(accuracy.items()):
        share = record.right / record.scored if record.scored else 0.0
        lines.append(f"  {get_pair(code).display}: {record.right}/{record.scored} right ({share:.0%})")
    if not accuracy:
        lines.append("  none scored yet: a call is scored once the next trading day's bar is stored")
    return "\n".join(lines)
