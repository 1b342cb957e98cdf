"""Model artifacts: one folder per pair, one file per member, and a manifest that describes them.

    models/USDJPY/
        manifest.json            this module's Manifest
        member_0.tflite          LiteRT model (the daily path)
        member_0.keras           Keras model (inspection, fine-tuning)
        member_0.savedmodel/     TF SavedModel (the `tensorflow` engine, and the .tflite's source)
        ...

Loading refuses a manifest whose ``format_version`` it does not know, or whose member files are
missing, with a message that says what to do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from fxbot.data.store import atomic_write_text
from fxbot.errors import ModelError
from fxbot.features import Scaler

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


class MemberInfo(BaseModel):
    """One ensemble member: its seed, files and validation figures."""

    model_config = ConfigDict(extra="forbid")

    seed: int
    tflite: str
    keras: str
    savedmodel: str
    val_accuracy: float
    val_loss: float
    epochs_trained: int


class Manifest(BaseModel):
    """Everything needed to rebuild a pair's inputs and to know where its models came from."""

    model_config = ConfigDict(extra="forbid")

    format_version: int
    pair: str
    features: list[str]
    window: int
    scaler_mean: list[float]
    scaler_std: list[float]
    train_start: str
    train_end: str
    validation_start: str
    samples_train: int
    samples_validation: int
    data_sha256: str
    units: int
    epochs: int
    created_at: str
    library_versions: dict[str, str]
    members: list[MemberInfo]

    @property
    def scaler(self) -> Scaler:
        """The input scaler fitted on training rows."""
        return Scaler(tuple(self.scaler_mean), tuple(self.scaler_std))

    @property
    def version(self) -> str:
        """Short, stable identifier: pair, last training day and a hash of the manifest."""
        digest = hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:8]
        return f"{self.pair}-{self.train_end.replace('-', '')}-{digest}"


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically (written last, so a folder with one is complete)."""
    atomic_write_text(folder / MANIFEST_NAME, manifest.model_dump_json(indent=2) + "\n")


def read_manifest(folder: Path) -> Manifest:
    """Read and check a pair's manifest and that its member files exist."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise ModelError(f"no model manifest at {path}; run `fxbot train` or point model.dir at the shipped models/")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable manifest ({exc}); restore the models folder or retrain") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{path}: manifest format_version {version!r} is not supported (this fxbot reads {FORMAT_VERSION}); "
            "retrain with `fxbot train` or upgrade fxbot"
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ModelError(f"{path}: invalid manifest at {where}: {first['msg']}; retrain with `fxbot train`") from None
    if len(manifest.scaler_mean) != len(manifest.features) or len(manifest.scaler_std) != len(manifest.features):
        raise ModelError(f"{path}: scaler size does not match the feature list; retrain with `fxbot train`")
    if len(manifest.members) % 2 == 0:
        raise ModelError(f"{path}: {len(manifest.members)} members can tie; an ensemble needs an odd count")
    return manifest
