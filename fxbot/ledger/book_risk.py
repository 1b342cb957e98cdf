"""The ``book_risk`` table: the loss figures each day's post showed for its book, and how they fared."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from fxbot.ledger.db import LedgerBase, guarded

if TYPE_CHECKING:
    import sqlite3

    from fxbot.signals import Report


class BookRisk(msgspec.Struct, frozen=True):
    """The loss figures recorded for one day's book (positive JPY; None where too little history)."""

    bar_date: dt.date
    equity_jpy: float
    gross_leverage: float
    loss_20d_jpy: float | None
    source: str | None
    worst_20d_jpy: float | None
    worst_start: dt.date | None
    worst_end: dt.date | None
    loss_1d_jpy: float | None


def book_risk_row(row: sqlite3.Row) -> BookRisk:
    def day(text: str | None) -> dt.date | None:
        return None if text is None else dt.date.fromisoformat(text)

    return BookRisk(
        dt.date.fromisoformat(row["bar_date"]),
        float(row["equity_jpy"]),
        float(row["gross_leverage"]),
        row["loss_20d_jpy"],
        row["source"],
        row["worst_20d_jpy"],
        day(row["worst_start"]),
        day(row["worst_end"]),
        row["loss_1d_jpy"],
    )


def record_book_risk(db: sqlite3.Connection, run_id: int, report: Report) -> None:
    """The loss figures the report showed for its book (``fxbot.risk``), kept as shown: the posted day's stay.

    Written in the transaction of the day's calls (one commit, one fsync)."""
    risk = report.portfolio_risk
    if risk is None or not report.signals:
        return
    head, worst, day = risk.headline, risk.worst, risk.day
    db.execute(
        "INSERT INTO book_risk VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (bar_date) DO UPDATE SET"
        " run_id = excluded.run_id, equity_jpy = excluded.equity_jpy,"
        " gross_leverage = excluded.gross_leverage, loss_20d_jpy = excluded.loss_20d_jpy,"
        " source = excluded.source, worst_20d_jpy = excluded.worst_20d_jpy,"
        " worst_start = excluded.worst_start, worst_end = excluded.worst_end,"
        " loss_1d_jpy = excluded.loss_1d_jpy"
        " WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.as_of = ? AND d.status = 'sent')",
        (
            report.last_bar.isoformat(),
            run_id,
            risk.equity_jpy,
            risk.gross_leverage,
            head.loss_jpy if head else None,
            head.source if head else None,
            worst.worst_jpy if worst else None,
            worst.worst_start.isoformat() if worst else None,
            worst.worst_end.isoformat() if worst else None,
            day.loss_jpy if day else None,
            report.as_of.isoformat(),
        ),
    )


class BookRiskTable(LedgerBase):
    """The recorded books' loss figures (written with the day's calls, ``record_book_risk``)."""

    @guarded
    def book_risk(self, bar_date: dt.date | None = None, *, until: dt.date | None = None) -> BookRisk | None:
        """The loss figures recorded for ``bar_date``'s live book (default: the latest, or the latest up to ``until``).

        A replay's figures are kept (its post showed them) but never count as the live book's."""
        day, op = (bar_date, "=") if bar_date else (until, "<=")
        where = f" AND b.bar_date {op} ?" if day else ""
        sql = (
            "SELECT b.* FROM book_risk b WHERE EXISTS (SELECT 1 FROM signals s WHERE s.bar_date = b.bar_date"
            f" AND s.kind = 'live'){where} ORDER BY b.bar_date DESC LIMIT 1"
        )
        row = self._db.execute(sql, (day.isoformat(),) if day else ()).fetchone()
        return None if row is None else book_risk_row(row)

    @guarded
    def var_record(self) -> list[tuple[BookRisk, float]]:
        """Each recorded book's figures with the P/L its live calls realised the next day (JPY), where scored."""
        rows = self._db.execute(
            "SELECT b.*, SUM(CASE s.direction WHEN 'BUY' THEN 1 ELSE -1 END * s.notional_jpy * s.move) AS pnl,"
            " COUNT(s.move) AS scored, COUNT(*) AS calls"
            " FROM book_risk b JOIN signals s ON s.bar_date = b.bar_date WHERE s.kind = 'live'"
            " GROUP BY b.bar_date ORDER BY b.bar_date"
        ).fetchall()
        return [(book_risk_row(r), float(r["pnl"])) for r in rows if r["scored"] == r["calls"] and r["pnl"] is not None]
