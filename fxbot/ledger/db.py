"""The ledger's SQLite file: schema, migrations, the connection, transactions and the one-line errors."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fxbot.errors import ConfigError, LedgerError

if TYPE_CHECKING:
    import sqlite3

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2

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


def guarded(method: Callable[..., _T]) -> Callable[..., _T]:
    """Turn SQLite and file-system failures inside a ledger method into a one-line LedgerError."""

    @functools.wraps(method)
    def wrapper(self: LedgerBase, *args: Any, **kwargs: Any) -> _T:
        import sqlite3

        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise ledger_error(self.path, exc) from None

    return wrapper


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class LedgerBase:
    """The ledger's file: the connection opened on first use, its schema and migrations, transactions.

    Each table's queries are a subclass of this (``fxbot.ledger.runs``, ``calls``, ...); ``Ledger`` joins them.
    """

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
                    f"fxbot's ledger {self.path.name} has been in use here since {now()}. If the ledger is gone "
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
