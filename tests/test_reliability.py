"""Faults of the daily run and the daemon: a broken ledger is alerted, a replay is not news, SIGHUP reloads.

Against the loopback Slack stand-in, through the real CLI (in-process or as a subprocess).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from fxbot.cli import main

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS
from .support.env import clean_env
from .support.slack_server import TOKEN, SlackStandIn

CHANNEL = "C0FXSIGNALS"
ALERTS = "C0FXALERTS"
DAY = "2024-06-14"


def _config(tmp_path: Path, **schedule: str) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "fxbot.sqlite")},
        "notify": {"slack": {"channel": CHANNEL, "error_channel": ALERTS, "retries": 0, "timeout_seconds": 5}},
        "schedule": {"cron": "0 3 1 1 mon-fri", **schedule},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _bot(monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn) -> dict[str, str]:
    env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _reports(slack: SlackStandIn) -> list[dict[str, object]]:
    return [m for m in slack.posts(CHANNEL) if (m.get("metadata") or {}).get("event_type") == "fxbot_daily_calls"]


def test_a_corrupt_ledger_is_one_line_exit_3_and_an_alert(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _bot(monkeypatch, slack)
    config = _config(tmp_path)
    ledger = tmp_path / "state" / "fxbot.sqlite"
    ledger.parent.mkdir()
    ledger.write_bytes(b"garbage, not SQLite " * 100)
    code = main(["run-once", "--replay", "--as-of", DAY, "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 3
    lines = [ln for ln in err.splitlines() if ln.startswith("fxbot: error:")]
    assert len(lines) == 1 and str(ledger) in lines[0] and "mv " in lines[0], err
    assert _reports(slack) == []
    alerts = [m["text"] for m in slack.posts(ALERTS)]
    assert len(alerts) == 1 and "cannot be used" in alerts[0], alerts


def test_a_ledger_deleted_after_use_is_not_silently_recreated(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _bot(monkeypatch, slack)
    config = _config(tmp_path)
    assert main(["run-once", "--replay", "--as-of", DAY, "--config", str(config)]) == 0
    ledger = tmp_path / "state" / "fxbot.sqlite"
    for path in ledger.parent.glob("fxbot.sqlite*"):
        if not path.name.endswith(".in-use"):
            path.unlink()
    capsys.readouterr()
    assert main(["run-once", "--replay", "--as-of", DAY, "--config", str(config)]) == 3
    assert "is now gone" in capsys.readouterr().err
    assert len(_reports(slack)) == 1 and not ledger.exists()


def test_a_past_day_is_a_replay_only_on_request(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _bot(monkeypatch, slack)
    config = _config(tmp_path)
    assert main(["run-once", "--as-of", DAY, "--config", str(config)]) == 2
    assert "is a past day" in capsys.readouterr().err
    assert slack.requests == [] and not (tmp_path / "state" / "fxbot.sqlite").exists()
    assert main(["run-once", "--as-of", DAY, "--dry-run", "--config", str(config)]) == 0
    assert main(["run-once", "--replay", "--as-of", DAY, "--config", str(config)]) == 0
    post = _reports(slack)
    assert len(post) == 1 and "REPLAY" in str(post[0]["blocks"])
    # --replay keeps exactly once: the replayed day is not posted again
    assert main(["run-once", "--replay", "--as-of", DAY, "--config", str(config)]) == 0
    assert len(_reports(slack)) == 1


def _daemon(config: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fxbot.cli", "schedule", "--config", str(config), *args],
        cwd=REPO,
        env=clean_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_the_daemon_alerts_on_a_child_that_exits_non_zero(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _bot(monkeypatch, slack)
    config = _config(tmp_path, cron="* * * * * *")
    ledger = tmp_path / "state" / "fxbot.sqlite"
    ledger.parent.mkdir()
    ledger.write_bytes(b"garbage, not SQLite " * 100)  # every child exits 3
    proc = _daemon(config, env, "--replay-from", "2024-06-03", "--replay-days", "1")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    alerts = [m["text"] for m in slack.posts(ALERTS)]
    # the child's own alert, and the daemon's (a child that fails before it can alert is covered too)
    assert any("exited with code 3" in a and "2024-06-03" in a for a in alerts), alerts
    assert TOKEN not in out


@pytest.mark.slow
def test_sighup_reloads_the_schedule_and_keeps_running(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _bot(monkeypatch, slack)
    config = _config(tmp_path)
    proc = _daemon(config, env, "--replay-from", "2024-06-03")  # replay: no catch-up, a yearly cron: no firing
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "next run" in line:
                break
        config.write_text(config.read_text().replace("0 3 1 1 mon-fri", "15 23 * * mon-fri"))
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        seen = ""
        for line in proc.stdout:
            seen += line
            if "reloaded:" in line or time.monotonic() > deadline:
                break
        assert "reloaded: '15 23 * * mon-fri'" in seen, seen
        assert proc.poll() is None  # still running
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_runs_racing_for_the_same_day_post_exactly_once(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three `run-once` and a daemon child for one day, started together, with Slack accepting posts slowly."""
    from .support.slack_server import Reply

    env = _bot(monkeypatch, slack)
    config = _config(tmp_path, cron="* * * * * *")
    for _ in range(4):  # each post is stored only 0.8 s after it arrives: a racer's first look finds nothing
        slack.reply("chat.postMessage", Reply(process_after=0.8))
    run_once = [sys.executable, "-m", "fxbot.cli", "run-once", "--replay", "--no-fetch", "--as-of", DAY]
    racers = [
        subprocess.Popen(
            [*run_once, "--config", str(config)],
            cwd=REPO,
            env=clean_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    racers.append(_daemon(config, env, "--replay-from", DAY, "--replay-days", "1"))  # its child runs the same day
    outputs = [proc.communicate(timeout=180)[0] for proc in racers]
    assert [proc.returncode for proc in racers] == [0, 0, 0, 0], outputs
    assert len(_reports(slack)) == 1, outputs
    assert len(slack.calls("chat.postMessage")) == 1  # the others waited for the lease, then found it posted
    assert sum("already posted" in out for out in outputs) >= 2, outputs
