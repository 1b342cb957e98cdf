"""Model manifests: round trip, refusal of unknown formats, missing or corrupt member files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fxbot.errors import ModelError
from fxbot.model.artifacts import FORMAT_VERSION, read_manifest, write_manifest
from fxbot.model.ensemble import Ensemble

from .conftest import SHIPPED_MODELS


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "USDJPY"
    shutil.copytree(SHIPPED_MODELS / "USDJPY", folder)
    return folder


def test_shipped_manifests_describe_their_models() -> None:
    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        manifest = read_manifest(SHIPPED_MODELS / pair)
        assert manifest.pair == pair and manifest.format_version == FORMAT_VERSION
        assert manifest.train_end == "2024-12-31"
        assert len(manifest.members) == 5
        assert len({m.seed for m in manifest.members}) == 5
        assert manifest.window == 20 and len(manifest.features) == 8
        assert all(0.0 <= m.val_accuracy <= 1.0 for m in manifest.members)
        assert {"tensorflow", "keras", "numpy"} <= set(manifest.library_versions)


def test_manifest_round_trip(model_copy: Path) -> None:
    manifest = read_manifest(model_copy)
    write_manifest(model_copy, manifest)
    again = read_manifest(model_copy)
    assert again == manifest and again.version == manifest.version


def test_unknown_format_version_is_refused(model_copy: Path) -> None:
    path = model_copy / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format_version"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(ModelError, match="format_version 99 is not supported"):
        read_manifest(model_copy)


def test_corrupt_and_missing(model_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model manifest"):
        read_manifest(tmp_path / "nothing")
    (model_copy / "member_2.tflite").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"member_2.tflite is not a valid .tflite model"):
        Ensemble(model_copy, "litert")
    (model_copy / "member_2.tflite").unlink()
    with pytest.raises(ModelError, match=r"member_2.tflite is missing"):
        Ensemble(model_copy, "litert")
    (model_copy / "manifest.json").write_text("{ truncated")
    with pytest.raises(ModelError, match="unreadable manifest"):
        read_manifest(model_copy)
