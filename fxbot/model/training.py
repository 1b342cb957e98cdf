"""Training (TensorFlow): fit a five-member LSTM ensemble per pair and write its artifacts.

Members differ only in their seed. Samples are split in time: the latest ``validation_fraction``
is held out (one sample embargoed at the boundary, whose label is the next sample's first feature),
the scaler is fitted on the training rows only, and early stopping watches the validation loss.
Each member is exported as a SavedModel with a fixed batch of 1 and converted to ``.tflite`` from
it (a variable batch does not convert; ``from_concrete_functions`` converts wrongly), and the
converted outputs are compared with Keras before anything is written.

Importing this module imports TensorFlow: the daily path never does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tensorflow import keras

from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars, as_date
from fxbot.errors import DataError, ModelError
from fxbot.features import FEATURES, WINDOW, Scaler, build_dataset
from fxbot.model.artifacts import FORMAT_VERSION, Manifest, MemberInfo, write_manifest
from fxbot.model.engines import LiteRTMember

logger = logging.getLogger(__name__)

TFLITE_TOLERANCE = 1e-5
Progress = Callable[[str], None]


def _stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class TrainingData:
    """Scaled, time-ordered training and validation samples of one pair."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    scaler: Scaler
    train_dates: np.ndarray  # datetime64[D]
    val_dates: np.ndarray


def prepare_training_data(bars: Bars, validation_fraction: float, window: int = WINDOW) -> TrainingData:
    """Split ``bars``' labelled windows in time and scale them with a scaler fitted on training rows."""
    data = build_dataset(bars, window)
    known = ~np.isnan(data.y)
    x, y, dates = data.x[known], data.y[known], data.dates[known]
    n_val = max(1, round(len(y) * validation_fraction))
    n_train = len(y) - n_val - 1  # one sample embargoed between the two
    if n_train < 50:
        raise DataError(f"needs at least {50 + n_val + 1 + window + 19} bars to train, got {len(bars)}")
    # Window i ends at feature row i + window - 1: fit on rows no later than the last training window.
    scaler = Scaler.fit(data.rows[: n_train + window - 1])
    return TrainingData(
        x_train=scaler.transform(x[:n_train]),
        y_train=y[:n_train].astype("float32"),
        x_val=scaler.transform(x[n_train + 1 :]),
        y_val=y[n_train + 1 :].astype("float32"),
        scaler=scaler,
        train_dates=dates[:n_train],
        val_dates=dates[n_train + 1 :],
    )


def build_model(window: int, n_features: int, units: int, learning_rate: float) -> keras.Model:
    """LSTM(units) -> Dense(1, sigmoid): the probability that tomorrow closes higher."""
    inputs = keras.Input(shape=(window, n_features), name="window")
    hidden = keras.layers.LSTM(units, name="lstm")(inputs)
    output = keras.layers.Dense(1, activation="sigmoid", name="p_up")(hidden)
    model = keras.Model(inputs, output)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


class _EpochProgress(keras.callbacks.Callback):  # type: ignore[misc]  # Keras ships no types: Callback is Any
    def __init__(self, label: str, epochs: int, progress: Progress) -> None:
        super().__init__()
        self.label, self.epochs, self.progress = label, epochs, progress

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        self.progress(
            f"  {self.label} epoch {epoch + 1}/{self.epochs}: loss {logs.get('loss', float('nan')):.4f} "
            f"val_loss {logs.get('val_loss', float('nan')):.4f} val_acc {logs.get('val_accuracy', float('nan')):.3f}"
        )


@dataclass
class FittedMember:
    """A trained Keras member and its validation figures."""

    model: keras.Model
    seed: int
    val_accuracy: float
    val_loss: float
    epochs_trained: int


def fit_member(
    data: TrainingData, seed: int, cfg: TrainingSettings, label: str, progress: Progress | None
) -> FittedMember:
    """Fit one member with ``seed`` (the only thing that differs between members)."""
    keras.utils.set_random_seed(seed)
    window, n_features = data.x_train.shape[1:]
    model = build_model(window, n_features, cfg.units, cfg.learning_rate)
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience, restore_best_weights=True)
    ]
    if progress is not None:
        callbacks.append(_EpochProgress(label, cfg.epochs, progress))
    history = model.fit(
        data.x_train,
        data.y_train,
        validation_data=(data.x_val, data.y_val),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        shuffle=True,  # within the training period only; validation is the later period
        callbacks=callbacks,
        verbose=0,
    )
    val_loss, val_acc = model.evaluate(data.x_val, data.y_val, verbose=0)
    return FittedMember(model, seed, float(val_acc), float(val_loss), len(history.history["loss"]))


def export_member(member: FittedMember, folder: Path, index: int, check_inputs: np.ndarray) -> MemberInfo:
    """Write the member as .keras, SavedModel and .tflite; refuse a .tflite that disagrees with Keras."""
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
    return MemberInfo(
        seed=member.seed,
        tflite=names["tflite"],
        keras=names["keras"],
        savedmodel=names["savedmodel"],
        val_accuracy=member.val_accuracy,
        val_loss=member.val_loss,
        epochs_trained=member.epochs_trained,
    )


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a model's numbers."""
    out = {}
    for name in ("tensorflow", "keras", "numpy", "pandas", "ai-edge-litert"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def train_pair(
    pair: str,
    bars: Bars,
    cfg: TrainingSettings,
    out_dir: Path,
    *,
    data_sha256: str,
    progress: Progress | None = _stderr_progress,
) -> Manifest:
    """Train ``cfg.members`` members on ``bars`` and write them, then the manifest, to ``out_dir/pair``.

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
        members = []
        for i, seed in enumerate(cfg.seeds[: cfg.members]):
            label = f"{pair} member {i + 1}/{cfg.members} (seed {seed})"
            if progress:
                progress(f"{label}: {len(data.y_train)} training samples, {len(data.y_val)} validation")
            fitted = fit_member(data, seed, cfg, label, progress)
            members.append(export_member(fitted, staging, i, data.x_val[:32]))
            if progress:
                progress(f"{label}: val_acc {fitted.val_accuracy:.3f} after {fitted.epochs_trained} epochs")
            keras.backend.clear_session()
        manifest = Manifest(
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
