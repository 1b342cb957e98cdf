"""State apart from code: seeded on first use, never overwritten, untouched by an upgrade."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fxbot.config import Settings, load_settings
from fxbot.model.artifacts import read_manifest
from fxbot.model.registry import Registry
from fxbot.state import seed_data, seed_models

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, run_fxbot
from .support.env import clean_env
from .support.slack_server import SlackStandIn
from .test_registry import make_variant

PAIR = "USDJPY"


def checkout(tmp_path: Path) -> Path:
    """A checkout's seeds (bundled data and shipped models of one pair) and a config naming them, state in state/."""
    root = tmp_path / "checkout"
    (root / "data").mkdir(parents=True)
    shutil.copy(BUNDLED_DATA / f"{PAIR}.csv", root / "data")
    shutil.copytree(SHIPPED_MODELS / PAIR, root / "models" / PAIR)
    config = {
        "pairs": [PAIR],
        "account": {"leverage": {PAIR: 1.79}},
        "state_dir": "state",
        "data": {"seed_dir": "data"},
        "model": {"seed_dir": "models"},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def run(root: Path, *args: str) -> str:
    # This checkout's own state/, not the test's FXBOT_STATE_DIR: the config's state_dir is what is tested.
    result = run_fxbot(*args, "--config", str(root / "config.yaml"), cwd=root, env={"FXBOT_STATE_DIR": ""})
    assert result.returncode == 0, result.stderr
    return result.stdout


def ledger_runs(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return [(r[0], r[1]) for r in db.execute("SELECT as_of, status FROM runs ORDER BY id")]


def test_defaults_place_everything_under_state_dir() -> None:
    settings = Settings(state_dir=Path("/var/lib/fxbot"))
    assert settings.data.dir == Path("/var/lib/fxbot/data")
    assert settings.model.dir == Path("/var/lib/fxbot/models")
    assert settings.ledger.path == Path("/var/lib/fxbot/fxbot.sqlite")
    explicit = Settings(state_dir=Path("/srv/s"), data={"dir": "/data/bars"}, ledger={"path": "l.sqlite"})
    assert explicit.data.dir == Path("/data/bars") and explicit.ledger.path == Path("l.sqlite")


def test_fxbot_state_dir_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FXBOT_STATE_DIR", str(tmp_path / "s"))
    assert load_settings().model.dir == tmp_path / "s" / "models"
    config = tmp_path / "c.yaml"
    config.write_text("state_dir: elsewhere\n")
    assert load_settings(config).ledger.path == tmp_path / "s" / "fxbot.sqlite"


def test_explicit_folders_are_never_seeded(tmp_path: Path) -> None:
    settings = Settings(
        state_dir=tmp_path / "state",
        pairs=[PAIR],
        account={"leverage": {PAIR: 1.0}},
        data={"dir": str(tmp_path / "empty"), "seed_dir": str(BUNDLED_DATA)},
        model={"dir": str(tmp_path / "nomodels"), "seed_dir": str(SHIPPED_MODELS)},
    )
    assert seed_data(settings) == [] and seed_models(settings) == []
    assert not (tmp_path / "empty").exists() and not (tmp_path / "nomodels").exists()


def test_upgrade_with_state_in_use_loses_nothing(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    state = root / "state"
    # First use: seeded, one real run recorded (a replayed day, console only).
    run(root, "run-once", "--as-of", "2024-12-27", "--replay", "--no-fetch")
    shipped = read_manifest(root / "models" / PAIR).version
    registry = Registry(state / "models")
    assert registry.champion(PAIR) == shipped
    bars = (state / "data" / f"{PAIR}.csv").read_bytes()
    # State in use: the user promotes a model of their own.
    own = make_variant(root / "models" / PAIR, tmp_path / "own", "2029-06-01T00:00:00+00:00")
    run(root, "models", "import", str(tmp_path / "own"))
    run(root, "models", "promote", own)
    log_before = registry.log_path.read_text()

    # The upgrade: new bundled data (shorter, different) and a newer shipped model.
    (root / "data" / f"{PAIR}.csv").write_text((BUNDLED_DATA / f"{PAIR}.csv").read_text()[:-2000])
    shutil.rmtree(root / "models" / PAIR)
    newer = make_variant(SHIPPED_MODELS / PAIR, root / "models" / PAIR, "2030-01-01T00:00:00+00:00")

    out = run(root, "run-once", "--as-of", "2024-12-30", "--replay", "--no-fetch")
    assert f"Models: {own}" in out  # the user's champion still calls
    assert (state / "data" / f"{PAIR}.csv").read_bytes() == bars  # the bars were not replaced
    assert registry.champion(PAIR) == own
    assert registry.log_path.read_text().startswith(log_before)  # the log only grew
    challenger = registry.challenger(PAIR)
    assert challenger is not None and challenger.version == newer  # the new shipped model waits as a challenger
    assert {v.version for v in registry.versions(PAIR)} == {shipped, own, newer}
    assert ledger_runs(state / "fxbot.sqlite") == [("2024-12-27", "ok"), ("2024-12-30", "ok")]
    listed = run(root, "models", "list")
    assert f"{newer}" in listed and "[challenger]" in listed

    # Running again adds nothing more (the seeds are seen, never applied twice).
    log_after = registry.log_path.read_text()
    run(root, "run-once", "--dry-run", "--as-of", "2024-12-30", "--no-fetch")
    assert registry.log_path.read_text() == log_after


@pytest.mark.parametrize("attempt", range(4))
def test_first_runs_started_together_both_succeed_and_alert_nobody(
    tmp_path: Path, slack: SlackStandIn, attempt: int
) -> None:
    """First boot with the daemon and the Slack app enabled: commands seed one fresh state folder at once.

    Three rather than two: without the seeding lock at least one of them failed in most attempts here.
    """
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"notify": {"slack": {"channel": "C0FX"}}}))
    env = clean_env(
        {
            "FXBOT_STATE_DIR": str(tmp_path / "fresh-state"),
            "SLACK_BOT_TOKEN": slack.token,
            "FXBOT_SLACK_API_URL": slack.api_url,
        }
    )
    command = [sys.executable, "-m", "fxbot.cli", "run-once", "--dry-run", "--config", str(config)]
    procs = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert all(name in out for name in ("USD/JPY", "EUR/JPY", "GBP/JPY")), out
    slack.wait_idle()
    assert slack.calls("chat.postMessage") == [], "a first run alerted the channel"
    registry = Registry(tmp_path / "fresh-state" / "models")
    assert all(registry.champion(pair) is not None for pair in ("USDJPY", "EURJPY", "GBPJPY"))


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


def test_tests_use_their_own_state_folder_never_the_users(tmp_path: Path) -> None:
    """The autouse fixture's FXBOT_STATE_DIR reaches child processes: the checkout's state/ is left alone."""
    own = Path(os.environ["FXBOT_STATE_DIR"])
    assert not own.is_relative_to(REPO) and not os.environ["XDG_STATE_HOME"].startswith(str(Path.home()))
    before = _snapshot(REPO / "state")
    result = run_fxbot("run-once", "--as-of", "2024-12-27", "--replay", "--no-fetch")  # cwd: the checkout
    assert result.returncode == 0, result.stderr
    assert (own / "fxbot.sqlite").is_file() and (own / "models" / PAIR).is_dir()
    assert _snapshot(REPO / "state") == before
