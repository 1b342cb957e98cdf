"""The ``runs`` table: one row per `run-once`, its start, end, status and error; the ledger's health."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from fxbot.ledger.db import LedgerBase, guarded, now

if TYPE_CHECKING:
    import sqlite3


class RunsTable(LedgerBase):
    """Runs: started, finished, abandoned by a killed child; which days completed."""

    @guarded
    def start_run(self, as_of: dt.date | None) -> int:
        """Record that a run started; returns its id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (started_at, as_of, status) VALUES (?, ?, 'running')",
                (now(), as_of.isoformat() if as_of else None),
            )
        return int(cur.lastrowid or 0)

    @guarded
    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        """Record how a run ended (ok, skipped, failed) and its error line."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET ended_at = ?, status = ?, error = ? WHERE id = ?", (now(), status, error, run_id)
            )

    @guarded
    def abandon_running(self, as_of: dt.date | None, error: str) -> int:
        """Mark runs left ``running`` by a child that was killed as failed; record one if none had started.

        Used by the daemon after a child hung or crashed: the child could not finish its own row.
        Returns how many rows now carry the error.
        """
        with self._tx() as db:
            cur = db.execute(
                "UPDATE runs SET ended_at = ?, status = 'failed', error = ? WHERE status = 'running'", (now(), error)
            )
            if cur.rowcount:
                return int(cur.rowcount)
            db.execute(
                "INSERT INTO runs (started_at, ended_at, as_of, status, error) VALUES (?, ?, ?, 'failed', ?)",
                (now(), now(), as_of.isoformat() if as_of else None, error),
            )
            return 1

    @guarded
    def completed(self, as_of: dt.date) -> bool:
        """True if a run for ``as_of`` ended ok (posted, or found its post already delivered)."""
        row = self._db.execute(
            "SELECT 1 FROM runs WHERE as_of = ? AND status IN ('ok', 'skipped') LIMIT 1", (as_of.isoformat(),)
        ).fetchone()
        return row is not None

    @guarded
    def health(self) -> dict[str, str | int]:
        """SQLite's quick_check, and counts of runs, failed runs and unconfirmed (pending) deliveries."""
        db = self._db
        return {
            "integrity": str(db.execute("PRAGMA quick_check").fetchone()[0]),
            "runs": int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]),
            "failed": int(db.execute("SELECT COUNT(*) FROM runs WHERE status = 'failed'").fetchone()[0]),
            "pending": int(db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetchone()[0]),
        }

    @guarded
    def runs(self, limit: int = 20) -> list[sqlite3.Row]:
        """The latest runs, newest first."""
        return list(self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)))
