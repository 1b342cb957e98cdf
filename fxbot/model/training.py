"""Training (TensorFlow): fit a five-member LSTM ensemble per pair and write its artifacts.

Members differ only in their seed; fitting them (samples split in time, the scaler fitted on the
training rows only, early stopping on the validation loss) is ``fxbot.model.fitting``. This module
exports and stores them: each member is exported as a SavedModel with a fixed batch of 1 and
converted to ``.tflite`` from it (a variable batch does not convert; ``from_concrete_functions``
converts wrongly), and the converted outputs are compared with Keras before anything is written.
It also runs a retrain's two phases (``fit_to_folder``, ``export_folder``) and its probe.

Importing this module imports TensorFlow: the daily path never does.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
from importlib import metadata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import msgspec
import numpy as np
import tensorflow as tf
from tensorflow import keras

from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars, as_date
from fxbot.errors import DataError, ModelError
from fxbot.features import FEATURES, build_dataset
from fxbot.model.artifacts import FORMAT_VERSION, Manifest, MemberInfo, write_manifest
from fxbot.model.engines import LiteRTMember
from fxbot.model.fitting import (
    FittedMember,
    Progress,
    Strategy,
    TrainingData,
    fit_member,
    fit_members,
    prepare_training_data,
)
from fxbot.model.promotions import By
from fxbot.model.registry import Registry, VersionInfo
from fxbot.model.version_files import member_checksums

# The fitting names the backtest and bench/daily_path.py import from here (their home is fxbot.model.fitting).
__all__ = [
    "FIT_RECORD",
    "TFLITE_TOLERANCE",
    "TRAINING_PREFIX",
    "FittedMember",
    "Strategy",
    "TrainingData",
    "export_folder",
    "export_member",
    "fit_member",
    "fit_members",
    "fit_to_folder",
    "library_versions",
    "prepare_training_data",
    "probe_calls",
    "remove_abandoned",
    "train_pair",
    "train_version",
]

logger = logging.getLogger(__name__)

TFLITE_TOLERANCE = 1e-5


def _stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def export_member(member: FittedMember, folder: Path, index: int, check_inputs: np.ndarray) -> MemberInfo:
    """Write the member as .keras, SavedModel and .tflite; refuse a .tflite that disagrees with Keras.

    The returned entry records each file's sha256 (``MemberInfo.sha256``)."""
    window, n_features = check_inputs.shape[1:]
    names = {k: f"member_{index}.{k}" for k in ("keras", "savedmodel", "tflite")}
    member.model.save(folder / names["keras"])
    saved_dir = folder / names["savedmodel"]
    if saved_dir.exists():
        shutil.rmtree(saved_dir)
    member.model.export(
        str(saved_dir),
        format="tf_saved_model",
        input_signature=[tf.TensorSpec([1, window, n_features], tf.float32)],
        verbose=False,
    )
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_dir))
    (folder / names["tflite"]).write_bytes(converter.convert())
    lite = LiteRTMember(folder / names["tflite"])
    expected = np.asarray(member.model(check_inputs, training=False)).reshape(-1)
    got = np.array([lite.predict(check_inputs[i : i + 1]) for i in range(len(check_inputs))])
    worst = float(np.max(np.abs(expected - got)))
    if worst > TFLITE_TOLERANCE:
        raise ModelError(
            f"member {index}: .tflite differs from Keras by {worst:.2e} (> {TFLITE_TOLERANCE}); not writing it"
        )
    info = MemberInfo(
        seed=member.seed,
        tflite=names["tflite"],
        keras=names["keras"],
        savedmodel=names["savedmodel"],
        val_accuracy=member.val_accuracy,
        val_loss=member.val_loss,
        epochs_trained=member.epochs_trained,
    )
    # Each file's sha256 as written: an import or a promotion refuses a member file that is not this one.
    return msgspec.structs.replace(info, sha256=member_checksums(folder, info))


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a model's numbers."""
    out = {}
    for name in ("tensorflow", "keras", "numpy", "pandas", "ai-edge-litert"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _manifest(
    pair: str, bars: Bars, data: TrainingData, cfg: TrainingSettings, members: list[MemberInfo], data_sha256: str
) -> Manifest:
    return Manifest(
        format_version=FORMAT_VERSION,
        pair=pair,
        features=list(FEATURES),
        window=data.x_train.shape[1],
        scaler_mean=list(data.scaler.mean),
        scaler_std=list(data.scaler.std),
        train_start=bars.first_date.isoformat(),
        train_end=bars.last_date.isoformat(),
        validation_start=as_date(data.val_dates[0]).isoformat(),
        samples_train=len(data.y_train),
        samples_validation=len(data.y_val),
        data_sha256=data_sha256,
        units=cfg.units,
        epochs=cfg.epochs,
        created_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        library_versions=library_versions(),
        members=members,
    )


FIT_RECORD = "fit.json"


def fit_to_folder(pair: str, bars: Bars, cfg: TrainingSettings, folder: Path) -> None:
    """Phase 1 of a retrain (its own process): fit the members, write ``member_i.keras`` and ``fit.json``.

    Fitting and exporting in separate processes keeps each one's peak lower (``bench/retrain.py``):
    the exporter (SavedModel, TFLite converter) never holds the fused training graph.
    """
    if cfg.start:
        bars = bars.since(cfg.start)
    data = prepare_training_data(bars, cfg.validation_fraction)
    seeds = cfg.seeds[: cfg.members]
    labels = [f"{pair} member {i + 1}/{len(seeds)} (seed {seed})" for i, seed in enumerate(seeds)]
    folder.mkdir(parents=True, exist_ok=True)
    record = []
    for i, member in enumerate(fit_members(data, seeds, cfg, labels, None)):
        member.model.save(folder / f"member_{i}.keras")
        record.append(
            {
                "seed": member.seed,
                "val_accuracy": member.val_accuracy,
                "val_loss": member.val_loss,
                "epochs_trained": member.epochs_trained,
            }
        )
    (folder / FIT_RECORD).write_text(json.dumps(record), encoding="utf-8")


def export_folder(pair: str, bars: Bars, cfg: TrainingSettings, folder: Path, *, data_sha256: str) -> Manifest:
    """Phase 2 (its own process): export each fitted member, check its .tflite against Keras, write the manifest."""
    if cfg.start:
        bars = bars.since(cfg.start)
    data = prepare_training_data(bars, cfg.validation_fraction)
    record = json.loads((folder / FIT_RECORD).read_text(encoding="utf-8"))
    members = []
    for i, fitted in enumerate(record):
        model = keras.models.load_model(folder / f"member_{i}.keras", compile=False)  # no optimizer: less memory
        member = FittedMember(
            model, int(fitted["seed"]), fitted["val_accuracy"], fitted["val_loss"], int(fitted["epochs_trained"])
        )
        members.append(export_member(member, folder, i, data.x_val[:32]))
        del model, member
    (folder / FIT_RECORD).unlink()
    manifest = _manifest(pair, bars, data, cfg, members, data_sha256)
    write_manifest(folder, manifest)
    return manifest


def probe_calls(
    pair: str, bars: Bars, cfg: TrainingSettings, cutoff: dt.date
) -> tuple[list[dt.date], list[bool], list[bool]]:
    """The held-back walk-forward's probe: fit ``cfg``'s members on the bars up to ``cutoff`` only, then call
    every later day of ``bars`` whose outcome ``bars`` holds. Returns (days, probe says BUY, up).

    The probe's last training sample is the window before its last bar (that window's label is the last
    bar's close), so its first call, on its last bar, is already out of sample, as in the walk-forward.
    """
    from fxbot.voting import Direction, vote

    if cfg.start:
        bars = bars.since(cfg.start)
    seen = bars.up_to(cutoff)
    if seen.empty:
        raise DataError(
            f"{pair}: no training bars before the held-back months (training starts {bars.first_date.isoformat()}, "
            f"held back from {cutoff.isoformat()}): lower lifecycle.holdback_months"
        )
    if seen.last_date >= bars.last_date:
        raise DataError(f"{pair}: no bars after {cutoff.isoformat()} to hold back")
    try:
        data = prepare_training_data(seen, cfg.validation_fraction)
    except DataError as exc:
        raise DataError(
            f"{pair}: the held-back walk-forward trains on the bars before {cutoff.isoformat()} only: {exc}; "
            "lower lifecycle.holdback_months"
        ) from None
    seeds = cfg.seeds[: cfg.members]
    labels = [f"{pair} probe member {i + 1}/{len(seeds)} (seed {seed})" for i, seed in enumerate(seeds)]
    fitted = fit_members(data, seeds, cfg, labels, None)
    full = build_dataset(bars)
    held = (full.dates >= np.datetime64(seen.last_date)) & ~np.isnan(full.y)
    x = data.scaler.transform(full.x[held])
    # A direct call, not Model.predict: a few dozen windows, and no tf.function traced anew per member.
    probabilities = np.column_stack([np.asarray(m.model(x, training=False)).ravel() for m in fitted])
    del fitted
    keras.backend.clear_session()
    days = [as_date(d) for d in full.dates[held]]
    buys = [vote(row).direction is Direction.BUY for row in probabilities.tolist()]
    return days, buys, [bool(v) for v in full.y[held]]


#: A training run builds its version in ``<model.dir>/.training-<host>-<pid>-*`` (hidden: the registry ignores it).
TRAINING_PREFIX = ".training-"


def _training_tag() -> str:
    """This host's name and this process's id: a training folder's owner (hosts may share a models volume)."""
    return f"{socket.gethostname().replace('-', '_')}-{os.getpid()}"


def remove_abandoned(root: Path) -> list[Path]:
    """Remove the training folders of this host's runs that were killed (their process is gone); return them.

    Another `fxbot train` that is still running keeps its folder: its host and process id are in the
    name, and another host's (a container sharing the volume) is never judged from here.
    """
    host = _training_tag().split("-", 1)[0]
    removed = []
    for folder in root.glob(f"{TRAINING_PREFIX}{host}-*-*"):
        pid = folder.name.removeprefix(f"{TRAINING_PREFIX}{host}-").split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except PermissionError:  # alive, another user's
            continue
    return removed


def train_version(
    pair: str,
    bars: Bars,
    cfg: TrainingSettings,
    registry: Registry,
    *,
    data_sha256: str,
    by: By = "user",
    progress: Progress | None = _stderr_progress,
) -> VersionInfo:
    """Train ``pair`` and store the result in ``registry`` as a new version (checked like an import).

    It becomes the champion only if the pair has none; otherwise it waits as a challenger for the
    gate or for `fxbot models promote`. A crash while training leaves the registry as it was.
    """
    registry.root.mkdir(parents=True, exist_ok=True)
    remove_abandoned(registry.root)
    with tempfile.TemporaryDirectory(prefix=f"{TRAINING_PREFIX}{_training_tag()}-", dir=registry.root) as tmp:
        train_pair(pair, bars, cfg, Path(tmp), data_sha256=data_sha256, progress=progress)
        return registry.add(Path(tmp) / pair, by=by)


def train_pair(
    pair: str,
    bars: Bars,
    cfg: TrainingSettings,
    out_dir: Path,
    *,
    data_sha256: str,
    progress: Progress | None = _stderr_progress,
    strategy: Strategy = "fused",
) -> Manifest:
    """Train ``cfg.members`` members on ``bars`` and write them, then the manifest, to ``out_dir/pair``.

    ``strategy`` picks how the members are fitted (``fit_members``); the artifacts are the same either way.
    The new folder is built beside the old one and swapped in at the end, so a crash mid-training
    leaves the previous models in place.
    """
    if len(cfg.seeds) < cfg.members:
        raise ModelError(f"training.seeds has {len(cfg.seeds)} seeds for {cfg.members} members; add seeds")
    if cfg.start:
        bars = bars.since(cfg.start)
    data = prepare_training_data(bars, cfg.validation_fraction)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{pair}.", dir=out_dir))
    staging.chmod(0o755)
    try:
        seeds = cfg.seeds[: cfg.members]
        labels = [f"{pair} member {i + 1}/{cfg.members} (seed {seed})" for i, seed in enumerate(seeds)]
        if progress:
            progress(
                f"{pair}: {len(seeds)} members, {len(data.y_train)} training samples, {len(data.y_val)} validation"
            )
        fitted = fit_members(data, seeds, cfg, labels, progress, strategy=strategy)
        members = []
        for i, (label, member) in enumerate(zip(labels, fitted, strict=True)):
            members.append(export_member(member, staging, i, data.x_val[:32]))
            if progress:
                progress(f"{label}: val_acc {member.val_accuracy:.3f} after {member.epochs_trained} epochs")
        del fitted
        keras.backend.clear_session()
        manifest = _manifest(pair, bars, data, cfg, members, data_sha256)
        write_manifest(staging, manifest)
        final = out_dir / pair
        backup = out_dir / f".{pair}.old"
        if backup.exists():
            shutil.rmtree(backup)
        if final.exists():
            final.rename(backup)
        staging.rename(final)
        if backup.exists():
            shutil.rmtree(backup)
        return manifest
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
