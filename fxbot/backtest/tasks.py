"""The walk-forward's unit of work: a ``Task`` (train before a period, call each day in it) and its ``TaskResult``.

A leaf of the backtest package: ``walkforward`` builds tasks and assembles results, ``executors``
runs them and ``worker`` (TensorFlow) does one; all three import the types from here, so none of
them needs another's names. Tasks and results are plain frozen dataclasses of numpy arrays and
bars: they pickle to a spawned process or a Ray worker as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxbot.backtest.variants import DEFAULT, Variant
from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars


@dataclass(frozen=True)
class Task:
    """Train on ``bars`` before ``start`` (purged, embargoed); call each bar day in [start, end]."""

    pair: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    bars: Bars  # history up to ``end`` at most; later bars are never sent
    cfg: TrainingSettings  # with the variant's size
    variant: Variant = DEFAULT
    embargo: int = 0
    others: tuple[Bars, ...] = ()  # the other pairs' bars up to ``end`` (the ``cross`` feature set)


@dataclass(frozen=True)
class TaskResult:
    """Member and baseline outputs for the decision days of one period of one pair."""

    pair: str
    label: str
    dates: pd.DatetimeIndex  # decision day D: the call is for the next trading day (or the next 5)
    member_probs: np.ndarray  # (days, members) P(up) per member
    logistic_probs: np.ndarray  # (days,) logistic-regression baseline
    train_start: str
    train_end: str
    samples_train: int
    samples_validation: int
    val_accuracy: tuple[float, ...]
    epochs_trained: tuple[int, ...]
    seconds: float
    fit_seconds: float  # inside fit_members: what the benchmark attributes to training
    variant: str = DEFAULT.name
    purged: int = 0  # samples dropped by purge + embargo (test and validation boundaries)
    history_bars: int = 0  # bars before the period the training could use
