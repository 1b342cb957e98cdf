"""The ``deliveries`` and ``no_outcome`` tables: each attempt to deliver a day's report (exactly once), and
the outcome replies due.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import msgspec

from fxbot.ledger.calls import call_outcome
from fxbot.ledger.db import LedgerBase, guarded, now
from fxbot.ledger.lease import file_lease

if TYPE_CHECKING:
    from fxbot.outcome import DayOutcome


class Delivery(msgspec.Struct, frozen=True):
    """One delivery attempt as stored."""

    id: int
    as_of: dt.date
    destination: str
    notifier: str
    status: str
    intent_at: dt.datetime
    ts: str | None
    error: str | None


class DeliveriesTable(LedgerBase):
    """Deliveries: the intent before a post, its confirmation or failure, and the outcome replies due."""

    def lease(self, as_of: dt.date, destination: str, wait_seconds: float) -> AbstractContextManager[None]:
        """Hold the lease on delivering ``as_of``'s calls to ``destination``; wait up to ``wait_seconds`` for it.

        Raises LeaseHeldError if another live process still holds it after the wait.
        """
        return file_lease(self.path.parent / "leases", as_of, destination, wait_seconds)

    @guarded
    def latest_delivery(self, as_of: dt.date, destination: str) -> Delivery | None:
        """The newest delivery attempt of ``as_of``'s report to ``destination``."""
        row = self._db.execute(
            "SELECT * FROM deliveries WHERE as_of = ? AND destination = ? ORDER BY id DESC LIMIT 1",
            (as_of.isoformat(), destination),
        ).fetchone()
        if row is None:
            return None
        return Delivery(
            id=int(row["id"]),
            as_of=dt.date.fromisoformat(row["as_of"]),
            destination=row["destination"],
            notifier=row["notifier"],
            status=row["status"],
            intent_at=dt.datetime.fromisoformat(row["intent_at"]),
            ts=row["ts"],
            error=row["error"],
        )

    @guarded
    def outcomes_due(self, destination: str, known_by: dt.date, since: dt.date) -> list[DayOutcome]:
        """The posted days from ``since`` to before ``known_by`` whose calls are all scored by ``known_by`` and
        whose outcome has not been delivered (or marked never to be) to ``destination``, oldest first.

        A day counts as posted to ``destination`` when its latest delivery there is ``sent``; its ts is the
        thread the outcome goes into. An outcome row that is ``pending`` or ``failed`` is still due (the
        manager reconciles or retries it); ``sent`` is not, nor a post recorded in ``no_outcome`` (a replay).
        """
        from fxbot.outcome import OUTCOME_PREFIX, DayOutcome  # on first use, as the calls' other value types

        posted = self._db.execute(
            "SELECT as_of, ts FROM deliveries d WHERE destination = ? AND status = 'sent' AND as_of >= ?"
            " AND as_of < ? AND id = (SELECT MAX(id) FROM deliveries e WHERE e.as_of = d.as_of"
            " AND e.destination = d.destination) ORDER BY as_of",
            (destination, since.isoformat(), known_by.isoformat()),
        ).fetchall()
        out = []
        for post in posted:
            done = self.latest_delivery(dt.date.fromisoformat(post["as_of"]), OUTCOME_PREFIX + destination)
            if done is not None and done.status == "sent":
                continue
            never = "SELECT 1 FROM no_outcome WHERE as_of = ? AND destination = ?"
            if self._db.execute(never, (post["as_of"], destination)).fetchone() is not None:
                continue
            rows = self._db.execute("SELECT * FROM signals WHERE as_of = ? ORDER BY pair", (post["as_of"],)).fetchall()
            if not rows or any(r["right"] is None or r["outcome_day"] > known_by.isoformat() for r in rows):
                continue
            calls = [call_outcome(r) for r in rows]
            out.append(DayOutcome(dt.date.fromisoformat(post["as_of"]), calls, post["ts"]))
        return out

    @guarded
    def skip_outcome(self, as_of: dt.date, destination: str, reason: str) -> None:
        """Record that the outcome of ``as_of``'s post to ``destination`` is never to be sent (a replay's)."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO no_outcome VALUES (?, ?, ?)", (as_of.isoformat(), destination, reason))

    @guarded
    def begin_delivery(self, run_id: int | None, as_of: dt.date, destination: str, notifier: str) -> int:
        """Commit the intent to post (status pending) before posting; returns the delivery id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO deliveries (run_id, as_of, destination, notifier, status, intent_at)"
                " VALUES (?, ?, ?, ?, 'pending', ?)",
                (run_id, as_of.isoformat(), destination, notifier, now()),
            )
        return int(cur.lastrowid or 0)

    @guarded
    def mark_sent(self, delivery_id: int, ts: str | None) -> None:
        """Record a confirmed post and its Slack message timestamp."""
        self._set_delivery(delivery_id, "sent", ts=ts)

    @guarded
    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a post that is known not to have happened."""
        self._set_delivery(delivery_id, "failed", error=error)

    def _set_delivery(self, delivery_id: int, status: str, *, ts: str | None = None, error: str | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE deliveries SET status = ?, done_at = ?, ts = COALESCE(?, ts), error = ? WHERE id = ?",
                (status, now(), ts, error, delivery_id),
            )
