"""`fxbot status` and the ledger calls the daemon relies on (failed children, catch-up)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from fxbot.config import settings_from_mapping
from fxbot.ledger import Ledger
from fxbot.status import status_report

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli

NOW = dt.datetime(2024, 6, 14, 23, 0, tzinfo=dt.UTC)  # after Friday 2024-06-14's close


def _raw(tmp_path: Path) -> dict[str, object]:
    return {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "ledger.sqlite")},
    }


def test_status_before_any_run_and_after_one(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    settings = settings_from_mapping(_raw(tmp_path))
    before = status_report(settings, NOW)
    assert before.lines[0].startswith("last run: none yet")
    assert "next scheduled run: 2024-06-17 22:15 UTC" in before.lines[1]  # Monday
    assert any(line.startswith("model: USDJPY: USDJPY-20241231-") for line in before.lines)
    assert before.exit_code == 0 and any("USDJPY: 4808 bars, last 2024-12-31, up to date" in ln for ln in before.lines)
    later = status_report(settings, dt.datetime(2025, 2, 3, 23, 0, tzinfo=dt.UTC))
    assert later.exit_code == 3 and any("(stale)" in ln for ln in later.lines)

    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(_raw(tmp_path)))
    run = fxbot_cli("run-once", "--replay", "--no-fetch", "--as-of", "2024-06-14", "--config", str(config))
    assert run.returncode == 0, run.stderr
    after = status_report(settings, NOW)
    assert "as of 2024-06-14, ok" in after.lines[0]
    assert "ok, 1 runs (0 failed), 0 unconfirmed deliveries" in after.lines[1]
    cli = fxbot_cli("status", "--config", str(config))
    assert "last run:" in cli.stdout and "next scheduled run:" in cli.stdout


def test_abandoned_children_and_completed_days(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2024, 6, 14)
    assert not ledger.completed(day)
    run_id = ledger.start_run(day)  # a child that was killed mid-run leaves this 'running'
    assert ledger.abandon_running(day, "the daily run hung and was killed after 600 s") == 1
    (row,) = ledger.runs(5)
    assert (row["id"], row["status"], row["error"]) == (
        run_id,
        "failed",
        "the daily run hung and was killed after 600 s",
    )
    assert ledger.abandon_running(day, "killed by signal 9") == 1  # none running: a failed row is added
    assert [r["status"] for r in ledger.runs(5)] == ["failed", "failed"]
    assert not ledger.completed(day)
    ledger.finish_run(ledger.start_run(day), "skipped")  # already posted by an earlier attempt
    assert ledger.completed(day) and not ledger.completed(dt.date(2024, 6, 17))
    assert ledger.health() == {"integrity": "ok", "runs": 3, "failed": 2, "pending": 0}
