"""Hostile model folders and registry files: every path from data stays in its root, every read is bounded.

Each test is named after what it attacks (issue 21): a manifest that names a path, links, FIFOs,
oversized files, a hand-edited champion, another pair's member, renamed features, a damaged log.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import msgspec
import pytest

from fxbot.errors import ModelError, UsageError
from fxbot.model.artifacts import MANIFEST_NAME, read_manifest, write_manifest
from fxbot.model.registry import CHECKSUM_NAME, LOG_NAME, Registry

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli

PAIR = "USDJPY"


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry whose USDJPY champion is the shipped version (seeded, checksum recorded)."""
    root = tmp_path / "models"
    root.mkdir()
    reg = Registry(root)
    reg.add(_copy(tmp_path / "seed"))
    return reg


def _copy(dest: Path, pair: str = PAIR) -> Path:
    shutil.copytree(SHIPPED_MODELS / pair, dest)
    return dest


def _variant(dest: Path, **changes: object) -> Path:
    """A copy of the shipped USDJPY version whose manifest has ``changes`` (written as JSON, unchecked)."""
    _copy(dest)
    raw = json.loads((dest / MANIFEST_NAME).read_text())
    raw.update({"created_at": "2030-01-01T00:00:00+00:00", **changes})
    (dest / MANIFEST_NAME).write_text(json.dumps(raw, indent=2))
    return dest


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _config(tmp_path: Path, models: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"model:\n  dir: {models}\ndata:\n  dir: {BUNDLED_DATA}\n")
    return config


@pytest.mark.parametrize(
    "field, value",
    [("pair", "../../escaped"), ("pair", "USDJPY/../../x"), ("train_end", "../../../escaped"), ("pair", "usdjpy")],
)
def test_manifest_pair_with_dotdot_is_refused_and_writes_nothing_outside(
    tmp_path: Path, field: str, value: str, fxbot_cli: FxbotCli
) -> None:
    """`fxbot models import` names the version's folder from the registry's scheme, never from a manifest field."""
    models = tmp_path / "area" / "models"
    models.mkdir(parents=True)
    source = _variant(tmp_path / "src", **{field: value})
    before = _tree(tmp_path / "area")
    result = fxbot_cli("models", "import", str(source), "--config", str(_config(tmp_path, models)))
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and repr(value) in lines[0], lines
    assert _tree(tmp_path / "area") - before <= {"models/.registry.lock"}  # no version, no stray file anywhere
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "area" / "escaped").exists()


def test_a_version_name_from_the_command_line_cannot_leave_the_registry(registry: Registry) -> None:
    for version in ("USDJPY-../../etc", "USDJPY-20241231-../../x", "USDJPY/../EURJPY-20241231-1a2b3c4d"):
        with pytest.raises(UsageError, match="not a model version"):
            registry.version_folder(version)


def test_a_symlinked_member_from_another_pair_is_refused_on_import(registry: Registry, tmp_path: Path) -> None:
    """Another pair's member file linked in: imports take regular files only (never followed)."""
    source = _variant(tmp_path / "src")
    other = _copy(tmp_path / "eur", "EURJPY")
    (source / "member_0.tflite").unlink()
    (source / "member_0.tflite").symlink_to(other / "member_0.tflite")
    before = _tree(registry.root)
    with pytest.raises(ModelError, match=r"member_0\.tflite is a symbolic link; imports take regular files only"):
        registry.add(source)
    assert _tree(registry.root) == before


def test_a_symlink_loop_is_refused_without_copying(registry: Registry, tmp_path: Path) -> None:
    source = _variant(tmp_path / "src")
    (source / "loop").symlink_to(source, target_is_directory=True)
    before = _tree(registry.root)
    with pytest.raises(ModelError, match="loop is a symbolic link"):
        registry.add(source)
    assert _tree(registry.root) == before  # nothing copied, no temporary folder left


def test_a_fifo_in_an_import_is_refused_without_reading_it(registry: Registry, tmp_path: Path) -> None:
    source = _variant(tmp_path / "src")
    os.mkfifo(source / "notes.txt")  # reading it would block forever
    with pytest.raises(ModelError, match=r"notes\.txt is not a regular file"):
        registry.add(source)


def test_a_huge_sparse_file_in_an_import_is_refused_by_size(registry: Registry, tmp_path: Path) -> None:
    source = _variant(tmp_path / "src")
    with (source / "member_0.keras").open("r+b") as handle:
        handle.truncate(2 * 1024**3)  # 2 GiB, sparse: costs no disk here, would be copied in full
    with pytest.raises(ModelError, match=r"member_0.keras is 2,147,483,648 bytes, more than the"):
        registry.add(source)
    assert not list(registry.root.glob(".incoming-*"))


def test_a_large_json_file_in_an_import_is_refused(registry: Registry, tmp_path: Path) -> None:
    source = _variant(tmp_path / "src")
    (source / "holdback.json").write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(ModelError, match=r"holdback\.json is 1,048,577 bytes"):
        registry.add(source)


def test_too_many_files_in_an_import_are_refused(registry: Registry, tmp_path: Path) -> None:
    source = _variant(tmp_path / "src")
    extra = source / "extra"
    extra.mkdir()
    for i in range(600):
        (extra / f"f{i}").write_bytes(b"")
    with pytest.raises(ModelError, match="holds more than 512 files"):
        registry.add(source)


def test_a_manifest_with_renamed_features_is_refused(tmp_path: Path) -> None:
    source = _variant(tmp_path / "src", features=["ret1", "gap", "body", "range", "upper", "lower", "ma5", "rsi"])
    with pytest.raises(ModelError, match="are not the ones the live call builds"):
        read_manifest(source, pair=PAIR)


def test_a_champion_manifest_edited_by_hand_is_refused_naming_the_last_good_version(
    registry: Registry, tmp_path: Path
) -> None:
    first = registry.champion(PAIR)
    second = registry.add(_variant(tmp_path / "two")).version
    registry.promote(second)
    folder = registry.champion_folder(PAIR)
    manifest = read_manifest(folder, pair=PAIR)
    write_manifest(folder, msgspec.structs.replace(manifest, units=manifest.units + 1))  # a "small" edit
    with pytest.raises(ModelError, match=f"changed since it was promoted.*rollback {PAIR}` returns to {first}"):
        Registry(registry.root).champion_folder(PAIR)


def test_a_champion_member_replaced_by_another_pairs_is_refused(registry: Registry) -> None:
    folder = registry.champion_folder(PAIR)
    shutil.copyfile(SHIPPED_MODELS / "EURJPY" / "member_2.tflite", folder / "member_2.tflite")
    with pytest.raises(ModelError, match="changed since it was promoted"):
        Registry(registry.root).champion_folder(PAIR)


def test_a_champion_edited_before_checksums_existed_is_refused_by_its_version_name(registry: Registry) -> None:
    (registry.pair_dir(PAIR) / CHECKSUM_NAME).unlink()  # promoted by an older fxbot
    folder = registry.champion_folder(PAIR)
    raw = json.loads((folder / MANIFEST_NAME).read_text())
    raw["units"] += 1
    (folder / MANIFEST_NAME).write_text(json.dumps(raw))
    with pytest.raises(ModelError, match="changed since it was promoted"):
        Registry(registry.root).champion_folder(PAIR)


def test_an_untouched_champion_passes_its_checksum(registry: Registry) -> None:
    version = registry.champion(PAIR)
    assert (registry.pair_dir(PAIR) / CHECKSUM_NAME).read_text().split()[0] == version
    assert Registry(registry.root).champion_folder(PAIR).name == version


def test_a_50_mb_pointer_is_one_line_not_a_50_mb_alert(registry: Registry) -> None:
    registry.pointer(PAIR).write_bytes(b"X" * (50 * 1024 * 1024))
    with pytest.raises(ModelError) as caught:
        Registry(registry.root).champion(PAIR)
    assert len(str(caught.value)) < 300 and "more than the 4,096 fxbot reads" in str(caught.value)


def test_a_pointer_that_names_a_path_is_refused(registry: Registry) -> None:
    registry.pointer(PAIR).write_text("../../../etc\n")
    with pytest.raises(ModelError, match="not a USDJPY version"):
        registry.champion_folder(PAIR)


def test_a_non_utf8_byte_in_the_promotions_log_skips_that_line_with_a_notice(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    with (registry.root / LOG_NAME).open("ab") as handle:
        handle.write(b'{"pair": "USDJPY", "action": "keep", "note": "\xff\xfe"}\n')
    entries = registry.history(PAIR)
    assert [e.action for e in entries] == ["seed"]  # the good line is kept
    assert "line 2 is not UTF-8 text; skipped" in caplog.text


def test_a_huge_manifest_is_refused_in_one_line(registry: Registry) -> None:
    folder = registry.champion_folder(PAIR)
    (folder / MANIFEST_NAME).write_bytes(b"{" + b" " * (2 * 1024 * 1024) + b"}")
    with pytest.raises(ModelError, match="more than the 1,048,576 fxbot reads"):
        read_manifest(folder, pair=PAIR)


def test_a_huge_evidence_json_beside_the_champion_is_one_line(registry: Registry) -> None:
    from fxbot.model.evidence import load_evidence

    folder = registry.champion_folder(PAIR)
    (folder / "evidence.json").write_bytes(b"[" * (3 * 1024 * 1024))
    with pytest.raises(ModelError, match=r"evidence\.json is 3,145,728 bytes, more than the 1,048,576"):
        load_evidence(folder)


def test_a_migrated_flat_champion_gets_its_checksum_and_an_edit_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "models"
    shutil.copytree(SHIPPED_MODELS / PAIR, root / PAIR)
    registry = Registry(root)
    version = registry.migrate(PAIR)
    assert (root / PAIR / CHECKSUM_NAME).read_text().split()[0] == version  # kept, not cleaned as a flat file
    folder = Registry(root).champion_folder(PAIR)
    (folder / "member_0.tflite").write_bytes((folder / "member_0.tflite").read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelError, match="changed since it was promoted"):
        Registry(root).champion_folder(PAIR)
