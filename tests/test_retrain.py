"""`fxbot retrain` and the daemon's monthly retrain job (TensorFlow only in the slow test)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
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

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, run_fxbot
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
    config, champion = _older_champion(tmp_path)
    before = sorted(p.name for p in (tmp_path / "models" / PAIR).iterdir())
    result = subprocess.run(
        [sys.executable, "-c", NO_TF, "retrain", "--as-of", "2024-10-05", "--config", str(config)],
        env=clean_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if "retrain skipped" in ln]
    assert len(warnings) == 1 and "fxbot[train]" in warnings[0] and "fxbot models import DIR" in warnings[0]
    assert sorted(p.name for p in (tmp_path / "models" / PAIR).iterdir()) == before
    assert Registry(tmp_path / "models").champion(PAIR) == champion


def test_a_current_champion_needs_no_retraining(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED_MODELS / PAIR, tmp_path / "models" / PAIR)
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {"pairs": [PAIR], "data": {"dir": str(BUNDLED_DATA)}, "model": {"dir": str(tmp_path / "models")}}
        )
    )
    result = run_fxbot("retrain", "--as-of", "2025-03-10", "--config", str(config))
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
    assert retrain_command(Path("/etc/fxbot/c.yaml"), dt.date(2024, 7, 1))[3:] == [
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
