"""Fitting an ensemble's members (TensorFlow): the samples, the model, and the two ways to train them.

``prepare_training_data`` splits a pair's labelled windows in time (the latest
``validation_fraction`` held out, one sample embargoed at the boundary, whose label is the next
sample's first feature) and fits the scaler on the training rows only. ``fit_members`` trains one
``build_model`` per seed, either fused in one graph (the fast path) or one ``Model.fit`` after
another (``fit_member``, the reference); early stopping watches the validation loss either way.
Exporting and storing the fitted members is ``fxbot.model.training``'s job.

Importing this module imports TensorFlow: the daily path never does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tensorflow import keras

from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars
from fxbot.errors import DataError
from fxbot.features import WINDOW, Scaler, build_dataset

Progress = Callable[[str], None]


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
