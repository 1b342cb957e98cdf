"""One walk-forward task (TensorFlow): train a pair's ensemble before a period, then call every day of it.

Importing this module imports TensorFlow; the pool imports it once per worker process. Training is
``fxbot train``'s own code (``prepare_training_data`` + ``fit_members`` with ``training.seeds``);
no ``.tflite`` is exported: members predict in batch with Keras.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow import keras

from fxbot.backtest.baselines import logistic_probabilities
from fxbot.backtest.walkforward import Task, TaskResult
from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars
from fxbot.errors import DataError
from fxbot.features import build_dataset
from fxbot.model.training import fit_members, prepare_training_data

logger = logging.getLogger(__name__)


def configure_tensorflow(threads: int | None) -> None:
    """Deterministic ops (same seed -> same member on CPU) and, in pool workers, a thread budget."""
    tf.config.experimental.enable_op_determinism()
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # the runtime is already up (in-process use): keep its threads
            logger.info("TensorFlow already initialised; thread settings unchanged")


def training_bars(bars: pd.DataFrame, start: pd.Timestamp, cfg: TrainingSettings) -> pd.DataFrame:
    """The expanding training window: bars from ``training.start`` (or the first) strictly before ``start``."""
    out = bars.loc[bars.index < start]
    if cfg.start:
        out = out.loc[out.index >= pd.Timestamp(cfg.start)]
    return out


def run_task(task: Task) -> TaskResult:
    """Train the members on bars before the period and return their P(up) for each decision day in it."""
    began = time.perf_counter()
    train = training_bars(task.bars, task.start, task.cfg)
    try:
        data = prepare_training_data(Bars.from_frame(train), task.cfg.validation_fraction)
    except DataError as exc:
        raise DataError(
            f"{task.pair} {task.label}: {exc} (before {task.start.date()}); start the backtest later"
        ) from None
    # Features of D use bars <= D only (feature_rows is causal), so one pass over the history up to
    # the period's end gives the same windows as cutting the data at each D (--check-lookahead verifies).
    full = build_dataset(Bars.from_frame(task.bars.loc[task.bars.index <= task.end]))
    full_dates = pd.DatetimeIndex(full.dates.astype("datetime64[ns]"))
    in_period = (full_dates >= task.start) & (full_dates <= task.end)
    x_call = data.scaler.transform(full.x[in_period])
    seeds = task.cfg.seeds[: task.cfg.members]
    labels = [f"{task.pair} {task.label} member {i + 1}" for i in range(len(seeds))]
    fit_began = time.perf_counter()
    members = fit_members(data, seeds, task.cfg, labels, None)
    fit_seconds = time.perf_counter() - fit_began
    probs = []
    for member in members:
        out = member.model(x_call, training=False) if len(x_call) else np.empty(0)
        probs.append(np.asarray(out, dtype="float64").reshape(-1))
    accs = [m.val_accuracy for m in members]
    epochs = [m.epochs_trained for m in members]
    del members
    keras.backend.clear_session()  # one graph per task, or memory grows over the tasks of a worker
    logistic = logistic_probabilities(data.x_train, data.y_train, x_call) if len(x_call) else np.empty(0)
    return TaskResult(
        pair=task.pair,
        label=task.label,
        dates=full_dates[in_period],
        member_probs=np.stack(probs, axis=1),
        logistic_probs=logistic,
        train_start=train.index[0].date().isoformat(),
        train_end=train.index[-1].date().isoformat(),
        samples_train=len(data.y_train),
        samples_validation=len(data.y_val),
        val_accuracy=tuple(accs),
        epochs_trained=tuple(epochs),
        seconds=time.perf_counter() - began,
        fit_seconds=fit_seconds,
    )
