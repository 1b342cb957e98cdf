"""Member checksums (issue 21's gap): each member file's sha256 in the manifest, checked at import and promotion.

Training records them (``export_member``; the slow end-to-end training test checks that it does);
here a version with them is made from a shipped one, the way training writes them, and then
another pair's or another version's member file is copied in as a plain regular file, which the
import's own checks (regular files, caps, LiteRT, zip, checkpoint ends) all pass. Manifests from
before checksums (the shipped ones) still import, byte for byte and under the same version name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec
import pytest

from fxbot.errors import ModelError
from fxbot.model.artifacts import MANIFEST_NAME, read_manifest, write_manifest
from fxbot.model.registry import Registry
from fxbot.model.version_files import file_sha256, member_checksums, member_files

from .conftest import SHIPPED_MODELS, run_fxbot

PAIR = "USDJPY"
FIX = "copy the whole version folder again"


def _with_checksums(dest: Path, created_at: str = "2030-01-01T00:00:00+00:00") -> str:
    """A copy of the shipped USDJPY version whose manifest records its members' checksums; its version."""
    shutil.copytree(SHIPPED_MODELS / PAIR, dest)
    manifest = read_manifest(dest, pair=PAIR)
    members = [msgspec.structs.replace(m, sha256=member_checksums(dest, m)) for m in manifest.members]
    changed = msgspec.structs.replace(manifest, created_at=created_at, members=members)
    write_manifest(dest, changed)
    return changed.version


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry whose USDJPY champion is the shipped version (no member checksums: an older manifest)."""
    reg = Registry(tmp_path / "models")
    shutil.copytree(SHIPPED_MODELS / PAIR, tmp_path / "seed")
    reg.add(tmp_path / "seed")
    return reg


def test_member_checksums_cover_every_member_file_and_enter_the_version(tmp_path: Path) -> None:
    version = _with_checksums(tmp_path / "v")
    manifest = read_manifest(tmp_path / "v", pair=PAIR)
    assert manifest.version == version
    first = manifest.members[0]
    assert set(first.sha256) == {
        "member_0.tflite",
        "member_0.keras",
        "member_0.savedmodel/fingerprint.pb",
        "member_0.savedmodel/saved_model.pb",
        "member_0.savedmodel/variables/variables.data-00000-of-00001",
        "member_0.savedmodel/variables/variables.index",
    }
    assert first.sha256["member_0.tflite"] == file_sha256(tmp_path / "v" / "member_0.tflite")
    raw = json.loads((tmp_path / "v" / MANIFEST_NAME).read_text())
    assert raw["members"][0]["sha256"] == first.sha256
    # The same members without checksums: the version of the shipped manifest, its key left out.
    assert "sha256" not in json.loads((SHIPPED_MODELS / PAIR / MANIFEST_NAME).read_text())["members"][0]
    bare = msgspec.structs.replace(manifest, members=[msgspec.structs.replace(m, sha256={}) for m in manifest.members])
    assert bare.version != version  # the checksums are part of what the version name hashes


def test_a_version_with_member_checksums_imports_and_is_promoted(registry: Registry, tmp_path: Path) -> None:
    version = _with_checksums(tmp_path / "new")
    info = registry.add(tmp_path / "new")
    assert info.version == version and not info.champion
    registry.promote(version)
    assert registry.champion(PAIR) == version
    assert Registry(registry.root).champion_folder(PAIR).name == version


def test_an_older_manifest_without_member_checksums_still_imports(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    shutil.copytree(SHIPPED_MODELS / PAIR, tmp_path / "old")
    info = registry.add(tmp_path / "old")
    assert info.champion and not any(m.sha256 for m in info.manifest.members)
    assert (info.folder / MANIFEST_NAME).read_bytes() == (SHIPPED_MODELS / PAIR / MANIFEST_NAME).read_bytes()


def test_another_pairs_member_copied_in_as_a_regular_file_is_refused_on_import(
    registry: Registry, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    _with_checksums(source)
    (source / "member_0.tflite").unlink()
    shutil.copyfile(SHIPPED_MODELS / "EURJPY" / "member_0.tflite", source / "member_0.tflite")  # a plain file
    before = _tree(registry.root)
    with pytest.raises(ModelError) as caught:
        registry.add(source)
    text = str(caught.value)
    assert "\n" not in text and FIX in text
    assert "member_0.tflite is not the file training wrote for member 0" in text
    assert _tree(registry.root) == before  # nothing stored, nothing logged, no temporary folder left


def test_the_cli_import_refusal_is_one_line_naming_the_file(tmp_path: Path) -> None:
    source = tmp_path / "src"
    _with_checksums(source)
    other = SHIPPED_MODELS / "GBPJPY" / "member_3.savedmodel" / "variables" / "variables.data-00000-of-00001"
    shutil.copyfile(other, source / "member_3.savedmodel" / "variables" / "variables.data-00000-of-00001")
    config = tmp_path / "c.yaml"
    config.write_text(f"model:\n  dir: {tmp_path / 'models'}\n")
    result = run_fxbot("models", "import", str(source), "--config", str(config))
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "member_3.savedmodel/variables/variables.data-00000-of-00001 is not the file training wrote" in lines[0]
    assert FIX in lines[0]
    assert not (tmp_path / "models" / PAIR).exists()


def test_a_member_file_missing_or_added_is_refused(registry: Registry, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    _with_checksums(missing)
    (missing / "member_1.savedmodel" / "fingerprint.pb").unlink()
    with pytest.raises(
        ModelError, match=r"member 1's file 'member_1\.savedmodel/fingerprint\.pb', whose sha256 .* is missing"
    ):
        registry.add(missing)
    added = tmp_path / "added"
    _with_checksums(added, "2030-02-01T00:00:00+00:00")
    (added / "member_2.savedmodel" / "assets").mkdir()
    (added / "member_2.savedmodel" / "assets" / "extra.txt").write_text("not written by training\n")
    with pytest.raises(ModelError, match=r"member_2\.savedmodel/assets/extra\.txt is not among member 2's files"):
        registry.add(added)


def test_a_stored_challenger_whose_member_changed_is_refused_at_promotion(registry: Registry, tmp_path: Path) -> None:
    champion = registry.champion(PAIR)
    version = _with_checksums(tmp_path / "new")
    registry.add(tmp_path / "new")
    stored = registry.version_dir(PAIR, version)
    shutil.copyfile(SHIPPED_MODELS / "EURJPY" / "member_4.keras", stored / "member_4.keras")  # after the import
    with pytest.raises(ModelError, match=r"member_4\.keras is not the file training wrote for member 4"):
        registry.promote(version)
    assert registry.champion(PAIR) == champion


def test_member_files_lists_the_tflite_the_keras_then_the_savedmodel(tmp_path: Path) -> None:
    member = read_manifest(SHIPPED_MODELS / PAIR).members[2]
    names = member_files(SHIPPED_MODELS / PAIR, member)
    assert names[:2] == ["member_2.tflite", "member_2.keras"]
    assert names[2:] == sorted(names[2:]) and all(n.startswith("member_2.savedmodel/") for n in names[2:])


@pytest.mark.parametrize(
    "name",
    ["member_1.savedmodel/../../../outside.pb", "/etc/hostname", "member_0.tflite", "member_1.savedmodel/none.pb"],
)
def test_a_recorded_name_that_is_not_one_of_the_members_files_is_refused_unread(
    registry: Registry, tmp_path: Path, name: str
) -> None:
    """A checksum naming a path outside the folder, another member's file or no file: refused, nothing opened."""
    source = tmp_path / "src"
    _with_checksums(source)
    raw = json.loads((source / MANIFEST_NAME).read_text())
    raw["members"][1]["sha256"][name] = "0" * 64
    (source / MANIFEST_NAME).write_text(json.dumps(raw, indent=2))
    before = _tree(registry.root)
    with pytest.raises(ModelError) as caught:
        registry.add(source)
    assert f"member 1's file {name!r}, whose sha256 the manifest records, is missing" in str(caught.value)
    assert _tree(registry.root) == before
