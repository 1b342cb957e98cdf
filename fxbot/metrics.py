"""Metrics without a port: a Prometheus textfile written after every run, for node_exporter to read.

After each ``fxbot run-once`` (and, under the daemon, after each child) ``MetricsWriter.write``
rewrites ``metrics.textfile`` atomically (a temporary file in the same folder, fsync, rename; the
temporary name does not end in ``.prom``, so the collector never reads half a file). The format
is written by hand: it is a few lines, and keeps prometheus_client off the daily path.

    fxbot_last_run_timestamp_seconds         when the last run ended (unix time)
    fxbot_last_run_exit_code                 its exit code (137: killed; 4: delivery failed; 3: data)
    fxbot_last_run_duration_seconds          its wall time
    fxbot_last_run_peak_rss_bytes            its peak RSS (the child's, under the daemon)
    fxbot_last_success_timestamp_seconds     when a run last ended ok (from the ledger after a failure)
    fxbot_data_age_trading_days{pair}        trading days the last stored bar lags the last completed day
    fxbot_track_record_calls / _right        the latest scored live calls (the ledger's track record, window 20)
    fxbot_track_record_accuracy_ratio        right / calls
    fxbot_track_record_always_buy_accuracy_ratio   what always-buy scored on the same calls
    fxbot_delivery_failures_total            deliveries known not to have been posted (ledger)
    fxbot_deliveries_pending                 deliveries whose outcome is not confirmed yet
    fxbot_risk_loss_20d_jpy                  the latest book's 20-day 99.9 % loss from history, as posted
    fxbot_risk_worst_20d_jpy                 its worst 20 days from history

The ledger is read through its own read-only SQLite connection (``mode=ro``): metrics never create,
migrate or lock it. Nothing here fails a run: an unwritable path or an unreadable ledger is a
warning, logged once per process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from fxbot.calendar import last_completed_trading_day, trading_days_between
from fxbot.data.freshness import last_bar_day, store_file
from fxbot.errors import FxbotError

logger = logging.getLogger(__name__)

#: How many of the latest scored calls the track-record metrics cover (as in the daily post).
TRACK_WINDOW = 20

_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


class RunOutcome(msgspec.Struct, frozen=True):
    """How one daily run ended, as the metrics report it."""

    exit_code: int  # 0-255; a killed child is 128 + signal
    duration_seconds: float
    finished_at: dt.datetime
    peak_rss_bytes: float | None = None


class Family(msgspec.Struct):
    """One metric family: its name, type, help line and samples (labels, value)."""

    name: str
    kind: str
    help: str
    samples: list[tuple[dict[str, str], float]] = msgspec.field(default_factory=list)


class LedgerFigures(msgspec.Struct, frozen=True):
    """What the metrics take from the ledger."""

    last_success: dt.datetime | None
    calls: int
    right: int
    up_days: int  # calls whose next day rose: what always-buy got right on the same calls
    failed_deliveries: int
    pending_deliveries: int
    loss_20d_jpy: float | None = None  # the latest book's 20-day 99.9 % loss from history (as shown)
    worst_20d_jpy: float | None = None  # its worst 20 days from history


def read_ledger(path: Path, window: int = TRACK_WINDOW) -> LedgerFigures | None:
    """The ledger's figures, read-only; None if there is no ledger (yet). Raises sqlite3.Error if unreadable."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        ended = db.execute("SELECT MAX(ended_at) FROM runs WHERE status IN ('ok', 'skipped')").fetchone()[0]
        try:  # live calls only: a replay never counts (fxbot.ledger, ``kind``)
            rows = db.execute(
                "SELECT right, move FROM signals WHERE right IS NOT NULL AND kind = 'live'"
                " ORDER BY bar_date DESC, pair LIMIT ?",
                (window,),
            ).fetchall()
        except sqlite3.OperationalError:  # a schema-1 ledger no run has opened since: it has no kind yet
            rows = db.execute(
                "SELECT right, move FROM signals WHERE right IS NOT NULL ORDER BY bar_date DESC, pair LIMIT ?",
                (window,),
            ).fetchall()
        counts = dict(db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
        try:  # a ledger no run has written since the table was added has none
            risk = db.execute(
                "SELECT loss_20d_jpy, worst_20d_jpy FROM book_risk b WHERE EXISTS (SELECT 1 FROM signals s"
                " WHERE s.bar_date = b.bar_date AND s.kind = 'live') ORDER BY bar_date DESC LIMIT 1"
            ).fetchone()
        except sqlite3.OperationalError:
            risk = None
    last = dt.datetime.fromisoformat(ended) if ended else None
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return LedgerFigures(
        last_success=last,
        calls=len(rows),
        right=sum(int(r[0]) for r in rows),
        up_days=sum(1 for r in rows if r[1] is not None and r[1] > 0),
        failed_deliveries=int(counts.get("failed", 0)),
        pending_deliveries=int(counts.get("pending", 0)),
        loss_20d_jpy=risk[0] if risk else None,
        worst_20d_jpy=risk[1] if risk else None,
    )


def data_ages(data_dir: Path, pairs: Sequence[str], now: dt.datetime) -> dict[str, int]:
    """Each pair's lag in trading days behind the last completed trading day; unreadable pairs are left out."""
    due = last_completed_trading_day(now)
    ages: dict[str, int] = {}
    for pair in pairs:
        try:
            last, _ = last_bar_day(store_file(data_dir, pair))
        except (FxbotError, OSError):
            continue
        ages[pair] = trading_days_between(last, due)
    return ages


def collect(outcome: RunOutcome, ledger: LedgerFigures | None, ages: dict[str, int]) -> list[Family]:
    """The metric families of one run."""

    def gauge(name: str, help_: str, value: float | None, kind: str = "gauge") -> Family:
        return Family(name, kind, help_, [] if value is None else [({}, value)])

    last_success = outcome.finished_at if outcome.exit_code == 0 else (ledger.last_success if ledger else None)
    families = [
        gauge(
            "fxbot_last_run_timestamp_seconds", "When the last daily run ended (unix time).", _ts(outcome.finished_at)
        ),
        gauge("fxbot_last_run_exit_code", "Exit code of the last daily run (137: killed).", outcome.exit_code),
        gauge("fxbot_last_run_duration_seconds", "Wall time of the last daily run.", outcome.duration_seconds),
        gauge("fxbot_last_run_peak_rss_bytes", "Peak RSS of the last daily run's process.", outcome.peak_rss_bytes),
        gauge(
            "fxbot_last_success_timestamp_seconds",
            "When a daily run last ended ok (unix time).",
            None if last_success is None else _ts(last_success),
        ),
        Family(
            "fxbot_data_age_trading_days",
            "gauge",
            "Trading days the last stored bar lags the last completed trading day.",
            [({"pair": pair}, age) for pair, age in sorted(ages.items())],
        ),
    ]
    if ledger is not None:
        window = {"window": str(TRACK_WINDOW)}
        track: list[tuple[str, str, float]] = [
            ("fxbot_track_record_calls", "Scored calls in the track-record window.", ledger.calls),
            ("fxbot_track_record_right", "Right calls in the track-record window.", ledger.right),
        ]
        if ledger.calls:
            track += [
                (
                    "fxbot_track_record_accuracy_ratio",
                    "Share of right calls in the track-record window.",
                    ledger.right / ledger.calls,
                ),
                (
                    "fxbot_track_record_always_buy_accuracy_ratio",
                    "What always-buy scored on the same calls.",
                    ledger.up_days / ledger.calls,
                ),
            ]
        families += [Family(name, "gauge", help_, [(window, value)]) for name, help_, value in track]
        families += [
            gauge(
                "fxbot_delivery_failures",
                "Deliveries known not to have been posted (ledger).",
                ledger.failed_deliveries,
                "counter",
            ),
            gauge("fxbot_deliveries_pending", "Deliveries whose outcome is not confirmed.", ledger.pending_deliveries),
            gauge(
                "fxbot_risk_loss_20d_jpy",
                "The latest book's 20-day 99.9% loss from history, as posted (JPY).",
                ledger.loss_20d_jpy,
            ),
            gauge(
                "fxbot_risk_worst_20d_jpy", "The latest book's worst 20 days from history (JPY).", ledger.worst_20d_jpy
            ),
        ]
    return families


def render(families: Sequence[Family]) -> str:
    """The Prometheus text exposition format of ``families``."""
    lines: list[str] = []
    for family in families:
        if not family.samples:
            continue
        # Text format 0.0.4: the HELP and TYPE lines name the samples exactly (a counter's end in _total), or
        # Prometheus' parser splits them into an empty family and an untyped series.
        sample_name = family.name + ("_total" if family.kind == "counter" else "")
        lines.append(f"# HELP {sample_name} {family.help}")
        lines.append(f"# TYPE {sample_name} {family.kind}")
        for labels, value in family.samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            lines.append(
                f"{sample_name}{{{label_text}}} {_number(value)}" if labels else f"{sample_name} {_number(value)}"
            )
    return "\n".join(lines) + "\n"


#: The first line of every textfile fxbot writes: the file it may replace is one that starts with it.
MARKER = "# fxbot metrics textfile: written by fxbot after each run, replaced whole; do not edit\n"


def write_textfile(path: Path, text: str) -> None:
    """Write ``text`` (after ``MARKER``) to ``path`` through a temporary file in the same folder, fsync and
    rename (mode 0644); refused (OSError) if ``path`` is anything but a textfile fxbot wrote."""
    from fxbot.safefiles import replace_generated

    # Files from before the marker began with the first family's HELP line.
    replace_generated(path, (MARKER + text).encode(), MARKER.encode(), also=(b"# HELP fxbot_",))


class MetricsWriter:
    """Writes the textfile after a run; every failure is a warning (logged once), never an exception."""

    def __init__(
        self,
        textfile: Path,
        *,
        ledger_path: Path,
        data_dir: Path,
        pairs: Sequence[str],
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.textfile = textfile
        self.ledger_path = ledger_path
        self.data_dir = data_dir
        self.pairs = list(pairs)
        self.now = now

    def write(self, outcome: RunOutcome) -> bool:
        """Collect the figures and rewrite the textfile; True if it was written."""
        ledger: LedgerFigures | None = None
        try:
            ledger = read_ledger(self.ledger_path)
        except (sqlite3.Error, OSError, ValueError) as exc:
            _warn_once(
                "ledger", "metrics: cannot read the ledger %s (%s); its figures are left out", self.ledger_path, exc
            )
        try:
            text = render(collect(outcome, ledger, data_ages(self.data_dir, self.pairs, self.now())))
            write_textfile(self.textfile, text)
        except Exception as exc:  # metrics are never the run's problem
            reason = (exc.strerror if isinstance(exc, OSError) else None) or f"{type(exc).__name__}: {exc}"
            _warn_once(
                "write", "metrics: cannot write %s (%s); the run is not affected (not repeated)", self.textfile, reason
            )
            return False
        return True


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


def _number(value: float) -> str:
    if isinstance(value, int) or (math.isfinite(value) and value == int(value) and abs(value) < 1e15):
        return str(int(value))
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
