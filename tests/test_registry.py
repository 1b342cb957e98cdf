"""The model registry: version folders, the atomic champion pointer, the promotions log, migration, import.

A promotion is killed (os._exit and SIGKILL in a child process) after each of its steps; every
time, a daily run finds a complete champion, the old or the new one, and the log catches up.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fxbot.errors import ModelError, UsageError
from fxbot.model.artifacts import read_manifest, write_manifest
from fxbot.model.ensemble import Ensemble
from fxbot.model.registry import LEGACY, PROMOTION_STEPS, Registry

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, FxbotCli, run_fxbot
from .support.env import clean_env

PAIR = "USDJPY"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A models root in the old flat layout (as every checkout before the registry), with an extra file."""
    models = tmp_path / "models"
    shutil.copytree(SHIPPED_MODELS / PAIR, models / PAIR)
    (models / PAIR / "evidence.json").write_text('{"note": "written beside the manifest by another tool"}\n')
    return models


def make_variant(source: Path, dest: Path, created_at: str) -> str:
    """A copy of a version folder with another creation time: a distinct, complete version; its name."""
    shutil.copytree(source, dest)
    manifest = read_manifest(source, pair=PAIR)
    import msgspec

    changed = msgspec.structs.replace(manifest, created_at=created_at)
    write_manifest(dest, changed)
    return changed.version


def files_below(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_flat_folder_is_read_as_it_is_then_migrated_losing_nothing(root: Path) -> None:
    before = files_below(root / PAIR)
    registry = Registry(root)
    assert registry.champion(PAIR) == LEGACY
    assert registry.champion_folder(PAIR) == root / PAIR  # the daily run works without migrating
    assert registry.challenger(PAIR) is None  # the flat champion is not its own challenger (no shadow calls)
    version = read_manifest(root / PAIR).version

    assert registry.migrate(PAIR) == version
    assert registry.champion(PAIR) == version
    assert files_below(root / PAIR / version) == before  # every file, evidence.json and the SavedModels too
    assert sorted(p.name for p in (root / PAIR).iterdir()) == sorted(["champion", "champion.sha256", version])
    assert [(e.action, e.to_version) for e in registry.history(PAIR)] == [("migrate", version)]
    assert read_manifest(registry.champion_folder(PAIR), pair=PAIR).version == version  # versions never change
    assert registry.migrate(PAIR) is None  # idempotent


def test_import_promote_rollback(root: Path, tmp_path: Path) -> None:
    registry = Registry(root)
    first = read_manifest(root / PAIR).version
    second = make_variant(root / PAIR, tmp_path / "elsewhere", "2030-01-01T00:00:00+00:00")
    info = registry.add(tmp_path / "elsewhere")
    assert info.version == second and not info.champion
    assert registry.champion(PAIR) == first  # imported: a challenger, not a silent replacement
    challenger = registry.challenger(PAIR)
    assert challenger is not None and challenger.version == second

    registry.promote(second, evidence={"accuracy": 0.55})
    assert registry.champion(PAIR) == second and registry.challenger(PAIR) is None
    Ensemble(registry.champion_folder(PAIR), "litert", pair=PAIR).close()

    entry = registry.rollback(PAIR)
    assert (entry.from_version, entry.to_version, entry.by) == (second, first, "user")
    assert registry.champion(PAIR) == first
    actions = [(e.action, e.from_version, e.to_version) for e in registry.history(PAIR)]
    assert actions == [
        ("migrate", None, first),
        ("import", first, second),
        ("promote", first, second),
        ("rollback", second, first),
    ]
    with pytest.raises(UsageError, match="no earlier champion"):
        registry.rollback(PAIR)
    with pytest.raises(UsageError, match="already stored"):
        registry.add(tmp_path / "elsewhere")


def _break_truncated_tflite(folder: Path) -> None:
    path = folder / "member_3.tflite"
    path.write_bytes(path.read_bytes()[:-200])


def _break_missing_tflite(folder: Path) -> None:
    (folder / "member_1.tflite").unlink()


def _break_truncated_keras(folder: Path) -> None:
    path = folder / "member_0.keras"
    path.write_bytes(path.read_bytes()[:-500])


def _break_truncated_checkpoint(folder: Path) -> None:
    path = folder / "member_4.savedmodel" / "variables" / "variables.index"
    path.write_bytes(path.read_bytes()[:-16])


def _break_other_format(folder: Path) -> None:
    path = folder / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format_version"] = 2
    path.write_text(json.dumps(raw))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_break_truncated_tflite, r"member_3.tflite is not a valid .tflite model"),
        (_break_missing_tflite, r"member_1.tflite is missing"),
        (_break_truncated_keras, r"member_0.keras is truncated"),
        (_break_truncated_checkpoint, r"variables.index is truncated"),
        (_break_other_format, r"format_version 2 is not supported"),
    ],
)
def test_a_bad_folder_is_refused_and_the_champion_untouched(
    root: Path, tmp_path: Path, breakage: object, message: str
) -> None:
    registry = Registry(root)
    registry.migrate(PAIR)
    champion = registry.champion(PAIR)
    before = files_below(root)
    make_variant(registry.champion_folder(PAIR), tmp_path / "bad", "2030-01-01T00:00:00+00:00")
    breakage(tmp_path / "bad")  # type: ignore[operator]
    with pytest.raises(ModelError, match=message):
        registry.add(tmp_path / "bad")
    assert registry.champion(PAIR) == champion
    assert files_below(root) == before  # nothing added, nothing logged, no leftovers


def test_cli_import_refusal_is_one_line(root: Path, tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    make_variant(root / PAIR, tmp_path / "bad", "2030-01-01T00:00:00+00:00")
    _break_truncated_keras(tmp_path / "bad")
    config = tmp_path / "config.yaml"
    config.write_text(f"model:\n  dir: {root}\ndata:\n  dir: {BUNDLED_DATA}\n")
    result = fxbot_cli("models", "import", str(tmp_path / "bad"), "--config", str(config))
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "member_0.keras is truncated" in lines[0] and "copy the whole version" in lines[0]
    listed = fxbot_cli("models", "list", "--pairs", PAIR, "--config", str(config))
    assert listed.returncode == 0 and "[champion]" in listed.stdout and "bad" not in listed.stdout


_KILLER = """
import os, signal, sys
from pathlib import Path
from fxbot.model.registry import Registry
root, version, stop, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def on_step(step):
    if step == stop:
        if how == "exit":
            os._exit(9)
        os.kill(os.getpid(), signal.SIGKILL)
Registry(root).promote(version, by="schedule", on_step=on_step)
"""


@pytest.mark.parametrize("how", ["exit", "sigkill"])
@pytest.mark.parametrize("step", PROMOTION_STEPS)
def test_a_promotion_killed_at_any_step_leaves_a_complete_champion(
    root: Path, tmp_path: Path, step: str, how: str
) -> None:
    registry = Registry(root)
    first = registry.migrate(PAIR)
    second = make_variant(registry.champion_folder(PAIR), tmp_path / "new", "2030-01-01T00:00:00+00:00")
    registry.add(tmp_path / "new")

    killed = subprocess.run(
        [sys.executable, "-c", _KILLER, str(root), second, step, how], env=clean_env(), cwd=REPO, check=False
    )
    assert killed.returncode != 0  # it really died at that step

    champion = registry.champion(PAIR)
    assert champion in (first, second)
    if PROMOTION_STEPS.index(step) >= PROMOTION_STEPS.index("replaced"):
        assert champion == second
    else:
        assert champion == first
    Ensemble(registry.champion_folder(PAIR), "litert", min_members=5, pair=PAIR).close()  # complete

    # The next change tidies up and the log catches up with the pointer.
    registry.rollback(PAIR) if champion == second else registry.promote(second)
    stack = registry.champion_stack(PAIR)
    assert stack[-1] == registry.champion(PAIR)
    assert not [p for p in (root / PAIR).iterdir() if p.name.startswith(".")]


def test_daily_run_finds_the_champion_while_a_promotion_is_killed(root: Path, tmp_path: Path) -> None:
    registry = Registry(root)
    registry.migrate(PAIR)
    second = make_variant(registry.champion_folder(PAIR), tmp_path / "new", "2030-01-01T00:00:00+00:00")
    registry.add(tmp_path / "new")
    config = tmp_path / "config.yaml"
    config.write_text(f"pairs: [{PAIR}]\nmodel:\n  dir: {root}\ndata:\n  dir: {BUNDLED_DATA}\n")
    for step in ("temp-synced", "replaced"):
        subprocess.run(
            [sys.executable, "-c", _KILLER, str(root), second, step, "sigkill"], env=clean_env(), cwd=REPO, check=False
        )
        result = run_fxbot("run-once", "--dry-run", "--no-fetch", "--as-of", "2024-12-30", "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert f"Models: {registry.champion(PAIR)}" in result.stdout  # the champion the pointer names


def test_a_damaged_version_is_never_promoted_and_the_cli_rolls_back(
    root: Path, tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    registry = Registry(root)
    first = registry.migrate(PAIR)
    second = make_variant(registry.champion_folder(PAIR), tmp_path / "new", "2030-01-01T00:00:00+00:00")
    registry.add(tmp_path / "new")
    member = root / PAIR / second / "member_2.tflite"
    member.write_bytes(member.read_bytes()[:1000])  # damaged after it was stored
    config = tmp_path / "config.yaml"
    config.write_text(f"model:\n  dir: {root}\ndata:\n  dir: {BUNDLED_DATA}\n")
    refused = fxbot_cli("models", "promote", second, "--config", str(config))
    assert refused.returncode == 3 and "member_2.tflite is not a valid .tflite model" in refused.stderr
    assert registry.champion(PAIR) == first

    shutil.rmtree(root / PAIR / second)
    third = make_variant(registry.champion_folder(PAIR), tmp_path / "third", "2031-01-01T00:00:00+00:00")
    assert fxbot_cli("models", "import", str(tmp_path / "third"), "--config", str(config)).returncode == 0
    promoted = fxbot_cli("models", "promote", third, "--config", str(config))
    assert promoted.returncode == 0 and f"champion is now {third} (was {first})" in promoted.stdout
    shown = fxbot_cli("models", "show", third, "--config", str(config))
    assert shown.returncode == 0 and "(champion)" in shown.stdout and "promote" in shown.stdout
    back = fxbot_cli("models", "rollback", "usd/jpy", "--config", str(config))
    assert back.returncode == 0 and f"rolled back from {third} to {first}" in back.stdout
    assert registry.champion(PAIR) == first
    again = fxbot_cli("models", "rollback", PAIR, "--config", str(config))
    assert again.returncode == 2 and "no earlier champion" in again.stderr


def test_importing_a_train_out_folder_names_the_version_folders_inside(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    out = tmp_path / "out"  # what `fxbot train --out DIR` writes: DIR/<PAIR>/
    shutil.copytree(SHIPPED_MODELS / PAIR, out / PAIR)
    config = tmp_path / "c.yaml"
    config.write_text(f"model:\n  dir: {tmp_path / 'registry'}\n")
    run = fxbot_cli("models", "import", str(out), "--config", str(config))
    assert run.returncode == 2
    assert f"holds model folders, not one version: import each, `fxbot models import {out / PAIR}`" in run.stderr
    assert not (tmp_path / "registry" / PAIR).exists()  # nothing half-imported
