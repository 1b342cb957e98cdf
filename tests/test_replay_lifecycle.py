"""The whole cycle for real: the daemon replays past days with monthly retraining (tiny models).

Each month a challenger is trained (in its own child process), shadowed by the daily runs, judged by
the gate and then promoted or kept, with one message each; the daily calls never miss a day.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fxbot.calendar import next_trading_day
from fxbot.model.registry import Registry

from .conftest import BUNDLED_DATA, REPO, run_fxbot
from .support.env import clean_env
from .test_training import TINY

PAIR = "USDJPY"
FIRST = dt.date(2024, 3, 1)
DAYS = 31  # March 2024 (21 trading days) and the first 10 of April


def _trained(tmp_path: Path, **extra: object) -> tuple[Path, Registry]:
    """A config for USDJPY with tiny models (``extra`` merged in) and its first champion, trained to 2024-01-31."""
    config = tmp_path / "c.yaml"
    base = {
        "pairs": [PAIR],
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(tmp_path / "models")},
        "training": TINY,
    }
    config.write_text(yaml.safe_dump(base | extra))
    trained = run_fxbot("train", "--until", "2024-01-31", "--config", str(config))
    assert trained.returncode == 0, trained.stderr
    return config, Registry(tmp_path / "models")


@pytest.mark.slow
def test_replay_with_monthly_retraining(tmp_path: Path) -> None:
    config, registry = _trained(
        tmp_path,
        account={"leverage": {PAIR: 1.0}},
        ledger={"path": str(tmp_path / "ledger.sqlite")},
        lifecycle={"shadow_days": 5},
        schedule={"cron": "* * * * * *", "job_timeout": 120, "retrain_timeout": 600},
    )
    first = registry.champion(PAIR)

    replay = ["--replay-from", FIRST.isoformat(), "--replay-days", str(DAYS), "--replay-retrain"]
    daemon = subprocess.run(
        [sys.executable, "-m", "fxbot.cli", "schedule", "--config", str(config), *replay],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    output = daemon.stdout + daemon.stderr
    assert daemon.returncode == 0, output

    # The calls never missed a day: one per replayed trading day, all from a champion.
    expected, day = [], FIRST
    for _ in range(DAYS):
        expected.append(day.isoformat())
        day = next_trading_day(day)
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        called = [r[0] for r in db.execute("SELECT bar_date FROM signals WHERE pair = ? ORDER BY bar_date", (PAIR,))]
        shadow = db.execute("SELECT model_version, COUNT(*) FROM shadow_calls GROUP BY model_version").fetchall()
        failed = db.execute("SELECT COUNT(*) FROM runs WHERE status != 'ok'").fetchone()[0]
    assert called == expected and failed == 0

    # Each month: a challenger trained by the schedule, shadowed, judged once with its evidence.
    log = registry.history(PAIR)
    imports = [e for e in log if e.action == "import" and e.by == "schedule"]
    decisions = [e for e in log if e.action in ("promote", "retire", "passed") and e.by == "schedule"]
    assert len(imports) == 2, [e.to_json() for e in log]
    assert [e.to_version for e in decisions] == [e.to_version for e in imports]
    # Judged on the 5 shadow calls and the held-back walk-forward of the recipe (3 months by default):
    # the probe calls every held-back day, the champion those it too was out of sample on.
    assert all(e.evidence["shadow"]["calls"] == 5 for e in decisions)
    assert all(55 <= e.evidence["held_back"]["calls"] <= 66 for e in decisions), [e.evidence for e in decisions]
    assert all(e.evidence["calls_vs_always_buy"] == 5 + e.evidence["held_back"]["calls"] for e in decisions)
    assert all(e.evidence["calls"] > 5 for e in decisions)  # the champion, older, was out of sample on some
    march, april = (v.split("-")[1] for v in (e.to_version or "" for e in imports))
    assert (march, april) == ("20240229", "20240329")  # the last bars of February and of March
    assert {v: n for v, n in shadow} == {e.to_version: 6 for e in imports}  # until the 6th day's gate
    messages = [ln for ln in output.splitlines() if "model gate USDJPY" in ln]
    assert len(messages) == 2, output
    print("\n".join(messages))  # the replay's decisions, for the record (pytest -s)
    champion = registry.champion(PAIR)
    promoted = [e.to_version for e in decisions if e.action == "promote"]
    assert champion == (promoted[-1] if promoted else first)


@pytest.mark.slow
def test_a_retrain_killed_mid_training_leaves_the_champion(tmp_path: Path) -> None:
    config, registry = _trained(tmp_path)
    champion, files = registry.champion(PAIR), sorted(p.name for p in (tmp_path / "models").rglob("*"))

    killed = run_fxbot("retrain", "--as-of", "2024-06-05", "--timeout", "3", "--config", str(config))
    assert killed.returncode == 3
    (line,) = [ln for ln in killed.stdout.splitlines() if ln.startswith(PAIR)]
    assert "retraining (fit) timed out; the champion stays" in line
    assert registry.champion(PAIR) == champion
    # Nothing half-made left behind; the retrain's lock file stays (an flock file, empty once released).
    left = sorted(p.name for p in (tmp_path / "models").rglob("*") if p.name != ".retrain.lock")
    assert left == files and (tmp_path / "models" / ".retrain.lock").read_text() == ""


@pytest.mark.slow
def test_a_failed_held_back_walk_forward_keeps_the_challenger_without_it(tmp_path: Path) -> None:
    """The probe cannot train (no bars before the held-back months): the challenger is stored without
    holdback.json, said so in one line (exit 3, alerted by the daemon); the champion stays."""
    config, registry = _trained(tmp_path, training={**TINY, "start": "2023-06-01"}, lifecycle={"holdback_months": 12})
    champion = registry.champion(PAIR)

    retrained = run_fxbot("retrain", "--as-of", "2024-06-05", "--config", str(config))
    assert retrained.returncode == 3, retrained.stdout + retrained.stderr
    (line,) = [ln for ln in retrained.stdout.splitlines() if ln.startswith(PAIR)]
    assert "a challenger" in line and "its held-back walk-forward failed" in line
    assert "lower lifecycle.holdback_months" in line and "judges it on its shadow calls alone" in line
    (challenger,) = registry.challengers(PAIR)
    assert registry.champion(PAIR) == champion and not (challenger.folder / "holdback.json").exists()
