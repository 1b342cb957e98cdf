"""One walk-forward task (TensorFlow): train a pair's ensemble before a period, then call every day of it.

Importing this module imports TensorFlow; the pool imports it once per worker process. The data
come from ``fxbot.backtest.purge.period_data`` (the variant's feature set and target, purged and
embargoed); the members are ``fxbot train``'s own ``fit_members`` (all members of a task trained
together, each its own seed, loss and early stopping) with ``training.seeds``. No ``.tflite`` is
exported: members predict in batch with Keras.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow import keras

from fxbot.backtest.baselines import logistic_probabilities
from fxbot.backtest.purge import PeriodData, period_data
from fxbot.backtest.tasks import Task, TaskResult
from fxbot.data.bars import as_date
from fxbot.errors import DataError
from fxbot.model.training import TrainingData, fit_members

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


def training_data(period: PeriodData) -> TrainingData:
    """A period's purged, scaled samples in the shape ``fit_members`` takes."""
    return TrainingData(
        x_train=period.x_train,
        y_train=period.y_train,
        x_val=period.x_val,
        y_val=period.y_val,
        scaler=period.scaler,
        train_dates=period.train_dates,
        val_dates=period.val_dates,
    )


def task_data(task: Task) -> tuple[TrainingData, PeriodData]:
    """The task's purged training data (as ``fit_members`` takes it) and its period's call windows."""
    try:
        period = period_data(
            task.bars,
            np.datetime64(task.start.date(), "D"),
            np.datetime64(task.end.date(), "D"),
            feature_set=task.variant.features,
            horizon=task.variant.horizon,
            embargo=task.embargo,
            validation_fraction=task.cfg.validation_fraction,
            others=task.others,
            train_from=np.datetime64(task.cfg.start, "D") if task.cfg.start else None,
        )
    except DataError as exc:
        raise DataError(f"{task.pair} {task.label}: {exc}") from None
    return training_data(period), period


def run_task(task: Task) -> TaskResult:
    """Train the members on bars before the period and return their P(up) for each decision day in it."""
    began = time.perf_counter()
    data, period = task_data(task)
    x_call = period.x_call
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
        dates=pd.DatetimeIndex(period.call_dates.astype("datetime64[ns]")),
        member_probs=np.stack(probs, axis=1),
        logistic_probs=logistic,
        train_start=as_date(data.train_dates[0]).isoformat(),
        train_end=as_date(data.val_dates[-1]).isoformat(),
        samples_train=len(data.y_train),
        samples_validation=len(data.y_val),
        val_accuracy=tuple(accs),
        epochs_trained=tuple(epochs),
        seconds=time.perf_counter() - began,
        fit_seconds=fit_seconds,
        variant=task.variant.name,
        purged=period.purged,
        history_bars=period.history_bars,
    )
