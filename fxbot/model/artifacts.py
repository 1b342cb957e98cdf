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
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from fxbot.config import validation_error_path
from fxbot.errors import ModelError

if TYPE_CHECKING:
    from fxbot.features import Scaler

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


class MemberInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One ensemble member: its seed, files and validation figures."""

    seed: int  # the member's random seed (weights, dropout, shuffling)
    tflite: str  # LiteRT file, relative to the pair's folder (the daily path)
    keras: str  # Keras file (inspection, fine-tuning)
    savedmodel: str  # TF SavedModel folder (the `tensorflow` engine)
    val_accuracy: float  # direction accuracy on the validation samples
    val_loss: float  # binary cross-entropy on the validation samples
    epochs_trained: int  # epochs run before early stopping


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything needed to rebuild a pair's inputs and to know where its models came from.

    The field order is the key order of ``manifest.json`` and enters ``version``: keep it.
    """

    format_version: int  # FORMAT_VERSION of the writer; the reader refuses others
    pair: str  # pair code, e.g. USDJPY
    features: list[str]  # feature columns, in input order
    window: int  # trading days per input window
    scaler_mean: list[float]  # per-feature mean, fitted on training rows only
    scaler_std: list[float]  # per-feature spread, fitted on training rows only
    train_start: str  # first bar used (YYYY-MM-DD)
    train_end: str  # last bar used (YYYY-MM-DD)
    validation_start: str  # first validation sample (YYYY-MM-DD)
    samples_train: int  # training samples
    samples_validation: int  # validation samples
    data_sha256: str  # checksum of the price file trained on
    units: int  # LSTM units
    epochs: int  # maximum epochs
    created_at: str  # UTC time of training (ISO 8601)
    library_versions: dict[str, str]  # versions of the libraries that shape the numbers
    members: list[MemberInfo]  # one entry per member, in vote order

    @property
    def scaler(self) -> Scaler:
        """The input scaler fitted on training rows."""
        from fxbot.features import Scaler  # numpy and pandas: not needed to read a manifest

        return Scaler(tuple(self.scaler_mean), tuple(self.scaler_std))

    @property
    def version(self) -> str:
        """Short, stable identifier: pair, last training day and a hash of the manifest."""
        digest = hashlib.sha256(manifest_json(self).encode()).hexdigest()[:8]
        return f"{self.pair}-{self.train_end.replace('-', '')}-{digest}"


def _floats_as_written(value: Any) -> Any:
    """``value`` with every float as the exact JSON text that fxbot has always written for it."""
    if isinstance(value, float):
        # Shortest round-trip digits, as msgspec writes them, but with the sign of a positive
        # exponent (1e+16): the format of pydantic's model_dump_json, which wrote the shipped
        # manifests and whose output every published version hash is taken over.
        return msgspec.Raw(re.sub(rb"e(?=\d)", b"e+", msgspec.json.encode(value)))
    if isinstance(value, dict):
        return {k: _floats_as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_as_written(v) for v in value]
    return value


def manifest_json(manifest: Manifest, indent: int = 0) -> str:
    """The manifest as JSON: compact (what ``version`` hashes), or indented as in ``manifest.json``.

    Byte for byte what pydantic's ``model_dump_json`` gave (fields in declaration order, no spaces
    or ``indent`` spaces, non-ASCII kept, floats as above), so versions and files never change.
    """
    text = msgspec.json.encode(_floats_as_written(msgspec.to_builtins(manifest)))
    if indent:
        text = msgspec.json.format(text, indent=indent)
    return text.decode()


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically (written last, so a folder with one is complete)."""
    from fxbot.data.store import atomic_write_text  # pandas: only training writes manifests

    atomic_write_text(folder / MANIFEST_NAME, manifest_json(manifest, indent=2) + "\n")


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
        manifest = msgspec.convert(raw, Manifest)
    except msgspec.ValidationError as exc:
        where, detail = validation_error_path(exc, Manifest, raw, unknown_key="unknown key")
        raise ModelError(f"{path}: invalid manifest at {where}: {detail}; retrain with `fxbot train`") from None
    if len(manifest.scaler_mean) != len(manifest.features) or len(manifest.scaler_std) != len(manifest.features):
        raise ModelError(f"{path}: scaler size does not match the feature list; retrain with `fxbot train`")
    if len(manifest.members) % 2 == 0:
        raise ModelError(f"{path}: {len(manifest.members)} members can tie; an ensemble needs an odd count")
    return manifest
