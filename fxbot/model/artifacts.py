"""Model artifacts: one folder per pair, one file per member, and a manifest that describes them.

    models/USDJPY/
        manifest.json            this module's Manifest
        member_0.tflite          LiteRT model (the daily path)
        member_0.keras           Keras model (inspection, fine-tuning)
        member_0.savedmodel/     TF SavedModel (the `tensorflow` engine, and the .tflite's source)
        ...

Loading refuses, with a message that says what to do, a manifest whose ``format_version`` it does
not know, and one that cannot give a trustworthy vote: a scaler that is not finite or has a spread
of zero or less (every member would answer NaN), a window that is not positive, fewer members than
the configuration asks for, a member listed twice (same file or same seed), another pair's manifest,
or a member file named outside the pair's folder. Member checksums are not looked at here (the
daily path reads manifests): an import or a promotion checks them against the files.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

import msgspec

from fxbot.config import validation_error_path
from fxbot.errors import ModelError
from fxbot.features import LIVE_FEATURES
from fxbot.pairs import PAIRS
from fxbot.safefiles import DAY, MAX_JSON_BYTES, read_bounded

if TYPE_CHECKING:
    from fxbot.features import Scaler

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


class MemberInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """One ensemble member: its seed, files and validation figures (and its files' checksums).

    ``sha256`` maps each of the member's files (its ``.tflite``, its ``.keras`` and every file of
    its SavedModel, relative to the version folder) to the sha256 training took when it wrote them;
    an import or a promotion checks them (``fxbot.model.version_files.check_member_files``), the
    daily run does not (its champion's files were checked when it was promoted, and a checksum of
    them all was recorded then). A manifest written before checksums has none: the key is left
    out of ``manifest.json`` when empty, so such a manifest, its bytes and its version stay as
    they were, and it loads and imports as before.
    """

    seed: int  # the member's random seed (weights, dropout, shuffling)
    tflite: str  # LiteRT file, relative to the pair's folder (the daily path)
    keras: str  # Keras file (inspection, fine-tuning)
    savedmodel: str  # TF SavedModel folder (the `tensorflow` engine)
    val_accuracy: float  # direction accuracy on the validation samples
    val_loss: float  # binary cross-entropy on the validation samples
    epochs_trained: int  # epochs run before early stopping
    sha256: dict[str, str] = msgspec.field(default_factory=dict)  # file -> hex digest; empty in older manifests


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


def read_manifest(folder: Path, *, min_members: int = 1, pair: str | None = None) -> Manifest:
    """Read a pair's manifest and check that it can be trusted (see the module docstring).

    ``folder`` is the pair's folder (``models/USDJPY``) or one of its version folders
    (``models/USDJPY/USDJPY-20241231-1a2b3c4d``, then ``pair`` is given): ``pair``, else the
    folder's name, is the pair the manifest must be for. ``min_members`` is the fewest members
    accepted (``training.members``); the default only asks for one. Member files are opened by the
    engines, not here.
    """
    path = folder / MANIFEST_NAME
    missing = (
        f"no model manifest at {path}; run `fxbot train` or point model.dir at the shipped ones: {{shipped}}/models"
    )
    if not path.is_file():
        raise ModelError(missing)
    try:
        raw = json.loads(read_bounded(path, MAX_JSON_BYTES, _FIX).decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(missing) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    problem = _untrustworthy(manifest, pair or folder.name, min_members)
    if problem:
        raise ModelError(f"{path}: {problem}")
    return manifest


_FIX = "restore the models folder or retrain with `fxbot train`"


def _untrustworthy(manifest: Manifest, pair: str, min_members: int) -> str | None:
    """Why ``manifest`` (found in the folder of ``pair``) cannot be trusted to vote, or None."""
    if manifest.pair not in PAIRS:  # it names the version and its folder: a known code only, never a path
        shown = manifest.pair if len(manifest.pair) <= 40 else f"{manifest.pair[:40]}..."
        return f"pair {shown!r} is not a pair fxbot knows ({', '.join(PAIRS)}): {_FIX}"
    for name in ("train_start", "train_end", "validation_start"):
        value = getattr(manifest, name)
        if not DAY.fullmatch(value):
            shown = value if len(value) <= 40 else f"{value[:40]}..."
            return f"{name} {shown!r} is not a day (YYYY-MM-DD): {_FIX}"
    if tuple(manifest.features) != LIVE_FEATURES:
        return (
            f"features {manifest.features!r} are not the ones the live call builds ({', '.join(LIVE_FEATURES)}, "
            f"in that order): {_FIX}"
        )
    if manifest.pair != pair:
        return (
            f"the manifest is for {manifest.pair!r}, but its folder is {pair}'s; "
            f"copy {pair}'s own models there or retrain with `fxbot train --pairs {pair}`"
        )
    if manifest.window < 1:
        return f"window is {manifest.window}; it must be a positive number of trading days: {_FIX}"
    if len(manifest.scaler_mean) != len(manifest.features) or len(manifest.scaler_std) != len(manifest.features):
        return "scaler size does not match the feature list; retrain with `fxbot train`"
    for name, values in (("scaler_mean", manifest.scaler_mean), ("scaler_std", manifest.scaler_std)):
        bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
        if bad is not None:
            # Every member would answer NaN for every input: no call can come from it.
            return f"{name}.{bad} is {values[bad]!r}, not a finite number (every member would answer NaN): {_FIX}"
    bad = next((i for i, v in enumerate(manifest.scaler_std) if v <= 0), None)
    if bad is not None:
        return f"scaler_std.{bad} is {manifest.scaler_std[bad]!r}; a spread must be above 0: {_FIX}"
    count = len(manifest.members)
    if count < min_members:
        return (
            f"{count} member(s), fewer than training.members ({min_members}); "
            "retrain with `fxbot train` or lower training.members"
        )
    if count % 2 == 0:
        return f"{count} members can tie; an ensemble needs an odd count"
    seen: dict[tuple[str, object], int] = {}
    for i, member in enumerate(manifest.members):
        for kind, value in (("tflite", member.tflite), ("keras", member.keras), ("savedmodel", member.savedmodel)):
            if not _inside(value):
                return (
                    f"members.{i}.{kind} {value!r} points outside the pair's folder; "
                    f"a member's files must be in {pair}'s own folder: {_FIX}"
                )
            file_key: tuple[str, object] = ("file", PurePosixPath(value))
            if file_key in seen:
                return (
                    f"members.{i} repeats member {seen[file_key]}'s file {value!r}; each member must be its own: {_FIX}"
                )
            seen[file_key] = i
        seed_key: tuple[str, object] = ("seed", member.seed)
        if seed_key in seen:
            return (
                f"members.{i} repeats member {seen[seed_key]}'s seed {member.seed} (the same model twice "
                f"would count two votes): {_FIX}"
            )
        seen[seed_key] = i
    return None


def _inside(name: str) -> bool:
    """True if the member file ``name`` is a plain relative path that stays inside the pair's folder."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return bool(posix.parts) and not (
        posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in windows.parts or "\\" in name
    )
