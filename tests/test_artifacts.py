"""Model manifests: round trip, refusal of unknown formats, missing or corrupt member files."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fxbot.errors import ModelError
from fxbot.model.artifacts import FORMAT_VERSION, Manifest, MemberInfo, manifest_json, read_manifest, write_manifest
from fxbot.model.ensemble import Ensemble

from .conftest import SHIPPED_MODELS, FxbotCli


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


# The versions the shipped models were published under; they enter ledgers and reports.
SHIPPED_VERSIONS = {
    "USDJPY": "USDJPY-20241231-0c103168",
    "EURJPY": "EURJPY-20241231-a1bc08ba",
    "GBPJPY": "GBPJPY-20241231-371a6ba4",
}


@pytest.mark.parametrize("pair", sorted(SHIPPED_VERSIONS))
def test_shipped_versions_never_change(pair: str) -> None:
    assert read_manifest(SHIPPED_MODELS / pair).version == SHIPPED_VERSIONS[pair]


@pytest.mark.parametrize("pair", sorted(SHIPPED_VERSIONS))
def test_write_manifest_rewrites_a_shipped_manifest_byte_for_byte(pair: str, tmp_path: Path) -> None:
    shipped = (SHIPPED_MODELS / pair / "manifest.json").read_bytes()
    write_manifest(tmp_path, read_manifest(SHIPPED_MODELS / pair))
    assert (tmp_path / "manifest.json").read_bytes() == shipped


def _manifest(**changes: Any) -> Manifest:
    member = MemberInfo(
        seed=1, tflite="m.tflite", keras="m.keras", savedmodel="m.sm", val_accuracy=0.5, val_loss=0.69, epochs_trained=3
    )
    fields: dict[str, Any] = dict(
        format_version=1, pair="USDJPY", features=["a"], window=20, scaler_mean=[0.0], scaler_std=[1.0],
        train_start="2020-01-01", train_end="2020-12-31", validation_start="2020-10-01", samples_train=10,
        samples_validation=3, data_sha256="0" * 64, units=4, epochs=1, created_at="2021-01-01T00:00:00+00:00",
        library_versions={}, members=[member],
    )  # fmt: skip
    return Manifest(**{**fields, **changes})


def test_json_is_written_as_pydantic_wrote_it() -> None:
    """Floats keep the format of the pydantic writer: e+ on positive exponents, no e notation near 1."""
    floats = [1e16, 1.2345678901234568e17, 1e-7, 1.234e-6, 0.00001234, 1e15, -0.0, float("nan"), 0.1, 5e-324]
    manifest = _manifest(scaler_mean=floats, pair="日本", library_versions={"a": 'q"\\\n'})
    text = manifest_json(manifest)
    assert text.startswith('{"format_version":1,"pair":"日本","features":["a"],"window":20,"scaler_mean":')
    assert (
        '"scaler_mean":[1e+16,1.2345678901234568e+17,1e-7,1.234e-6,0.00001234,1000000000000000.0,-0.0,null,0.1,5e-324]'
        in text
    )
    assert '"library_versions":{"a":"q\\"\\\\\\n"}' in text
    assert manifest_json(_manifest(library_versions={}, members=[]), indent=2).endswith(
        '"library_versions": {},\n  "members": []\n}'
    )


def _broken(model_copy: Path, change: Any) -> None:
    path = model_copy / "manifest.json"
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(window="20"), r"invalid manifest at window: Expected `int`, got `str`; retrain"),
        (lambda r: r.update(extra=1), r"invalid manifest at extra: unknown key; retrain"),
        (lambda r: r.pop("pair"), r"invalid manifest at pair: required key is missing; retrain"),
        (
            lambda r: r["members"][2].update(seed=None),
            r"invalid manifest at members\.2\.seed: Expected `int`, got `null`",
        ),
        (
            lambda r: r["library_versions"].update(numpy=2),
            r"invalid manifest at library_versions\.numpy: Expected `str`",
        ),
        (lambda r: r["scaler_std"].pop(), "scaler size does not match the feature list"),
        (lambda r: r["members"].pop(), "4 members can tie; an ensemble needs an odd count"),
    ],
)
def test_invalid_manifest_is_one_line_naming_the_key(model_copy: Path, change: Any, message: str) -> None:
    _broken(model_copy, change)
    with pytest.raises(ModelError, match=message) as caught:
        read_manifest(model_copy)
    assert str(caught.value).startswith(str(model_copy / "manifest.json")) and "\n" not in str(caught.value)


# -- a manifest that cannot give a trustworthy vote is refused at load (exit 3, one line) ----------


def _repeat_member(raw: dict[str, Any], **changes: Any) -> None:
    raw["members"][1] = {**raw["members"][0], **changes}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["scaler_std"].__setitem__(2, float("nan")), r"scaler_std\.2 is nan, not a finite number"),
        (lambda r: r["scaler_mean"].__setitem__(0, float("inf")), r"scaler_mean\.0 is inf, not a finite number"),
        (lambda r: r["scaler_std"].__setitem__(5, 0.0), r"scaler_std\.5 is 0\.0; a spread must be above 0"),
        (lambda r: r["scaler_std"].__setitem__(1, -0.5), r"scaler_std\.1 is -0\.5; a spread must be above 0"),
        (lambda r: r.update(window=-5), r"window is -5; it must be a positive number of trading days"),
        (lambda r: r.update(window=0), r"window is 0; it must be a positive number"),
        (lambda r: _repeat_member(r), r"members\.1 repeats member 0's file 'member_0\.tflite'"),
        (
            lambda r: _repeat_member(r, tflite="member_1.tflite"),
            r"members\.1 repeats member 0's file 'member_0\.keras'",
        ),
        (
            lambda r: r["members"][3].update(seed=r["members"][0]["seed"]),
            r"members\.3 repeats member 0's seed 11 \(the same model twice would count two votes\)",
        ),
        (lambda r: r.update(pair="EURJPY"), r"the manifest is for 'EURJPY', but its folder is USDJPY's"),
        (
            lambda r: r["members"][2].update(tflite="../EURJPY/member_2.tflite"),
            r"members\.2\.tflite '\.\./EURJPY/member_2\.tflite' points outside the pair's folder",
        ),
        (
            lambda r: r["members"][4].update(savedmodel="/srv/models/EURJPY/member_4.savedmodel"),
            r"members\.4\.savedmodel '/srv/models/EURJPY/member_4\.savedmodel' points outside",
        ),
    ],
)
def test_untrustworthy_manifest_is_refused_at_load(model_copy: Path, change: Any, message: str) -> None:
    _broken(model_copy, change)
    with pytest.raises(ModelError, match=message) as caught:
        Ensemble(model_copy, "litert")
    text = str(caught.value)
    assert text.startswith(str(model_copy / "manifest.json")) and "\n" not in text
    assert "retrain" in text or "copy USDJPY's own models" in text  # says how to fix it
    assert ModelError.exit_code == 3


def test_fewer_members_than_training_members_is_refused(model_copy: Path) -> None:
    _broken(model_copy, lambda r: r.update(members=r["members"][:3]))
    assert len(read_manifest(model_copy).members) == 3  # the default asks for nothing new
    with pytest.raises(ModelError, match=r"3 member\(s\), fewer than training\.members \(5\); retrain"):
        Ensemble(model_copy, "litert", min_members=5)
    assert len(Ensemble(model_copy, "litert", min_members=3).members) == 3


def test_a_nan_scaler_stops_the_run_at_load_and_records_no_call(
    model_copy: Path, tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    """Every member answered NaN for such a manifest: the run must stop on the manifest, not post 5/5."""
    from .conftest import BUNDLED_DATA

    for pair in ("EURJPY", "GBPJPY"):
        shutil.copytree(SHIPPED_MODELS / pair, tmp_path / pair)
    _broken(model_copy, lambda r: r["scaler_std"].__setitem__(0, 0.0))
    ledger = tmp_path / "state" / "ledger.sqlite"
    config = tmp_path / "c.yaml"
    config.write_text(
        json.dumps(
            {"data": {"dir": str(BUNDLED_DATA)}, "model": {"dir": str(tmp_path)}, "ledger": {"path": str(ledger)}}
        )
    )
    run = fxbot_cli("run-once", "--replay", "--no-fetch", "--as-of", "2024-06-14", "--config", str(config))
    assert run.returncode == 3, run.stderr
    [error] = [line for line in run.stderr.splitlines() if line.startswith("fxbot: error: ")]
    assert "manifest.json: scaler_std.0 is 0.0; a spread must be above 0: restore the models folder" in error
    assert "SELL" not in run.stdout + run.stderr
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT count(*) FROM signals").fetchone() == (0,)
