"""Features: bars -> per-day feature frame -> 20-day windows. Pure; one path for training and live.

Eight features per trading day D, each a log ratio computed from bars up to and including D only:

    ret1   ln(C_D / C_{D-1})            close-to-close return
    gap    ln(O_D / C_{D-1})            overnight gap (weekend and holiday moves land here)
    body   ln(C_D / O_D)                the candle's body
    range  ln(H_D / L_D)                the day's range (volatility)
    upper  ln(H_D / max(O_D, C_D))      upper shadow (rejected highs)
    lower  ln(min(O_D, C_D) / L_D)      lower shadow (rejected lows)
    ma5    ln(C_D / mean(C_{D-4..D}))   distance from the 5-day moving average
    ma20   ln(C_D / mean(C_{D-19..D}))  distance from the 20-day moving average

Log ratios make the three pairs (and 2007 vs 2024 price levels) comparable. The first 19 days have
no 20-day average and are dropped. The label of day D is 1 if C_{D+1} > C_D (tomorrow's direction),
unknown (NaN) for the last stored day. A ``Scaler`` is fitted on training rows only and travels in
the model manifest, so live inputs are scaled exactly as training inputs were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fxbot.errors import DataError

FEATURES = ["ret1", "gap", "body", "range", "upper", "lower", "ma5", "ma20"]
WINDOW = 20
_WARMUP = 19  # rows lost to the 20-day moving average


def min_bars(window: int = WINDOW) -> int:
    """Bars needed to build one window."""
    return _WARMUP + window


def feature_frame(bars: pd.DataFrame) -> pd.DataFrame:
    """Per-day features of ``bars`` (see module docstring); rows without full history are dropped."""
    o, h, low, c = (bars[k].to_numpy(dtype="float64") for k in ("open", "high", "low", "close"))
    prev_c = np.concatenate([[np.nan], c[:-1]])
    close = pd.Series(c)
    ma5 = close.rolling(5).mean().to_numpy()
    ma20 = close.rolling(20).mean().to_numpy()
    frame = pd.DataFrame(
        {
            "ret1": np.log(c / prev_c),
            "gap": np.log(o / prev_c),
            "body": np.log(c / o),
            "range": np.log(h / low),
            "upper": np.log(h / np.maximum(o, c)),
            "lower": np.log(np.minimum(o, c) / low),
            "ma5": np.log(c / ma5),
            "ma20": np.log(c / ma20),
        },
        index=bars.index,
    )
    return frame.iloc[_WARMUP:]


def next_day_up(bars: pd.DataFrame) -> pd.Series:
    """Label per day: 1.0 if the next close is higher, 0.0 if not, NaN for the last day."""
    close = bars["close"]
    nxt = close.shift(-1)
    label = (nxt > close).astype("float64")
    label[nxt.isna()] = np.nan
    return label


@dataclass(frozen=True)
class Scaler:
    """Per-feature standardisation fitted on training rows only."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, rows: np.ndarray) -> Scaler:
        """Fit on a (rows, features) array; zero spreads become 1 so nothing divides by zero."""
        std = rows.std(axis=0)
        std[std == 0] = 1.0
        return cls(tuple(float(v) for v in rows.mean(axis=0)), tuple(float(v) for v in std))

    def transform(self, rows: np.ndarray) -> np.ndarray:
        """Scale rows (any leading shape, features last) to float32."""
        return ((rows - np.asarray(self.mean)) / np.asarray(self.std)).astype("float32")


def windows(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """All windows of ``window`` consecutive rows: (rows, F) -> (rows - window + 1, window, F)."""
    if len(values) < window:
        return np.empty((0, window, values.shape[1]), dtype=values.dtype)
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


@dataclass(frozen=True)
class Dataset:
    """Windows ending on each ``dates[i]``, with the next-day label (NaN when not yet known)."""

    x: np.ndarray  # (n, window, F), unscaled
    y: np.ndarray  # (n,)
    dates: pd.DatetimeIndex
    rows: np.ndarray  # (rows, F) unscaled feature rows; window i ends at rows[i + window - 1]


def build_dataset(bars: pd.DataFrame, window: int = WINDOW) -> Dataset:
    """Every window of ``bars`` and its label; the same function serves training, backtest and live."""
    if len(bars) < min_bars(window):
        raise DataError(f"needs at least {min_bars(window)} daily bars to build a {window}-day window, got {len(bars)}")
    feats = feature_frame(bars)
    labels = next_day_up(bars).loc[feats.index].to_numpy()
    rows = feats.to_numpy(dtype="float64")
    x = windows(rows, window)
    return Dataset(x=x, y=labels[window - 1 :], dates=feats.index[window - 1 :], rows=rows)


def live_window(bars: pd.DataFrame, scaler: Scaler, window: int = WINDOW) -> np.ndarray:
    """The scaled (1, window, F) input for the last bar of ``bars``."""
    tail = bars.iloc[-(min_bars(window)) :]
    data = build_dataset(tail, window)
    return scaler.transform(data.x[-1:])
