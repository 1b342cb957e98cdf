"""Purged, embargoed training data for one walk-forward period. Pure numpy: no TensorFlow, no pandas.

A sample is the window ending on decision day D (bar position ``p``); its label is known at the
close of ``p + h`` (``h`` the target horizon: 1 for tomorrow's direction, 5 for "up over 5 days").
For a test set starting at bar position ``s``:

- **purge**: a training sample whose label resolves at or after ``s`` (``p + h >= s``) reaches
  into the test period and is dropped;
- **embargo**: ``embargo`` (at least ``h``) further samples before that are dropped too, so the
  last training label resolves at least ``embargo`` bars before the first test day.

The same rule separates training from validation inside the history (the validation set is the
early-stopping test). The scaler is fitted on the feature rows of the training windows only, and
the bars after the period's last day never reach a task at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fxbot.data.bars import Bars
from fxbot.errors import DataError
from fxbot.features import WINDOW, Scaler, set_dataset

MIN_TRAIN_SAMPLES = 50


def keep_before(sample_pos: np.ndarray, test_start: int, horizon: int, embargo: int) -> np.ndarray:
    """Mask of samples (bar positions of their decision days) neither purged nor embargoed before ``test_start``.

    Kept: ``p + horizon < test_start - (embargo)``, i.e. the label resolves, and ``embargo`` more bars
    pass, before the first test day. ``embargo`` below ``horizon`` is raised to ``horizon``.
    """
    embargo = max(embargo, horizon)
    return np.asarray(sample_pos) + horizon + embargo < test_start


@dataclass(frozen=True)
class PeriodData:
    """Scaled training, validation and call windows of one pair for one period."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    scaler: Scaler
    train_dates: np.ndarray  # datetime64[D] decision days of the training samples
    val_dates: np.ndarray
    x_call: np.ndarray  # scaled windows of the period's decision days
    call_dates: np.ndarray
    purged: int  # samples dropped at the test boundary and at the validation boundary (purge + embargo)
    history_bars: int  # bars before the period used (from training.start, if set)


def period_data(
    bars: Bars,
    start: np.datetime64,
    end: np.datetime64,
    *,
    feature_set: str = "base",
    horizon: int = 1,
    embargo: int = 0,
    validation_fraction: float = 0.2,
    others: tuple[Bars, ...] = (),
    train_from: np.datetime64 | None = None,
    window: int = WINDOW,
) -> PeriodData:
    """Training data from the bars before ``start`` (purged and embargoed) and the call windows of [start, end].

    ``bars`` may reach past ``end``; nothing after ``end`` is used. ``others`` (for the ``cross``
    set) are cut the same way. ``train_from`` drops training bars before it (``training.start``).
    """
    bars = bars.up_to(end)
    others = tuple(o.up_to(end) for o in others)
    history = bars.before(start)
    if train_from is not None:
        history = history.since(train_from)
    first = int(np.searchsorted(bars.dates, history.dates[0])) if len(history) else 0
    # One pass over [first, end]: features of D use bars <= D only, so the windows of training days
    # equal those built from the history alone; labels are the only forward-looking part, and the
    # purge below drops every label that resolves at or after the period's first bar.
    span = bars.take(slice(first, None))
    try:
        data = set_dataset(feature_set, span, others, horizon, window)
    except DataError as exc:
        raise DataError(f"{exc} before {start}; start the backtest later") from None
    pos = np.searchsorted(span.dates, data.dates)  # bar position of each decision day within span
    test_start = int(np.searchsorted(span.dates, start))
    usable = keep_before(pos, test_start, horizon, 0) & ~np.isnan(data.y)
    usable &= np.isfinite(data.x).all(axis=(1, 2))
    idx = np.flatnonzero(usable)
    # Drop the embargo at the test boundary beyond the purge (keep_before with embargo=0 purges only).
    idx = idx[keep_before(pos[idx], test_start, horizon, embargo)]
    purged = int(np.sum(pos < test_start)) - len(idx)
    if len(idx) < MIN_TRAIN_SAMPLES + 2:
        raise DataError(
            f"needs at least {MIN_TRAIN_SAMPLES} training samples before {start}, got {len(idx)} from "
            f"{len(history)} bars; start the backtest later"
        )
    n_val = max(1, round(len(idx) * validation_fraction))
    val_idx = idx[-n_val:]
    train_idx = idx[:-n_val]
    train_idx = train_idx[keep_before(pos[train_idx], int(pos[val_idx[0]]), horizon, embargo)]
    purged += len(idx) - n_val - len(train_idx)
    if len(train_idx) < MIN_TRAIN_SAMPLES:
        raise DataError(
            f"needs at least {MIN_TRAIN_SAMPLES} training samples before {start}, got {len(train_idx)} from "
            f"{len(history)} bars; start the backtest later"
        )
    last_train_row = int(train_idx[-1]) + window - 1  # window i ends at feature row i + window - 1
    scaler = Scaler.fit(data.rows[: last_train_row + 1])
    in_period = (data.dates >= start) & (data.dates <= end)
    return PeriodData(
        x_train=scaler.transform(data.x[train_idx]),
        y_train=data.y[train_idx].astype("float32"),
        x_val=scaler.transform(data.x[val_idx]),
        y_val=data.y[val_idx].astype("float32"),
        scaler=scaler,
        train_dates=data.dates[train_idx],
        val_dates=data.dates[val_idx],
        x_call=scaler.transform(data.x[in_period]),
        call_dates=data.dates[in_period],
        purged=purged,
        history_bars=len(history),
    )
