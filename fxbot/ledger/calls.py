"""The ``signals`` table: each day's call per pair and, once the next bar is stored, its outcome; the live records."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import msgspec

from fxbot.ledger.book_risk import record_book_risk
from fxbot.ledger.db import LedgerBase, guarded

# fxbot.outcome and fxbot.signals (with the value types they bring) are imported where a row becomes one of
# their values, not with the ledger: opening it to record or check a run needs neither.
if TYPE_CHECKING:
    import sqlite3

    from fxbot.data.bars import Bars
    from fxbot.outcome import CallOutcome
    from fxbot.signals import Report, TrackRecord

logger = logging.getLogger(__name__)

#: What a recorded call is: made for the day after the last close (live), for an earlier day (replay), or dry.
KINDS = ("live", "replay", "dry")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"a call's kind is one of {', '.join(KINDS)}, not {kind!r}")


def call_outcome(r: sqlite3.Row) -> CallOutcome:
    """A scored signals row as the outcome of its call."""
    from fxbot.outcome import CallOutcome

    return CallOutcome(
        pair=r["pair"],
        direction=r["direction"],
        votes=int(r["votes"]),
        members=int(r["members"]),
        leverage=float(r["leverage"]),
        notional_jpy=float(r["notional_jpy"]),
        close=float(r["close"]),
        outcome_day=dt.date.fromisoformat(r["outcome_day"]),
        outcome_close=float(r["outcome_close"]),
        move=float(r["move"]),
        right=bool(r["right"]),
        bar_date=dt.date.fromisoformat(r["bar_date"]),
    )


class HistoryRow(msgspec.Struct, frozen=True):
    """One pair's call on one day, with its outcome and the day's delivery status."""

    bar_date: dt.date
    pair: str
    direction: str
    votes: int
    members: int
    move: float | None
    right: bool | None
    delivery: str
    kind: str = "live"  # live, replay or dry (``KINDS``)


class ScoredCall(msgspec.Struct, frozen=True):
    """A recorded call with its realised outcome: held from ``bar_date``'s close to ``outcome_day``'s."""

    bar_date: dt.date
    pair: str
    direction: str
    close: float
    outcome_day: dt.date
    outcome_close: float
    move: float
    right: bool


class CallsTable(LedgerBase):
    """The ``signals`` table: each day's call per pair, its outcome once the next bar is stored."""

    @guarded
    def record_signals(self, run_id: int, report: Report, kind: str = "live") -> None:
        """Store each pair's call of ``report`` as ``kind`` (live, replay); a re-run of the same bar day replaces
        it unless that day was posted."""
        check_kind(kind)
        kept = self._posted_calls_that_differ(report)
        if kept:
            logger.warning(
                "the calls of %s were posted already and stay as posted in the ledger; this run's differ for %s",
                report.as_of,
                ", ".join(kept),
            )
        with self._tx() as db:
            for s in report.signals:
                db.execute(
                    "INSERT INTO signals (bar_date, pair, run_id, as_of, for_day, direction, votes, members, close,"
                    " leverage, notional_jpy, units, model_version, kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (bar_date, pair) DO UPDATE SET run_id = excluded.run_id, as_of = excluded.as_of,"
                    " kind = excluded.kind,"
                    " direction = excluded.direction, votes = excluded.votes, members = excluded.members,"
                    " close = excluded.close, leverage = excluded.leverage, notional_jpy = excluded.notional_jpy,"
                    " units = excluded.units, model_version = excluded.model_version"
                    # the calls of a day that reached a channel stay what the channel received
                    " WHERE NOT EXISTS"
                    " (SELECT 1 FROM deliveries d WHERE d.as_of = signals.as_of AND d.status = 'sent')",
                    (
                        s.bar_date.isoformat(),
                        s.pair.code,
                        run_id,
                        report.as_of.isoformat(),
                        s.for_day.isoformat(),
                        s.vote.direction.value,
                        s.vote.votes,
                        s.vote.members,
                        s.close,
                        s.position.leverage,
                        s.position.notional_jpy,
                        s.position.units,
                        s.model_version,
                        kind,
                    ),
                )
            record_book_risk(db, run_id, report)

    @guarded
    def _posted_calls_that_differ(self, report: Report) -> list[str]:
        rows = self._db.execute(
            "SELECT s.bar_date, s.pair, s.direction FROM signals s WHERE EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.as_of = s.as_of AND d.status = 'sent')"
        ).fetchall()
        posted = {(r["bar_date"], r["pair"]): r["direction"] for r in rows}
        return [
            s.pair.code
            for s in report.signals
            if posted.get((s.bar_date.isoformat(), s.pair.code), s.vote.direction.value) != s.vote.direction.value
        ]

    @guarded
    def update_outcomes(self, bars_by_pair: dict[str, Bars]) -> int:
        """Score every open call (and shadow call) whose next bar is now stored; returns how many were scored."""
        return self._score("signals", bars_by_pair) + self._score("shadow_calls", bars_by_pair)

    def _score(self, table: str, bars_by_pair: dict[str, Bars]) -> int:
        scored = 0
        key = "bar_date = ? AND pair = ?" + (" AND model_version = ?" if table == "shadow_calls" else "")
        columns = "bar_date, pair, direction, close" + (", model_version" if table == "shadow_calls" else "")
        open_calls = list(self._db.execute(f"SELECT {columns} FROM {table} WHERE move IS NULL"))
        with self._tx() as db:
            for row in open_calls:
                bars = bars_by_pair.get(row["pair"])
                day = dt.date.fromisoformat(row["bar_date"])
                if bars is None or bars.empty or day < bars.first_date:
                    continue  # the bars given start after the call: its next bar is not among them
                later = bars.since(day + dt.timedelta(days=1))
                if later.empty:
                    continue
                next_day = later.first_date
                next_close = float(later.close[0])
                move = next_close / float(row["close"]) - 1.0
                sign = 1 if row["direction"] == "BUY" else -1
                keys = (row["bar_date"], row["pair"]) + ((row["model_version"],) if table == "shadow_calls" else ())
                db.execute(
                    f"UPDATE {table} SET outcome_day = ?, move = ?, right = ?"
                    + (", outcome_close = ?" if table == "signals" else "")
                    + f" WHERE {key}",
                    (next_day.isoformat(), move, int(move * sign > 0))
                    + ((next_close,) if table == "signals" else ())
                    + keys,
                )
                scored += 1
        return scored

    @guarded
    def track_record(self, last: int = 20, known_by: dt.date | None = None) -> TrackRecord:
        """How many of the ``last`` scored live calls (all pairs) were right, counting only outcomes
        realised by ``known_by`` (a replay with --as-of must not see later days). Replays never count."""
        cutoff = known_by.isoformat() if known_by else "9999-12-31"
        rows = list(
            self._db.execute(
                "SELECT right, move FROM signals WHERE right IS NOT NULL AND outcome_day <= ? AND kind = 'live'"
                " ORDER BY bar_date DESC, pair LIMIT ?",
                (cutoff, last),
            )
        )
        from fxbot.signals import TrackRecord

        # Always-buy on the same days: right wherever the close went up.
        return TrackRecord(len(rows), sum(int(r["right"]) for r in rows), sum(int(float(r["move"]) > 0) for r in rows))

    @guarded
    def live_calls(self, known_by: dt.date) -> list[tuple[str, bool, bool]]:
        """(bar day, right, up) of every scored live call whose outcome was known by ``known_by``, all pairs."""
        rows = self._db.execute(
            "SELECT bar_date, right, move FROM signals WHERE right IS NOT NULL AND outcome_day <= ? AND kind = 'live'"
            " ORDER BY bar_date, pair",
            (known_by.isoformat(),),
        )
        return [(r["bar_date"], bool(r["right"]), r["move"] > 0) for r in rows]

    @guarded
    def scored_calls(self, until: dt.date) -> list[ScoredCall]:
        """Every live call whose outcome was realised by ``until`` (its next bar's day), oldest first."""
        rows = self._db.execute(
            "SELECT bar_date, pair, direction, close, outcome_day, outcome_close, move, right FROM signals"
            " WHERE right IS NOT NULL AND outcome_day <= ? AND kind = 'live' ORDER BY outcome_day, pair",
            (until.isoformat(),),
        )
        return [
            ScoredCall(
                bar_date=dt.date.fromisoformat(r["bar_date"]),
                pair=r["pair"],
                direction=r["direction"],
                close=float(r["close"]),
                outcome_day=dt.date.fromisoformat(r["outcome_day"]),
                outcome_close=float(r["outcome_close"]),
                move=float(r["move"]),
                right=bool(r["right"]),
            )
            for r in rows
        ]

    @guarded
    def recent_calls(self, pair: str, limit: int = 60) -> list[tuple[dt.date, str]]:
        """The latest calls of ``pair`` as (bar day, BUY/SELL), oldest first."""
        rows = self._db.execute(
            "SELECT bar_date, direction FROM signals WHERE pair = ? ORDER BY bar_date DESC LIMIT ?", (pair, limit)
        )
        return sorted((dt.date.fromisoformat(r["bar_date"]), r["direction"]) for r in rows)

    @guarded
    def history(self, days: int | None = None) -> list[HistoryRow]:
        """The calls of the latest ``days`` bar days (all if None), oldest first, with delivery status."""
        limit_clause = ""
        params: tuple[object, ...] = ()
        if days is not None:
            limit_clause = "WHERE bar_date IN (SELECT DISTINCT bar_date FROM signals ORDER BY bar_date DESC LIMIT ?)"
            params = (days,)
        rows = list(self._db.execute(f"SELECT * FROM signals {limit_clause} ORDER BY bar_date, pair", params))
        out = []
        for r in rows:
            out.append(
                HistoryRow(
                    bar_date=dt.date.fromisoformat(r["bar_date"]),
                    pair=r["pair"],
                    direction=r["direction"],
                    votes=int(r["votes"]),
                    members=int(r["members"]),
                    move=None if r["move"] is None else float(r["move"]),
                    right=None if r["right"] is None else bool(r["right"]),
                    delivery=self._delivery_summary(r["as_of"]),
                    kind=str(r["kind"]),
                )
            )
        return out

    def _delivery_summary(self, as_of: str) -> str:
        from fxbot.outcome import OUTCOME_PREFIX

        rows = list(
            self._db.execute(
                "SELECT destination, status FROM deliveries WHERE as_of = ? AND destination NOT LIKE ? ORDER BY id",
                (as_of, OUTCOME_PREFIX + "%"),
            )
        )
        latest: dict[str, str] = {}
        for r in rows:
            latest[r["destination"]] = r["status"]
        return ", ".join(sorted(set(latest.values()))) if latest else "not delivered"

    @guarded
    def positions(self, bar_date: dt.date) -> list[tuple[str, str, float, float]]:
        """(pair, BUY/SELL, leverage, notional JPY) of each call recorded for ``bar_date``, by pair."""
        rows = self._db.execute(
            "SELECT pair, direction, leverage, notional_jpy FROM signals WHERE bar_date = ? ORDER BY pair",
            (bar_date.isoformat(),),
        )
        return [(r["pair"], r["direction"], float(r["leverage"]), float(r["notional_jpy"])) for r in rows]

    @guarded
    def accuracy_by_pair(self, kind: str = "live") -> dict[str, TrackRecord]:
        """All scored live calls per pair and how many were right (``kind="replay"``: the replayed ones)."""
        rows = self._db.execute(
            "SELECT pair, COUNT(*) AS n, SUM(right) AS r, SUM(move > 0) AS up FROM signals"
            " WHERE right IS NOT NULL AND kind = ? GROUP BY pair",
            (kind,),
        )
        from fxbot.signals import TrackRecord

        return {r["pair"]: TrackRecord(int(r["n"]), int(r["r"] or 0), int(r["up"] or 0)) for r in rows}

    @guarded
    def scored_positions(self, until: dt.date | None = None) -> list[CallOutcome]:
        """Every scored live call with the notional it was posted with, oldest outcome first (up to ``until``'s
        outcome day): what the live P/L against always-buy is summed from. A replay never counts."""
        cutoff = (until or dt.date.max).isoformat()
        rows = self._db.execute(
            "SELECT * FROM signals WHERE right IS NOT NULL AND outcome_day <= ? AND kind = 'live'"
            " ORDER BY outcome_day, pair",
            (cutoff,),
        ).fetchall()
        return [call_outcome(r) for r in rows]
