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
import json
import logging
import math
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

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
from fxbot.model.registry import By, Registry, VersionInfo

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
    """Fit one member with ``seed`` (the only thing that differs between members).

    The fast path for several members is ``fit_members``; this one-model ``Model.fit`` is the
    original (sequential) path, kept as the reference the benchmark and the tests compare against.
    """
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


Strategy = Literal["fused", "sequential"]


def fit_members(
    data: TrainingData,
    seeds: Sequence[int],
    cfg: TrainingSettings,
    labels: Sequence[str],
    progress: Progress | None,
    *,
    strategy: Strategy = "fused",
) -> list[FittedMember]:
    """Fit one member per seed; ``fused`` trains them together in one graph, ``sequential`` one by one.

    Both give each member its own seed-initialised weights, its own loss and its own early stopping
    (best validation-loss weights restored), and return plain ``build_model`` Keras models. The
    sequential path clears the Keras session between members, so the caller must not keep a model
    it has not exported or used yet; the fused path returns all members at once.
    """
    if len(labels) != len(seeds):
        raise ValueError(f"{len(seeds)} seeds but {len(labels)} labels")
    if strategy == "sequential":
        out = []
        for seed, label in zip(seeds, labels, strict=True):
            out.append(fit_member(data, seed, cfg, label, progress))
        return out
    return _FusedTrainer(data, seeds, cfg).fit(labels, progress)


class _FusedTrainer:
    """Several LSTM(units) -> Dense(1) members trained at once in one graph, their weights stacked.

    What is shared is the work per step, not the arithmetic: member m's weights start from
    ``build_model`` under ``set_random_seed(seeds[m])`` (the same initial weights as ``fit_member``),
    its mini-batches come from its own seeded permutation of the training samples, the loss is the
    sum of the members' mean binary cross-entropies (so member m's gradient is exactly its own loss's
    gradient) and Adam works element-wise, so each member trains as if alone. Early stopping is
    Keras's rule, kept per member; a member that has stopped is no longer computed.

    The LSTM is TensorFlow's fused ``BlockLSTMV2`` kernel (gate order i, f, c, o as Keras, sigmoid
    and tanh, no peepholes, no clipping): one op per member for the whole sequence instead of a
    dozen small ops per time step, which is where a batch-32 step spends its time. The trained
    weights go back into the member's own Keras model, which is what is used and exported.
    """

    def __init__(self, data: TrainingData, seeds: Sequence[int], cfg: TrainingSettings) -> None:
        self.data, self.seeds, self.cfg = data, list(seeds), cfg
        self.window, self.n_features = data.x_train.shape[1:]
        self.models = []
        for seed in self.seeds:
            keras.utils.set_random_seed(seed)
            self.models.append(build_model(self.window, self.n_features, cfg.units, cfg.learning_rate))
        self.variables = [
            tf.Variable(value, name=name)
            for name, value in zip(
                ("lstm_w", "lstm_b", "dense_w", "dense_b"),
                self._stack([m.get_weights() for m in self.models]),
                strict=True,
            )
        ]
        self.optimizer = keras.optimizers.Adam(learning_rate=cfg.learning_rate)
        self.optimizer.build(self.variables)
        self.x_train = tf.constant(data.x_train, tf.float32)
        self.y_train = tf.constant(data.y_train, tf.float32)
        self.x_val = tf.constant(data.x_val, tf.float32)
        self.y_val = tf.constant(data.y_val, tf.float32)
        self._epoch = tf.function(self._train_epoch)
        self._validate = tf.function(self._validation)

    @staticmethod
    def _stack(keras_weights: list[list[np.ndarray]]) -> list[np.ndarray]:
        """Keras [kernel (F, 4U), recurrent (U, 4U), bias, dense kernel, dense bias] per member -> stacked."""
        return [
            np.stack([np.concatenate([w[0], w[1]], axis=0) for w in keras_weights]),
            np.stack([w[2] for w in keras_weights]),
            np.stack([w[3] for w in keras_weights]),
            np.stack([w[4] for w in keras_weights]),
        ]

    def _keras_weights(self, stacked: list[np.ndarray], m: int) -> list[np.ndarray]:
        """Member m's weights in the order of its Keras model."""
        lstm_w, lstm_b, dense_w, dense_b = (a[m] for a in stacked)
        return [lstm_w[: self.n_features], lstm_w[self.n_features :], lstm_b, dense_w, dense_b]

    def _member_logits(self, m: int, x_time_major: tf.Tensor) -> tf.Tensor:
        """Member m's logits (batch,) for inputs (T, batch, F)."""
        lstm_w, lstm_b, dense_w, dense_b = self.variables
        zeros = tf.zeros([tf.shape(x_time_major)[1], self.cfg.units])
        no_peephole = tf.zeros([self.cfg.units])
        h = tf.raw_ops.BlockLSTMV2(
            seq_len_max=tf.constant(self.window, tf.int64),
            x=x_time_major,
            cs_prev=zeros,
            h_prev=zeros,
            w=lstm_w[m],
            wci=no_peephole,
            wcf=no_peephole,
            wco=no_peephole,
            b=lstm_b[m],
            cell_clip=0.0,  # 0: no clipping
            use_peephole=False,
        )[6][-1]
        return tf.matmul(h, dense_w[m])[:, 0] + dense_b[m]

    def _train_step(self, index: tf.Tensor, weight: tf.Tensor, active: tf.Tensor) -> tf.Tensor:
        """One Adam step; ``index`` (members, batch) picks each member's samples, ``weight`` masks padding.

        A member with ``active[m]`` false is skipped (zero gradient); its best weights are already kept.
        """
        x = tf.transpose(tf.gather(self.x_train, index), [0, 2, 1, 3])  # (members, T, batch, F)
        y = tf.gather(self.y_train, index)
        with tf.GradientTape() as tape:
            logits = tf.stack(
                [
                    tf.cond(active[m], lambda m=m: self._member_logits(m, x[m]), lambda: tf.zeros_like(weight))
                    for m in range(len(self.seeds))
                ]
            )
            losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits)
            per_member = tf.reduce_sum(losses * weight, axis=1) / tf.reduce_sum(weight)
            total = tf.reduce_sum(per_member * tf.cast(active, tf.float32))
        grads = tape.gradient(total, self.variables)
        self.optimizer.apply(grads, self.variables)
        return per_member

    def _train_epoch(self, order: tf.Tensor, weight: tf.Tensor, active: tf.Tensor) -> tf.Tensor:
        """All steps of one epoch in one graph call: ``order`` (batches, members, batch), ``weight`` (batches, batch).

        Returns each member's training loss summed over samples (Keras's epoch ``loss`` times n).
        """
        total = tf.zeros([len(self.seeds)])
        for b in tf.range(tf.shape(order)[0]):
            total += self._train_step(order[b], weight[b], active) * tf.reduce_sum(weight[b])
        return total

    def _validation(self) -> tuple[tf.Tensor, tf.Tensor]:
        """Each member's validation loss and accuracy (threshold 0.5, as Keras's binary accuracy)."""
        x = tf.transpose(self.x_val, [1, 0, 2])
        logits = tf.stack([self._member_logits(m, x) for m in range(len(self.seeds))])
        labels = tf.broadcast_to(self.y_val, tf.shape(logits))
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=1)
        hits = tf.cast(tf.equal(tf.cast(logits > 0.0, tf.float32), labels), tf.float32)
        return loss, tf.reduce_mean(hits, axis=1)

    def fit(self, labels: Sequence[str], progress: Progress | None) -> list[FittedMember]:
        """Train until every member has stopped (or ``cfg.epochs``); restore each member's best epoch."""
        cfg, n, members = self.cfg, len(self.data.y_train), len(self.seeds)
        size = cfg.batch_size
        rngs = [np.random.default_rng(seed) for seed in self.seeds]
        batches = -(-n // size)
        # A short last batch is padded with weight-0 samples: one traced shape, the same gradient.
        sample_weight = np.zeros(batches * size, np.float32)
        sample_weight[:n] = 1.0
        weights = tf.constant(sample_weight.reshape(batches, size))
        best = [math.inf] * members
        best_weights: list[list[np.ndarray]] = [[] for _ in range(members)]
        wait = [0] * members
        stopped_after = [0] * members  # epochs trained when the member stopped; 0: still training
        epochs_run = 0
        for epoch in range(cfg.epochs):
            epochs_run = epoch + 1
            active = tf.constant([not s for s in stopped_after])
            order = np.zeros((members, batches * size), np.int32)
            for m, rng in enumerate(rngs):
                order[m, :n] = rng.permutation(n)
            epoch_order = order.reshape(members, batches, size).transpose(1, 0, 2)
            train_loss = self._epoch(tf.constant(epoch_order), weights, active).numpy() / n
            val_loss, val_acc = (t.numpy() for t in self._validate())
            snapshot: list[np.ndarray] | None = None
            for m in range(members):
                if stopped_after[m]:
                    continue
                if progress is not None:
                    progress(
                        f"  {labels[m]} epoch {epoch + 1}/{cfg.epochs}: loss {train_loss[m]:.4f} "
                        f"val_loss {val_loss[m]:.4f} val_acc {val_acc[m]:.3f}"
                    )
                # Keras's EarlyStopping(patience=cfg.patience, restore_best_weights=True), per member
                wait[m] += 1
                if float(val_loss[m]) < best[m]:
                    best[m], wait[m] = float(val_loss[m]), 0
                    snapshot = snapshot or [v.numpy() for v in self.variables]
                    best_weights[m] = [a[m].copy() for a in snapshot]
                elif wait[m] >= cfg.patience and epoch > 0:
                    stopped_after[m] = epoch + 1
            if all(stopped_after):
                break
        restored = [np.stack([bw[k] for bw in best_weights]) for k in range(len(self.variables))]
        for variable, value in zip(self.variables, restored, strict=True):
            variable.assign(value)
        val_loss, val_acc = (t.numpy() for t in self._validate())
        out = []
        for m, (model, seed) in enumerate(zip(self.models, self.seeds, strict=True)):
            model.set_weights(self._keras_weights(restored, m))
            out.append(FittedMember(model, seed, float(val_acc[m]), float(val_loss[m]), stopped_after[m] or epochs_run))
        return out


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
