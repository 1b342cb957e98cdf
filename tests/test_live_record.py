"""Live and replayed calls: the ledger marks each; a replay never counts in a live figure (issue 20)."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import sqlite3
from pathlib import Path

import msgspec
import numpy as np
import pytest

from fxbot.backtest.skill.pooled import clustered_mean_test
from fxbot.config import settings_from_mapping
from fxbot.data.store import PriceStore
from fxbot.history import format_history
from fxbot.ledger import Ledger, call_kind
from fxbot.metrics import read_ledger
from fxbot.model.evidence import load_evidence
from fxbot.notify.console import report_lines
from fxbot.notify.messages import report_text
from fxbot.pipeline import walk_forward_worse, with_live_record
from fxbot.slack_app.views import versus_always_buy
from fxbot.status import status_report
from fxbot.versus import clustered_versus
from fxbot.voting import Direction

from .conftest import SHIPPED_MODELS
from .test_ledger import report_for
from .test_post import english_words

LIVE, REPLAYED = dt.date(2024, 6, 12), dt.date(2024, 6, 13)


def _ledger(tmp_path: Path, store: PriceStore) -> Ledger:
    """USDJPY: one live call (LIVE) and one replayed call (REPLAYED), both scored, each with its book's
    loss figures and a challenger's shadow call on the same day."""
    bars = store.load("USDJPY")
    ledger = Ledger(tmp_path / "l.sqlite")
    for day, kind in ((LIVE, "live"), (REPLAYED, "replay")):
        run = ledger.start_run(day)
        report = report_for(day, float(bars.up_to(day).close[-1]))
        ledger.record_signals(run, report, kind)
        ledger.record_shadow(run, day, report.signals[0], kind)
        with contextlib.closing(sqlite3.connect(ledger.path)) as db, db:
            db.execute(
                "INSERT INTO book_risk (bar_date, run_id, equity_jpy, gross_leverage, loss_1d_jpy, loss_20d_jpy)"
                " VALUES (?,?,?,?,?,?)",
                (day.isoformat(), run, 1e6, 1.79, 1.0, 100.0 if kind == "live" else 999.0),
            )
    assert ledger.update_outcomes({"USDJPY": bars}) == 4  # two calls and two shadow calls
    return ledger


def test_a_replayed_call_is_absent_from_every_live_figure(tmp_path: Path, bundled_store: PriceStore) -> None:
    ledger = _ledger(tmp_path, bundled_store)
    rows = ledger.history()
    assert [(r.bar_date, r.kind) for r in rows] == [(LIVE, "live"), (REPLAYED, "replay")]  # both recorded
    live = rows[0]
    until = dt.date(2024, 6, 30)
    # The post's track record (and the evidence line it feeds), the weekly summary's calls, the accuracy of
    # `fxbot history` and the Slack history, the rollback flag's record: the live call only.
    assert ledger.track_record(20, known_by=until).scored == 1
    assert [c.bar_date for c in ledger.scored_calls(until)] == [LIVE]
    accuracy = ledger.accuracy_by_pair()["USDJPY"]
    assert (accuracy.scored, accuracy.right) == (1, int(bool(live.right)))
    assert len(ledger.live_record("USDJPY", "test-model", 40, until)) == 1
    # The VaR record (history's footer) and the gate of a live run.
    assert [book.bar_date for book, _ in ledger.var_record()] == [LIVE]
    assert len(ledger.shadow_record("USDJPY", "test-model", until)) == 1
    assert len(ledger.shadow_record("USDJPY", "test-model", until, kind="replay")) == 1  # a replay's own gate
    # The live P/L of /fxbot record, the App Home and the site; the book's loss figures of the App Home and the
    # weekly summary (the replayed day is the later one, so an unfiltered "latest" would be the replay's).
    assert [c.bar_date for c in ledger.scored_positions()] == [LIVE]
    latest = ledger.book_risk()
    assert latest is not None and latest.bar_date == LIVE and latest.loss_20d_jpy == 100.0
    assert ledger.book_risk(REPLAYED) is None
    # The App Home's record against always-buy.
    home = versus_always_buy(rows)
    assert home.scored == 1 and home.right == int(bool(live.right))
    # The metrics (read-only, as the textfile writer reads them).
    ledger.close()
    figures = read_ledger(tmp_path / "l.sqlite")
    assert figures is not None and figures.calls == 1 and figures.right == int(bool(live.right))
    assert figures.loss_20d_jpy == 100.0  # the risk gauge: the live book's
    # `fxbot history` shows the replay, apart.
    text = format_history(Ledger(tmp_path / "l.sqlite"), None)
    assert "KIND" in text.splitlines()[0] and "replay" in text.splitlines()[2]
    assert "accuracy (all scored live calls; replays never count):\n  USD/JPY: " in text
    assert "replayed calls (--as-of a past day: history, not a track record; not counted above):" in text


def test_the_kind_rule_is_the_replay_rule() -> None:
    # A run after Friday's close (Saturday UTC) for that Friday is live; for Thursday it is a replay.
    saturday = dt.datetime(2024, 6, 15, 1, tzinfo=dt.UTC)
    assert call_kind(dt.date(2024, 6, 14), saturday) == "live"
    assert call_kind(dt.date(2024, 6, 13), saturday) == "replay"
    # Before Friday's 17:00 New York close the last completed day is Thursday: its run is live.
    assert call_kind(dt.date(2024, 6, 13), dt.datetime(2024, 6, 14, 20, tzinfo=dt.UTC)) == "live"


_SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, ended_at TEXT, as_of TEXT,
    status TEXT NOT NULL, error TEXT);
CREATE TABLE signals (bar_date TEXT NOT NULL, pair TEXT NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
    as_of TEXT NOT NULL, for_day TEXT NOT NULL, direction TEXT NOT NULL, votes INTEGER NOT NULL,
    members INTEGER NOT NULL, close REAL NOT NULL, leverage REAL NOT NULL, notional_jpy REAL NOT NULL,
    units REAL NOT NULL, model_version TEXT NOT NULL, outcome_day TEXT, outcome_close REAL, move REAL,
    right INTEGER, PRIMARY KEY (bar_date, pair));
CREATE TABLE shadow_calls (bar_date TEXT NOT NULL, pair TEXT NOT NULL, model_version TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id), as_of TEXT NOT NULL, direction TEXT NOT NULL, votes INTEGER NOT NULL,
    members INTEGER NOT NULL, close REAL NOT NULL, outcome_day TEXT, move REAL, right INTEGER,
    PRIMARY KEY (bar_date, pair, model_version));
INSERT INTO runs VALUES (1, '2024-06-12T22:15:03+00:00', NULL, '2024-06-12', 'ok', NULL);
INSERT INTO runs VALUES (2, '2024-06-14T09:00:00+00:00', NULL, '2024-06-10', 'ok', NULL);
INSERT INTO signals VALUES ('2024-06-12', 'USDJPY', 1, '2024-06-12', '2024-06-13', 'BUY', 3, 5, 157.0, 1.79,
    1790000, 11400, 'm', '2024-06-13', 157.5, 0.003, 1);
INSERT INTO signals VALUES ('2024-06-10', 'USDJPY', 2, '2024-06-10', '2024-06-11', 'BUY', 3, 5, 157.0, 1.79,
    1790000, 11400, 'm', '2024-06-11', 157.5, 0.003, 1);
INSERT INTO shadow_calls VALUES ('2024-06-10', 'USDJPY', 'c', 2, '2024-06-10', 'SELL', 3, 5, 157.0,
    '2024-06-11', 0.003, 0);
"""


def test_a_schema_1_ledger_is_migrated_by_the_same_rule(tmp_path: Path) -> None:
    """Existing calls are live unless their as-of day was before the last completed trading day when their run
    started (the rule run-once applies): run 2 started on 06-14 for 06-10, a replay."""
    path = tmp_path / "old.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(_SCHEMA_1)
    ledger = Ledger(path)
    assert [(r.bar_date.isoformat(), r.kind) for r in ledger.history()] == [
        ("2024-06-10", "replay"),
        ("2024-06-12", "live"),
    ]
    assert ledger.track_record(20).scored == 1
    ledger.close()
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
        assert db.execute("SELECT kind FROM shadow_calls").fetchone()[0] == "replay"


def test_the_clustered_test_matches_statsmodels() -> None:
    """The daily path's stdlib test gives statsmodels' clustered SE and two-sided p (``fxbot.backtest.skill``)."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        days = int(rng.integers(20, 120))
        dates = np.repeat(np.arange(days), 3)  # three pairs a day
        up = rng.random(days * 3) < 0.55
        right = rng.random(days * 3) < 0.5
        ours = clustered_versus([(str(d), bool(r), bool(u)) for d, r, u in zip(dates, right, up, strict=True)], "live")
        expected = clustered_mean_test(right.astype(float) - up.astype(float), dates, 0.0, "two-sided")
        assert ours is not None and ours.dates == days and ours.calls == 3 * days
        assert ours.difference == pytest.approx(expected.mean, abs=1e-12)
        assert ours.se == pytest.approx(expected.se, rel=1e-9)
        assert ours.p_value == pytest.approx(expected.p_value, rel=1e-9)


def _worse_ledger(tmp_path: Path, kind: str) -> Ledger:
    """30 trading days of USDJPY SELL calls, 24 of them on up days: right on 6, always-buy on 24."""
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite")
    day = dt.date(2024, 6, 3)
    for i in range(30):
        ledger.record_signals(ledger.start_run(day), report_for(day, 150.0, Direction.SELL), kind)
        move = 0.002 if i % 5 else -0.002
        with contextlib.closing(sqlite3.connect(ledger.path)) as db, db:
            db.execute(
                "UPDATE signals SET outcome_day = ?, move = ?, right = ? WHERE bar_date = ?",
                ((day + dt.timedelta(days=1)).isoformat(), move, int(move < 0), day.isoformat()),
            )
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return ledger


def test_a_live_record_worse_than_always_buy_is_said_plainly(tmp_path: Path) -> None:
    ledger = _worse_ledger(tmp_path, "live")
    report = with_live_record(report_for(dt.date(2024, 7, 31), 150.0), ledger)
    worse = report.worse
    assert worse is not None and worse.source == "live" and (worse.calls, worse.dates) == (30, 30)
    assert worse.accuracy == pytest.approx(6 / 30) and worse.always_buy == pytest.approx(24 / 30)
    # By hand: d = right - up is -1 on the 24 up days, +1 on the 6 down days; mean -0.6; clustered (one call a
    # day) variance 30/29 x (24 x 0.4^2 + 6 x 1.6^2) / 30^2; two-sided p = erfc(0.6 / se / sqrt 2).
    se = math.sqrt(30 / 29 * (24 * 0.4**2 + 6 * 1.6**2)) / 30
    assert worse.se == pytest.approx(se) and worse.p_value == pytest.approx(math.erfc(0.6 / se / math.sqrt(2)))
    en = "\n".join(report_lines(report, "en"))
    assert "WARNING: Worse than always-buy: in live use, the calls were right on 20.0% of 30, always-buy" in en
    assert "treat it as no better" not in en
    assert "worse than always-buy in live use: 20.0% against 80.0% over 30 calls (two-sided p=" in en  # evidence
    ja = report_lines(report, "ja")
    assert "常に買う場合より劣っています: 実運用ではシグナルの正解率は 20.0%（30件）" in "\n".join(ja)
    assert english_words([ln.replace("test-model", "") for ln in ja]) == []  # the fixture's model name aside
    assert "Worse than always-buy" in report_text(report, "en")  # the notification text too
    ledger.close()
    settings = settings_from_mapping({"ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")}})
    status = status_report(settings, dt.datetime(2024, 8, 1, 23, tzinfo=dt.UTC))
    assert status.exit_code == 3
    assert any(ln.startswith("PROBLEM live record: worse than always-buy: 20.0% of 30") for ln in status.lines)


def test_a_replayed_record_never_says_worse(tmp_path: Path) -> None:
    ledger = _worse_ledger(tmp_path, "replay")
    assert with_live_record(report_for(dt.date(2024, 7, 31), 150.0), ledger).worse is None
    ledger.close()
    settings = settings_from_mapping({"ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")}})
    status = status_report(settings, dt.datetime(2024, 8, 1, 23, tzinfo=dt.UTC))
    assert not any("live record" in ln for ln in status.lines)


def test_stored_walk_forward_evidence_worse_than_always_buy_is_said(bundled_store: PriceStore) -> None:
    shipped = load_evidence(SHIPPED_MODELS / "USDJPY")
    assert shipped is not None and shipped.pooled_difference_se is not None
    signal = report_for(dt.date(2024, 6, 14), 157.0).signals[0]
    # The shipped walk-forward: 50.2 % against 51.1 %, two-sided clustered p 0.24: not worse, nothing said.
    assert walk_forward_worse([msgspec.structs.replace(signal, evidence=shipped)]) is None
    bad = msgspec.structs.replace(shipped, pooled_difference=-0.03)  # 4.2 standard errors below
    worse = walk_forward_worse([msgspec.structs.replace(signal, evidence=bad)])
    assert worse is not None and worse.source == "walk-forward" and worse.p_value < 1e-4
