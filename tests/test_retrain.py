"""`fxbot retrain` and the daemon's monthly retrain job (TensorFlow only in the slow test)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest
import yaml

from fxbot.config import ScheduleSettings
from fxbot.errors import ConfigError
from fxbot.model.artifacts import read_manifest, write_manifest
from fxbot.model.registry import Registry
from fxbot.model.retrain import last_month_end
from fxbot.scheduler import RETRAIN_JOB_ID, Daemon, retrain_command, retrain_trigger

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, FxbotCli, run_fxbot
from .support.env import clean_env

PAIR = "USDJPY"
NO_TF = "import sys; sys.modules['tensorflow'] = None; from fxbot.cli import main; sys.exit(main(sys.argv[1:]))"


def _older_champion(tmp_path: Path) -> tuple[Path, str]:
    """A registry whose USDJPY champion says it was trained to 2024-06-28, and a config for it."""
    folder = tmp_path / "old"
    shutil.copytree(SHIPPED_MODELS / PAIR, folder)
    manifest = msgspec.structs.replace(read_manifest(folder, pair=PAIR), train_end="2024-06-28")
    write_manifest(folder, manifest)
    registry = Registry(tmp_path / "models")
    registry.add(folder)
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "pairs": [PAIR],
                "account": {"leverage": {PAIR: 1.0}},
                "data": {"dir": str(BUNDLED_DATA)},
                "model": {"dir": str(tmp_path / "models")},
                "ledger": {"path": str(tmp_path / "l.sqlite")},
            }
        )
    )
    return config, manifest.version


def test_last_completed_month() -> None:
    assert last_month_end(dt.date(2025, 3, 10)) == dt.date(2025, 2, 28)
    assert last_month_end(dt.date(2025, 1, 1)) == dt.date(2024, 12, 31)


def test_without_tensorflow_retrain_is_skipped_with_one_line(tmp_path: Path) -> None:
    """Scheduled, the month is skipped with one warning (exit 0); asked for by hand, it is one error line (exit 2)."""
    config, champion = _older_champion(tmp_path)
    before = sorted(p.name for p in (tmp_path / "models" / PAIR).iterdir())

    def retrain(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", NO_TF, "retrain", "--as-of", "2024-10-05", "--config", str(config), *extra],
            env=clean_env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    scheduled = retrain("--scheduled")
    assert scheduled.returncode == 0, scheduled.stderr
    warnings = [ln for ln in scheduled.stderr.splitlines() if "retrain skipped" in ln]
    assert len(warnings) == 1 and "fxbot[train]" in warnings[0] and "fxbot models import DIR" in warnings[0]
    by_hand = retrain()
    assert by_hand.returncode == 2, by_hand.stderr
    (line,) = by_hand.stderr.strip().splitlines()
    assert line.startswith(f"fxbot: error: fxbot retrain cannot train {PAIR}: TensorFlow is not installed")
    assert "fxbot models import DIR" in line
    assert sorted(p.name for p in (tmp_path / "models" / PAIR).iterdir()) == before
    assert Registry(tmp_path / "models").champion(PAIR) == champion


def test_a_current_champion_needs_no_retraining(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    shutil.copytree(SHIPPED_MODELS / PAIR, tmp_path / "models" / PAIR)
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {"pairs": [PAIR], "data": {"dir": str(BUNDLED_DATA)}, "model": {"dir": str(tmp_path / "models")}}
        )
    )
    result = fxbot_cli("retrain", "--as-of", "2025-03-10", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "USDJPY: nothing to train: the champion USDJPY-20241231-" in result.stdout
    assert "trained to 2024-12-31 already" in result.stdout


def test_daemon_schedules_the_monthly_retrain_in_its_own_child(tmp_path: Path) -> None:
    schedule = ScheduleSettings(retrain_cron="30 3 2 * *", retrain_timeout=120)
    daemon = Daemon(schedule, None, alert=lambda m: None)
    job = daemon.scheduler.get_job(RETRAIN_JOB_ID)
    assert job is not None and job.max_instances == 1
    fire = job.trigger.get_next_fire_time(None, dt.datetime(2025, 3, 10, tzinfo=dt.UTC))
    assert fire == dt.datetime(2025, 4, 2, 3, 30, tzinfo=dt.UTC)
    assert (
        Daemon(ScheduleSettings(retrain_cron=""), None, alert=lambda m: None).scheduler.get_job(RETRAIN_JOB_ID) is None
    )
    replaying = Daemon(schedule, None, alert=lambda m: None, replay_from=dt.date(2024, 6, 3))
    assert replaying.scheduler.get_job(RETRAIN_JOB_ID) is None  # a replay retrains by its own days
    with pytest.raises(ConfigError, match=r"schedule\.retrain_cron"):
        retrain_trigger(ScheduleSettings(retrain_cron="every month"))
    assert retrain_command(Path("/etc/fxbot/c.yaml"), dt.date(2024, 7, 1))[4:] == [
        "retrain",
        "--scheduled",
        "--config",
        "/etc/fxbot/c.yaml",
        "--as-of",
        "2024-07-01",
    ]


def test_a_failed_retrain_child_is_alerted_and_the_daily_job_untouched(tmp_path: Path) -> None:
    alerts: list[str] = []
    daemon = Daemon(ScheduleSettings(retrain_timeout=60), tmp_path / "missing.yaml", alert=alerts.append)
    result = daemon.retrain_job()
    assert result.exit_code == 2  # the config file does not exist
    (alert,) = alerts
    assert "the monthly retrain exited with code 2" in alert and "the champions stay in use" in alert


def test_a_second_retrain_on_the_same_registry_exits_2_naming_the_holder(tmp_path: Path) -> None:
    """Two retrains at once would destroy each other's staging folders: the second is refused at once."""
    from fxbot.model.retrain import retrain_lock

    config, champion = _older_champion(tmp_path)
    with retrain_lock(tmp_path / "models"):  # this process is the first retrain
        result = run_fxbot("retrain", "--as-of", "2024-10-05", "--config", str(config))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"another retrain is running on {tmp_path / 'models'} (pid {os.getpid()}, " in lines[0]
    assert Registry(tmp_path / "models").champion(PAIR) == champion
    with retrain_lock(tmp_path / "models"):  # released when its holder ends: no stale lock
        pass


_SLEEPER = """
import os, subprocess, sys, time
grand = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open(sys.argv[1], "w").write(f"{os.getpid()} {grand.pid}")
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (reaped by nobody yet) is dead too
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_dead(pids: list[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_retrain_children_are_killed_with_their_group_on_timeout(tmp_path: Path) -> None:
    """The daemon's timeout (or the retrain's budget) kills the child and everything it started (TensorFlow's)."""
    from fxbot.scheduler import run_child

    pids = tmp_path / "pids"
    result = run_child([sys.executable, "-c", _SLEEPER, str(pids)], 3.0, group=True)
    assert result.timed_out
    child, grand = (int(p) for p in pids.read_text().split())
    assert _wait_dead([child, grand])


def test_killing_a_retrain_kills_its_tensorflow_child(tmp_path: Path) -> None:
    """kill -9 of the retrain process: its phase child (in its own group) dies with it, orphaned nowhere."""
    pids = tmp_path / "pids"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from fxbot.scheduler import run_child; "
            "run_child([sys.executable, '-c', sys.argv[1], sys.argv[2]], 600, group=True)",
            _SLEEPER,
            str(pids),
        ],
        cwd=REPO,
        env=clean_env(),
    )
    try:
        deadline = time.monotonic() + 30
        while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child, grand = (int(p) for p in pids.read_text().split())
        assert os.getpgid(child) == child  # its own process group
        parent.kill()
        parent.wait(timeout=10)
        assert _wait_dead([child])  # PR_SET_PDEATHSIG: killed with its parent
    finally:
        for pid in (locals().get("child"), locals().get("grand")):
            if isinstance(pid, int) and _alive(pid):
                os.kill(pid, 9)
