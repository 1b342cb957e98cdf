"""The ledger: fxbot's memory in one SQLite file (stdlib sqlite3), schema versioned.

    runs        one row per `run-once`: start, end, status (running, ok, skipped, failed), error
    signals     each day's call per pair (keyed on bar day and pair) and, once the next bar is
                stored, its realized outcome: move = close[next] / close[D] - 1, right if the sign
                of the move matches the call; ``kind`` is live, replay or dry (below)
    shadow_calls  a challenger's calls on the same days (keyed on bar day, pair and model version),
                recorded and scored like the signals but never posted: the promotion gate's evidence
    no_outcome  the posts whose outcome is never replied (a replay's: its outcome is not news)
    deliveries  one row per attempt to deliver a day's report to a destination (a Slack channel
                ID, or a hash of the webhook URL: never the URL itself), with its status:
                pending (intent recorded, post not confirmed), sent (with the Slack ts),
                failed (known not to have been posted); a post's outcome reply is a delivery of its own
                (destination ``outcome:<channel>``, keyed on the post's day)

Exactly once: before posting, a ``pending`` row is committed; after the post, the row is marked
``sent`` with Slack's message timestamp. A crash between the two leaves ``pending``, which the
next run reconciles (see ``fxbot.notify.manager``). Every write is its own transaction. Two live
runs never deliver the same day to the same place at once: each holds a lease (``lease``), an
exclusive ``flock`` on a small file that the kernel releases when its process dies, so a run takes
over only from a process that is really gone.

The calls of a day that was posted are never rewritten: a later run (another model, --force)
keeps what the channel actually received.

Live and replayed calls (``kind``): a call made by a run whose as-of day is before the last
completed trading day when it ran (``--as-of`` in the past: ``--replay``, ``--force``, the replay
daemon) is a replay, every other recorded call is live; ``dry`` is reserved for a dry run's calls
(a dry run records nothing today). Only live calls count in any live figure: the track record in
the post, the rollback flag, `fxbot history`'s accuracy, the App Home, the weekly summary, the
metrics, the VaR record, and the gate of a live run. Schema 1 ledgers had no ``kind``: migrating
one classifies each existing call by the same rule, from its run's start time (``runs.started_at``)
and its as-of day; a shadow call without a run is taken as live.

A ledger that fails fails loudly: a damaged, read-only or vanished file is a ``LedgerError``
(exit 3, one line naming the file and the fix), never a silent new ledger. A marker file beside it
(``<name>.in-use``) remembers that a ledger was in use, so a deleted or truncated one is noticed.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from fxbot.errors import ConfigError, LeaseHeldError, LedgerError
from fxbot.outcome import OUTCOME_PREFIX, CallOutcome, DayOutcome
from fxbot.signals import PairSignal, Report, TrackRecord

if TYPE_CHECKING:
    import sqlite3

    from fxbot.data.bars import Bars

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
#: What a recorded call is: made for the day after the last close (live), for an earlier day (replay), or dry.
KINDS = ("live", "replay", "dry")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    as_of TEXT,
    status TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS signals (
    bar_date TEXT NOT NULL,
    pair TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    as_of TEXT NOT NULL,
    for_day TEXT NOT NULL,
    direction TEXT NOT NULL,
    votes INTEGER NOT NULL,
    members INTEGER NOT NULL,
    close REAL NOT NULL,
    leverage REAL NOT NULL,
    notional_jpy REAL NOT NULL,
    units REAL NOT NULL,
    model_version TEXT NOT NULL,
    outcome_day TEXT,
    outcome_close REAL,
    move REAL,
    right INTEGER,
    kind TEXT NOT NULL DEFAULT 'live',
    PRIMARY KEY (bar_date, pair)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id),
    as_of TEXT NOT NULL,
    destination TEXT NOT NULL,
    notifier TEXT NOT NULL,
    status TEXT NOT NULL,
    intent_at TEXT NOT NULL,
    done_at TEXT,
    ts TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_key ON deliveries (as_of, destination);
CREATE TABLE IF NOT EXISTS shadow_calls (
    bar_date TEXT NOT NULL,
    pair TEXT NOT NULL,
    model_version TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    as_of TEXT NOT NULL,
    direction TEXT NOT NULL,
    votes INTEGER NOT NULL,
    members INTEGER NOT NULL,
    close REAL NOT NULL,
    outcome_day TEXT,
    move REAL,
    right INTEGER,
    kind TEXT NOT NULL DEFAULT 'live',
    PRIMARY KEY (bar_date, pair, model_version)
);
CREATE TABLE IF NOT EXISTS notices (key TEXT PRIMARY KEY, sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS no_outcome (
    as_of TEXT NOT NULL,
    destination TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (as_of, destination)
);
CREATE TABLE IF NOT EXISTS book_risk (
    bar_date TEXT PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    equity_jpy REAL NOT NULL,
    gross_leverage REAL NOT NULL,
    loss_20d_jpy REAL,
    source TEXT,
    worst_20d_jpy REAL,
    worst_start TEXT,
    worst_end TEXT,
    loss_1d_jpy REAL
);
"""


_T = TypeVar("_T")


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


def _book_risk(row: sqlite3.Row) -> BookRisk:
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


def _call_outcome(r: sqlite3.Row) -> CallOutcome:
    """A scored signals row as the outcome of its call."""
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


def call_kind(as_of: dt.date, started: dt.datetime) -> str:
    """``replay`` if ``as_of`` is before the last completed trading day at ``started`` (the run's start); else live."""
    from fxbot.calendar import last_completed_trading_day

    return "replay" if as_of < last_completed_trading_day(started) else "live"


def _add_kind(db: sqlite3.Connection) -> None:
    """Schema 1 -> 2: the ``kind`` column on signals and shadow calls, each existing call classified by
    ``call_kind`` from its run's start time (a shadow call without a run stays live)."""
    for table in ("signals", "shadow_calls"):
        columns = {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}
        if "kind" not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN kind TEXT NOT NULL DEFAULT 'live'")
        rows = db.execute(
            f"SELECT DISTINCT t.run_id, t.as_of, r.started_at FROM {table} t JOIN runs r ON r.id = t.run_id"
        ).fetchall()
        for r in rows:
            started = dt.datetime.fromisoformat(r["started_at"])
            if started.tzinfo is None:
                started = started.replace(tzinfo=dt.UTC)
            kind = call_kind(dt.date.fromisoformat(r["as_of"]), started)
            db.execute(f"UPDATE {table} SET kind = ? WHERE run_id = ? AND as_of = ?", (kind, r["run_id"], r["as_of"]))


def ledger_error(path: Path, exc: BaseException) -> LedgerError:
    """One line for a ledger that cannot be used, naming the file and the fix."""
    text = str(exc) or type(exc).__name__
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError) or not _writable(path):
        fix = f"give the user fxbot runs as write access to {path} and its folder {path.parent}"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        fix = (
            f"move it aside (mv {path} {path}.broken) to start a new one, or restore it from a backup; "
            "with a Slack bot token fxbot looks in the channel before it posts, so nothing is posted twice"
        )
    else:
        fix = "check the disk and the file's permissions, or restore it from a backup"
    return LedgerError(f"the ledger {path} cannot be used ({text}); {fix}")


def _writable(path: Path) -> bool:
    """True if ``path`` (when it exists) and its folder can be written: SQLite needs both (journal files)."""
    import tempfile

    try:
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        if path.parent.exists():
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".fxbot-probe-"):
                pass
    except OSError:
        return False
    return True


def _guarded(method: Callable[..., _T]) -> Callable[..., _T]:
    """Turn SQLite and file-system failures inside a ledger method into a one-line LedgerError."""

    @functools.wraps(method)
    def wrapper(self: Ledger, *args: Any, **kwargs: Any) -> _T:
        import sqlite3

        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise ledger_error(self.path, exc) from None

    return wrapper


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"a call's kind is one of {', '.join(KINDS)}, not {kind!r}")


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


class Ledger:
    """Runs, signals, deliveries and outcomes in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None  # opened on first use: a dry run creates no file

    @property
    def marker(self) -> Path:
        """The file that remembers a ledger was in use here (so a deleted or emptied one is noticed)."""
        return self.path.with_name(self.path.name + ".in-use")

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            import sqlite3  # on first use: a dry run, which never opens the ledger, does not pay for it

            if self.marker.exists() and (not self.path.exists() or self.path.stat().st_size == 0):
                raise LedgerError(
                    f"the ledger {self.path} was in use (see {self.marker}) and is now "
                    f"{'gone' if not self.path.exists() else 'empty'}; restore it from a backup, or delete "
                    f"{self.marker} to start a new ledger (with a Slack bot token fxbot looks in the channel "
                    "before it posts, so nothing is posted twice)"
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), one per write.
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")  # a recorded intent must survive a power cut
                self._conn = conn
                self._migrate()
            except (OSError, sqlite3.Error) as exc:
                self.close()
                raise ledger_error(self.path, exc) from None
            if not self.marker.exists():
                self.marker.write_text(
                    f"fxbot's ledger {self.path.name} has been in use here since {_now()}. If the ledger is gone "
                    "and this file is not, fxbot refuses to start a new one silently.\n",
                    encoding="utf-8",
                )
        return self._conn

    def close(self) -> None:
        """Close the connection (a later call opens it again)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception:  # closing a broken database must not hide why it broke
                logger.debug("closing the ledger failed", exc_info=True)

    def lease(self, as_of: dt.date, destination: str, wait_seconds: float) -> AbstractContextManager[None]:
        """Hold the lease on delivering ``as_of``'s calls to ``destination``; wait up to ``wait_seconds`` for it.

        Raises LeaseHeldError if another live process still holds it after the wait.
        """
        return _file_lease(self.path.parent / "leases", as_of, destination, wait_seconds)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            # one statement at a time: executescript would commit the open transaction first
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row["value"]) < 2:
                _add_kind(db)
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            elif int(row["value"]) > SCHEMA_VERSION:
                raise ConfigError(  # a newer fxbot's ledger: point this one elsewhere or upgrade
                    f"the ledger {self.path} has schema version {row['value']}, newer than this fxbot "
                    f"understands ({SCHEMA_VERSION}); upgrade fxbot or point ledger.path elsewhere"
                )

    # runs -----------------------------------------------------------------------------------

    @_guarded
    def start_run(self, as_of: dt.date | None) -> int:
        """Record that a run started; returns its id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (started_at, as_of, status) VALUES (?, ?, 'running')",
                (_now(), as_of.isoformat() if as_of else None),
            )
        return int(cur.lastrowid or 0)

    @_guarded
    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        """Record how a run ended (ok, skipped, failed) and its error line."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET ended_at = ?, status = ?, error = ? WHERE id = ?", (_now(), status, error, run_id)
            )

    @_guarded
    def abandon_running(self, as_of: dt.date | None, error: str) -> int:
        """Mark runs left ``running`` by a child that was killed as failed; record one if none had started.

        Used by the daemon after a child hung or crashed: the child could not finish its own row.
        Returns how many rows now carry the error.
        """
        with self._tx() as db:
            cur = db.execute(
                "UPDATE runs SET ended_at = ?, status = 'failed', error = ? WHERE status = 'running'", (_now(), error)
            )
            if cur.rowcount:
                return int(cur.rowcount)
            db.execute(
                "INSERT INTO runs (started_at, ended_at, as_of, status, error) VALUES (?, ?, ?, 'failed', ?)",
                (_now(), _now(), as_of.isoformat() if as_of else None, error),
            )
            return 1

    @_guarded
    def completed(self, as_of: dt.date) -> bool:
        """True if a run for ``as_of`` ended ok (posted, or found its post already delivered)."""
        row = self._db.execute(
            "SELECT 1 FROM runs WHERE as_of = ? AND status IN ('ok', 'skipped') LIMIT 1", (as_of.isoformat(),)
        ).fetchone()
        return row is not None

    @_guarded
    def health(self) -> dict[str, str | int]:
        """SQLite's quick_check, and counts of runs, failed runs and unconfirmed (pending) deliveries."""
        db = self._db
        return {
            "integrity": str(db.execute("PRAGMA quick_check").fetchone()[0]),
            "runs": int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]),
            "failed": int(db.execute("SELECT COUNT(*) FROM runs WHERE status = 'failed'").fetchone()[0]),
            "pending": int(db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetchone()[0]),
        }

    @_guarded
    def runs(self, limit: int = 20) -> list[sqlite3.Row]:
        """The latest runs, newest first."""
        return list(self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)))

    # signals and outcomes -------------------------------------------------------------------

    @_guarded
    def record_signals(self, run_id: int, report: Report, kind: str = "live") -> None:
        """Store each pair's call of ``report`` as ``kind`` (live, replay); a re-run of the same bar day replaces
        it unless that day was posted."""
        _check_kind(kind)
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
            self._record_book_risk(db, run_id, report)

    @staticmethod
    def _record_book_risk(db: sqlite3.Connection, run_id: int, report: Report) -> None:
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

    @_guarded
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
        return None if row is None else _book_risk(row)

    @_guarded
    def var_record(self) -> list[tuple[BookRisk, float]]:
        """Each recorded book's figures with the P/L its live calls realised the next day (JPY), where scored."""
        rows = self._db.execute(
            "SELECT b.*, SUM(CASE s.direction WHEN 'BUY' THEN 1 ELSE -1 END * s.notional_jpy * s.move) AS pnl,"
            " COUNT(s.move) AS scored, COUNT(*) AS calls"
            " FROM book_risk b JOIN signals s ON s.bar_date = b.bar_date WHERE s.kind = 'live'"
            " GROUP BY b.bar_date ORDER BY b.bar_date"
        ).fetchall()
        return [(_book_risk(r), float(r["pnl"])) for r in rows if r["scored"] == r["calls"] and r["pnl"] is not None]

    @_guarded
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

    @_guarded
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

    @_guarded
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
        # Always-buy on the same days: right wherever the close went up.
        return TrackRecord(len(rows), sum(int(r["right"]) for r in rows), sum(int(float(r["move"]) > 0) for r in rows))

    @_guarded
    def live_calls(self, known_by: dt.date) -> list[tuple[str, bool, bool]]:
        """(bar day, right, up) of every scored live call whose outcome was known by ``known_by``, all pairs."""
        rows = self._db.execute(
            "SELECT bar_date, right, move FROM signals WHERE right IS NOT NULL AND outcome_day <= ? AND kind = 'live'"
            " ORDER BY bar_date, pair",
            (known_by.isoformat(),),
        )
        return [(r["bar_date"], bool(r["right"]), r["move"] > 0) for r in rows]

    @_guarded
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

    @_guarded
    def recent_calls(self, pair: str, limit: int = 60) -> list[tuple[dt.date, str]]:
        """The latest calls of ``pair`` as (bar day, BUY/SELL), oldest first."""
        rows = self._db.execute(
            "SELECT bar_date, direction FROM signals WHERE pair = ? ORDER BY bar_date DESC LIMIT ?", (pair, limit)
        )
        return sorted((dt.date.fromisoformat(r["bar_date"]), r["direction"]) for r in rows)

    @_guarded
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

    # shadow calls and the records the gate and the rollback flag judge -----------------------

    @_guarded
    def notice_sent(self, key: str) -> bool:
        """True if the notice ``key`` (e.g. a gate decision's) was delivered."""
        return self._db.execute("SELECT 1 FROM notices WHERE key = ?", (key,)).fetchone() is not None

    @_guarded
    def mark_notice_sent(self, key: str) -> None:
        """Record that the notice ``key`` was delivered."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO notices (key, sent_at) VALUES (?, ?)", (key, _now()))

    @_guarded
    def record_shadow(self, run_id: int | None, as_of: dt.date, signal: PairSignal, kind: str = "live") -> None:
        """Store a challenger's call (never posted) as ``kind``; a re-run of the same day replaces it."""
        _check_kind(kind)
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

    @_guarded
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

    @_guarded
    def live_record(self, pair: str, version: str, last: int, known_by: dt.date) -> list[tuple[bool, bool]]:
        """(right, up) of the latest ``last`` scored live calls ``version`` made for ``pair``, known by ``known_by``."""
        rows = self._db.execute(
            "SELECT right, move FROM signals WHERE pair = ? AND model_version = ? AND right IS NOT NULL"
            " AND outcome_day <= ? AND kind = 'live' ORDER BY bar_date DESC LIMIT ?",
            (pair, version, known_by.isoformat(), last),
        )
        return [(bool(r["right"]), r["move"] > 0) for r in rows]

    @_guarded
    def positions(self, bar_date: dt.date) -> list[tuple[str, str, float, float]]:
        """(pair, BUY/SELL, leverage, notional JPY) of each call recorded for ``bar_date``, by pair."""
        rows = self._db.execute(
            "SELECT pair, direction, leverage, notional_jpy FROM signals WHERE bar_date = ? ORDER BY pair",
            (bar_date.isoformat(),),
        )
        return [(r["pair"], r["direction"], float(r["leverage"]), float(r["notional_jpy"])) for r in rows]

    @_guarded
    def accuracy_by_pair(self, kind: str = "live") -> dict[str, TrackRecord]:
        """All scored live calls per pair and how many were right (``kind="replay"``: the replayed ones)."""
        rows = self._db.execute(
            "SELECT pair, COUNT(*) AS n, SUM(right) AS r, SUM(move > 0) AS up FROM signals"
            " WHERE right IS NOT NULL AND kind = ? GROUP BY pair",
            (kind,),
        )
        return {r["pair"]: TrackRecord(int(r["n"]), int(r["r"] or 0), int(r["up"] or 0)) for r in rows}

    # deliveries -----------------------------------------------------------------------------

    @_guarded
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

    @_guarded
    def outcomes_due(self, destination: str, known_by: dt.date, since: dt.date) -> list[DayOutcome]:
        """The posted days from ``since`` to before ``known_by`` whose calls are all scored by ``known_by`` and
        whose outcome has not been delivered (or marked never to be) to ``destination``, oldest first.

        A day counts as posted to ``destination`` when its latest delivery there is ``sent``; its ts is the
        thread the outcome goes into. An outcome row that is ``pending`` or ``failed`` is still due (the
        manager reconciles or retries it); ``sent`` is not, nor a post recorded in ``no_outcome`` (a replay).
        """
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
            calls = [_call_outcome(r) for r in rows]
            out.append(DayOutcome(dt.date.fromisoformat(post["as_of"]), calls, post["ts"]))
        return out

    @_guarded
    def scored_positions(self, until: dt.date | None = None) -> list[CallOutcome]:
        """Every scored live call with the notional it was posted with, oldest outcome first (up to ``until``'s
        outcome day): what the live P/L against always-buy is summed from. A replay never counts."""
        cutoff = (until or dt.date.max).isoformat()
        rows = self._db.execute(
            "SELECT * FROM signals WHERE right IS NOT NULL AND outcome_day <= ? AND kind = 'live'"
            " ORDER BY outcome_day, pair",
            (cutoff,),
        ).fetchall()
        return [_call_outcome(r) for r in rows]

    @_guarded
    def skip_outcome(self, as_of: dt.date, destination: str, reason: str) -> None:
        """Record that the outcome of ``as_of``'s post to ``destination`` is never to be sent (a replay's)."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO no_outcome VALUES (?, ?, ?)", (as_of.isoformat(), destination, reason))

    @_guarded
    def begin_delivery(self, run_id: int | None, as_of: dt.date, destination: str, notifier: str) -> int:
        """Commit the intent to post (status pending) before posting; returns the delivery id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO deliveries (run_id, as_of, destination, notifier, status, intent_at)"
                " VALUES (?, ?, ?, ?, 'pending', ?)",
                (run_id, as_of.isoformat(), destination, notifier, _now()),
            )
        return int(cur.lastrowid or 0)

    @_guarded
    def mark_sent(self, delivery_id: int, ts: str | None) -> None:
        """Record a confirmed post and its Slack message timestamp."""
        self._set_delivery(delivery_id, "sent", ts=ts)

    @_guarded
    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a post that is known not to have happened."""
        self._set_delivery(delivery_id, "failed", error=error)

    def _set_delivery(self, delivery_id: int, status: str, *, ts: str | None = None, error: str | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE deliveries SET status = ?, done_at = ?, ts = COALESCE(?, ts), error = ? WHERE id = ?",
                (status, _now(), ts, error, delivery_id),
            )


class NullLedger:
    """A ledger that records nothing: runs without state (tests, tools); every question has the empty answer."""

    path = None

    def start_run(self, as_of: dt.date | None) -> int:
        """No run is recorded; 0 stands for its id."""
        return 0

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        """Nothing to record."""

    def update_outcomes(self, bars_by_pair: dict[str, Bars]) -> int:
        """No calls to score."""
        return 0

    def record_signals(self, run_id: int, report: Report, kind: str = "live") -> None:
        """Nothing to record."""

    def track_record(self, last: int = 20, known_by: dt.date | None = None) -> TrackRecord | None:
        """No record: the report shows none."""
        return None

    def scored_calls(self, until: dt.date) -> list[ScoredCall]:
        """No calls."""
        return []

    def scored_positions(self, until: dt.date | None = None) -> list[CallOutcome]:
        """No calls."""
        return []

    def book_risk(self, bar_date: dt.date | None = None, *, until: dt.date | None = None) -> BookRisk | None:
        """No figures recorded."""
        return None

    def var_record(self) -> list[tuple[BookRisk, float]]:
        """No scored days."""
        return []

    def latest_delivery(self, as_of: dt.date, destination: str) -> Delivery | None:
        """Nothing was delivered as far as this ledger knows."""
        return None

    def outcomes_due(self, destination: str, known_by: dt.date, since: dt.date) -> list[DayOutcome]:
        """Nothing was posted as far as this ledger knows."""
        return []

    def skip_outcome(self, as_of: dt.date, destination: str, reason: str) -> None:
        """Nothing to record."""

    def begin_delivery(self, run_id: int | None, as_of: dt.date, destination: str, notifier: str) -> int:
        """No intent is recorded; 0 stands for its id."""
        return 0

    def mark_sent(self, delivery_id: int, ts: str | None) -> None:
        """Nothing to record."""

    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Nothing to record."""

    def lease(self, as_of: dt.date, destination: str, wait_seconds: float) -> AbstractContextManager[None]:
        """No lease: without a ledger nothing is recorded to be exactly once against."""
        return no_lease()

    def close(self) -> None:
        """Nothing to close."""


@contextmanager
def _file_lease(folder: Path, as_of: dt.date, destination: str, wait_seconds: float) -> Iterator[None]:
    """An exclusive flock on ``folder/<day>.<destination hash>.lock``; the holder's pid and start time inside."""
    import fcntl
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(destination.encode()).hexdigest()[:12]
    path = folder / f"{as_of.isoformat()}.{key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        logged = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                    raise LeaseHeldError(
                        f"another fxbot run ({holder}) is still delivering the calls as of {as_of.isoformat()} "
                        f"to {destination}; not posting twice. `fxbot status` shows the runs; this one gave up "
                        f"after {wait_seconds:g} s"
                    ) from None
                if not logged:
                    logger.warning("another fxbot run is delivering %s to %s; waiting for it", as_of, destination)
                    logged = True
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {_now()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def no_lease() -> AbstractContextManager[None]:
    """The lease of a ledger that records nothing: no other run can be told apart, so none is waited for."""
    return nullcontext()
