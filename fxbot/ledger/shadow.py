"""The ``shadow_calls`` and ``notices`` tables: a challenger's unposted calls, the records the gate and the
rollback flag judge, and which notices were sent.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from fxbot.ledger.calls import check_kind
from fxbot.ledger.db import LedgerBase, guarded, now

if TYPE_CHECKING:
    from fxbot.signals import PairSignal


class ShadowTable(LedgerBase):
    """Shadow calls, the champion's live record, and the notices already delivered."""

    @guarded
    def notice_sent(self, key: str) -> bool:
        """True if the notice ``key`` (e.g. a gate decision's) was delivered."""
        return self._db.execute("SELECT 1 FROM notices WHERE key = ?", (key,)).fetchone() is not None

    @guarded
    def mark_notice_sent(self, key: str) -> None:
        """Record that the notice ``key`` was delivered."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO notices (key, sent_at) VALUES (?, ?)", (key, now()))

    @guarded
    def record_shadow(self, run_id: int | None, as_of: dt.date, signal: PairSignal, kind: str = "live") -> None:
        """Store a challenger's call (never posted) as ``kind``; a re-run of the same day replaces it."""
        check_kind(kind)
        with self._tx() as db:
            db.execute(
                "INSERT INTO shadow_calls (bar_date, pair, model_version, run_id, as_of, direction, votes, members,"
                " close, kind) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (bar_date, pair, model_version) DO UPDATE SET run_id = excluded.run_id,"
                " as_of = excluded.as_of, direction = excluded.direction, kind = excluded.kind,"
                " votes = excluded.votes, members = excluded.members, close = excluded.close"
                " WHERE shadow_calls.move IS NULL",
                (
                    signal.bar_date.isoformat(),
                    signal.pair.code,
                    signal.model_version,
                    run_id,
                    as_of.isoformat(),
                    signal.vote.direction.value,
                    signal.vote.votes,
                    signal.vote.members,
                    signal.close,
                    kind,
                ),
            )

    @guarded
    def shadow_record(
        self, pair: str, version: str, known_by: dt.date, since: dt.date = dt.date.min, kind: str = "live"
    ) -> list[tuple[bool, bool, bool]]:
        """(challenger right, champion right, up) on each day from ``since`` on that both calls of ``pair`` were
        scored by ``known_by``, both of ``kind`` (a live run's gate reads live calls only)."""
        rows = self._db.execute(
            "SELECT c.right AS shadow, s.right AS champion, s.move AS move FROM shadow_calls c JOIN signals s"
            " ON s.bar_date = c.bar_date AND s.pair = c.pair WHERE c.pair = ? AND c.model_version = ?"
            " AND c.right IS NOT NULL AND s.right IS NOT NULL AND c.outcome_day <= ? AND c.bar_date >= ?"
            " AND c.kind = ? AND s.kind = ? ORDER BY c.bar_date",
            (pair, version, known_by.isoformat(), since.isoformat(), kind, kind),
        )
        return [(bool(r["shadow"]), bool(r["champion"]), r["move"] > 0) for r in rows]

    @guarded
    def live_record(self, pair: str, version: str, last: int, known_by: dt.date) -> list[tuple[bool, bool]]:
        """(right, up) of the latest ``last`` scored live calls ``version`` made for ``pair``, known by ``known_by``."""
        rows = self._db.execute(
            "SELECT right, move FROM signals WHERE pair = ? AND model_version = ? AND right IS NOT NULL"
            " AND outcome_day <= ? AND kind = 'live' ORDER BY bar_date DESC LIMIT ?",
            (pair, version, known_by.isoformat(), last),
        )
        return [(bool(r["right"]), r["move"] > 0) for r in rows]
