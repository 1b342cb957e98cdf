"""`fxbot schedule` for real: a subprocess daemon firing every few seconds against a Slack stand-in."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS
from .support.env import clean_env
from .support.slack_server import TOKEN, Reply, SlackStandIn

CHANNEL = "C0FXSIGNALS"
ALERTS = "C0FXALERTS"


def _config(tmp_path: Path, **schedule: Any) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "ledger.sqlite")},
        "notify": {"slack": {"channel": CHANNEL, "error_channel": ALERTS, "retries": 1, "timeout_seconds": 30}},
        "schedule": {"cron": "*/3 * * * * *", **schedule},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _start(config: Path, slack: SlackStandIn, *args: str) -> subprocess.Popen[str]:
    env = clean_env({"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url})
    return subprocess.Popen(
        [sys.executable, "-m", "fxbot.cli", "schedule", "--config", str(config), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _reports(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [m for m in slack.posts(CHANNEL) if (m.get("metadata") or {}).get("event_type") == "fxbot_daily_calls"]


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the daemon exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"timed out:\n{proc.communicate()[0]}")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out


def _rows(config: Path, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(yaml.safe_load(config.read_text())["ledger"]["path"]) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql))


@pytest.mark.slow
def test_daemon_posts_each_day_once_and_stops_cleanly_on_sigterm(slack: SlackStandIn, tmp_path: Path) -> None:
    config = _config(tmp_path)
    proc = _start(config, slack, "--replay-from", "2024-06-03")
    _wait_for(lambda: len(_reports(slack)) >= 2, proc, seconds=120)
    code, out = _stop(proc)
    assert code == 0, out
    assert "stopping (signal 15)" in out
    days = [m["metadata"]["event_payload"]["as_of"] for m in _reports(slack)]
    assert days[:2] == ["2024-06-03", "2024-06-04"] and len(days) == len(set(days))  # one post per day
    runs = _rows(config, "SELECT as_of, status, ended_at FROM runs ORDER BY id")
    assert runs and all(r["ended_at"] is not None and r["status"] == "ok" for r in runs)  # nothing half-done
    sent = _rows(config, "SELECT as_of, status FROM deliveries ORDER BY id")
    assert [r["as_of"] for r in sent] == days and {r["status"] for r in sent} == {"sent"}
    assert TOKEN not in out


@pytest.mark.slow
def test_a_hung_child_is_killed_recorded_and_alerted_and_the_next_day_posts(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    config = _config(tmp_path, job_timeout=8, cron="*/2 * * * * *")
    slack.reply("chat.postMessage", Reply(delay=25, process=False, body={"ok": True}))  # Slack hangs on day 1
    proc = _start(config, slack, "--replay-from", "2024-06-03", "--replay-days", "2")
    try:
        out, _ = proc.communicate(timeout=120)  # stops by itself after two days
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, out
    assert "hung and was killed after" in out
    alerts = [m["text"] for m in slack.posts(ALERTS)]
    assert any("hung and was killed" in a for a in alerts), alerts
    days = [m["metadata"]["event_payload"]["as_of"] for m in _reports(slack)]
    assert days == ["2024-06-04"]  # day 1 never reached the channel; day 2 did
    runs = _rows(config, "SELECT as_of, status, error FROM runs ORDER BY id")
    assert [(r["as_of"], r["status"]) for r in runs] == [("2024-06-03", "failed"), ("2024-06-04", "ok")]
    assert "hung" in runs[0]["error"]
