"""State apart from code: seeded on first use, never overwritten, untouched by an upgrade."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from fxbot.config import Settings, load_settings
from fxbot.model.artifacts import read_manifest
from fxbot.model.registry import Registry
from fxbot.state import seed_data, seed_models

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, run_fxbot
from .test_registry import make_variant

PAIR = "USDJPY"


def checkout(tmp_path: Path) -> Path:
    """A checkout's seeds (bundled data and shipped models of one pair) and a config without explicit paths."""
    root = tmp_path / "checkout"
    (root / "data").mkdir(parents=True)
    shutil.copy(BUNDLED_DATA / f"{PAIR}.csv", root / "data")
    shutil.copytree(SHIPPED_MODELS / PAIR, root / "models" / PAIR)
    (root / "config.yaml").write_text(yaml.safe_dump({"pairs": [PAIR], "account": {"leverage": {PAIR: 1.79}}}))
    return root


def run(root: Path, *args: str) -> str:
    result = run_fxbot(*args, "--config", str(root / "config.yaml"), cwd=root)
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
