"""`fxbot history`: the ledger's calls, their realized outcomes and delivery, as a table."""

from __future__ import annotations

from fxbot.ledger import BookRisk, Ledger
from fxbot.pairs import get_pair
from fxbot.risk import exceedances


def format_history(ledger: Ledger, days: int | None) -> str:
    """The calls of the latest ``days`` bar days and the running accuracy per pair."""
    rows = ledger.history(days)
    if not rows:
        return "no calls recorded yet; `fxbot run-once` records them"
    header = ["DAY", "PAIR", "CALL", "VOTES", "MOVE", "RESULT", "DELIVERY", "KIND"]
    table = [
        [
            r.bar_date.isoformat(),
            get_pair(r.pair).display,
            r.direction,
            f"{r.votes}/{r.members}",
            "pending" if r.move is None else f"{r.move:+.2%}",
            "-" if r.right is None else ("right" if r.right else "wrong"),
            r.delivery,
            r.kind,
        ]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *table]]
    lines.append("")
    lines.append("accuracy (all scored live calls; replays never count):")
    accuracy = ledger.accuracy_by_pair()
    for code, record in sorted(accuracy.items()):
        share = record.right / record.scored if record.scored else 0.0
        buy = f", always-buy {record.always_buy_right}" if record.always_buy_right is not None else ""
        lines.append(f"  {get_pair(code).display}: {record.right}/{record.scored} right ({share:.0%}){buy}")
    if not accuracy:
        lines.append("  none scored yet: a call is scored once the next trading day's bar is stored")
    replayed = ledger.accuracy_by_pair("replay")
    if replayed:
        lines.append("replayed calls (--as-of a past day: history, not a track record; not counted above):")
        for code, record in sorted(replayed.items()):
            lines.append(
                f"  {get_pair(code).display}: {record.right}/{record.scored} right, "
                f"always-buy {record.always_buy_right}"
            )
    lines += ["", *var_lines(ledger.var_record())]
    return "\n".join(lines)


def var_lines(record: list[tuple[BookRisk, float]]) -> list[str]:
    """The 1-day 99 % loss each day's post showed against the P/L its book realised: exceedances and Kupiec's test."""
    shown = [(book.bar_date, book.loss_1d_jpy, -pnl) for book, pnl in record if book.loss_1d_jpy is not None]
    if not shown:
        return ["loss figures against outcomes: no scored day with a recorded loss figure yet"]
    x, n, p_value = exceedances([loss for *_, loss in shown], [figure for _, figure, _ in shown])
    latest = [day.isoformat() for day, figure, loss in shown if loss > figure][-3:]
    days = f" (latest: {', '.join(latest)})" if latest else ""
    return [
        f"loss figures against outcomes: the 1-day 99% loss was exceeded on {x} of {n} scored days{days}; "
        f"expected {n * 0.01:.1f}; Kupiec p={p_value:.2f}"
        + (" (too few days to judge: a 99% figure needs hundreds)" if n < 250 else "")
    ]
