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

numpy only (``fxbot.data.bars.Bars`` in, arrays out): the daily path never imports pandas, and
training, the backtest and the live call share ``feature_rows`` and ``build_dataset``.

Named feature sets (research variants; ``set_dataset`` / ``live_set_window``, the one path for a
variant's training, backtest and live call):

    base          the eight features above (exactly ``feature_rows``)
    momentum_vol  base + mom5, mom20, mom60 (ln C_D / C_{D-k}) + vol5, vol20 (std of ret1 over the
                  last 5 / 20 days): multi-horizon momentum and realised volatility
    cross         momentum_vol + xret1_<PAIR> of the two other pairs: ln of their close on D over
                  their previous close (their last close on or before each of this pair's days)

and a target horizon ``h``: the label of D is 1 if C_{D+h} > C_D (``h=1`` is ``next_day_up``).
"""

from __future__ import annotations

import msgspec
import numpy as np

from fxbot.data.bars import Bars
from fxbot.errors import DataError

#: The features the live call builds, in input order: a model's manifest must list exactly these
#: (``fxbot.model.artifacts`` checks it).
LIVE_FEATURES = ("ret1", "gap", "body", "range", "upper", "lower", "ma5", "ma20")
FEATURES = list(LIVE_FEATURES)
WINDOW = 20
_WARMUP = 19  # rows lost to the 20-day moving average


def min_bars(window: int = WINDOW) -> int:
    """Bars needed to build one window."""
    return _WARMUP + window


def moving_average(values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last ``n`` values at each position (NaN where fewer than ``n`` exist)."""
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(values, n).mean(axis=1)
    return out


def feature_rows(bars: Bars) -> np.ndarray:
    """The (rows, 8) features of ``bars`` (see module docstring); the first 19 days, without full history, are dropped.

    Row i belongs to ``bars.dates[i + 19]``.
    """
    o, h, low, c = bars.open, bars.high, bars.low, bars.close
    prev_c = np.concatenate([[np.nan], c[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = [
            np.log(c / prev_c),
            np.log(o / prev_c),
            np.log(c / o),
            np.log(h / low),
            np.log(h / np.maximum(o, c)),
            np.log(np.minimum(o, c) / low),
            np.log(c / moving_average(c, 5)),
            np.log(c / moving_average(c, 20)),
        ]
    return np.column_stack(columns)[_WARMUP:]


def next_day_up(close: np.ndarray) -> np.ndarray:
    """Label per day: 1.0 if the next close is higher, 0.0 if not, NaN for the last day."""
    label = np.full(len(close), np.nan)
    label[:-1] = (close[1:] > close[:-1]).astype("float64")
    return label


class Scaler(msgspec.Struct, frozen=True):
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
        scaled: np.ndarray = (rows - np.asarray(self.mean)) / np.asarray(self.std)
        return scaled.astype("float32")


def windows(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """All windows of ``window`` consecutive rows: (rows, F) -> (rows - window + 1, window, F)."""
    if len(values) < window:
        return np.empty((0, window, values.shape[1]), dtype=values.dtype)
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


class Dataset(msgspec.Struct, frozen=True):
    """Windows ending on each ``dates[i]``, with the next-day label (NaN when not yet known)."""

    x: np.ndarray  # (n, window, F), unscaled
    y: np.ndarray  # (n,)
    dates: np.ndarray  # (n,) datetime64[D]: window i ends on this trading day
    rows: np.ndarray  # (rows, F) unscaled feature rows; window i ends at rows[i + window - 1]


def build_dataset(bars: Bars, window: int = WINDOW) -> Dataset:
    """Every window of ``bars`` and its label; the same function serves training, backtest and live."""
    if len(bars) < min_bars(window):
        raise DataError(f"needs at least {min_bars(window)} daily bars to build a {window}-day window, got {len(bars)}")
    rows = feature_rows(bars)
    labels = next_day_up(bars.close)[_WARMUP:]
    x = windows(rows, window)
    return Dataset(x=x, y=labels[window - 1 :], dates=bars.dates[_WARMUP + window - 1 :], rows=rows)


def live_window(bars: Bars, scaler: Scaler, window: int = WINDOW) -> np.ndarray:
    """The scaled (1, window, F) input for the last bar of ``bars``."""
    data = build_dataset(bars.tail(min_bars(window)), window)
    return scaler.transform(data.x[-1:])


FEATURE_SETS = ("base", "momentum_vol", "cross")
_MOMENTUM = ("mom5", "mom20", "mom60", "vol5", "vol20")
_SET_WARMUP = {"base": _WARMUP, "momentum_vol": 60, "cross": 60}  # mom60 needs C_{D-60}


def feature_names(name: str, others: tuple[str, ...] = ()) -> list[str]:
    """Column names of feature set ``name`` (``others``: the other pairs' codes, for ``cross``)."""
    if name == "base":
        return list(FEATURES)
    if name == "momentum_vol":
        return [*FEATURES, *_MOMENTUM]
    if name == "cross":
        return [*FEATURES, *_MOMENTUM, *(f"xret1_{o}" for o in others)]
    raise DataError(f"unknown feature set {name!r}; use one of {', '.join(FEATURE_SETS)}")


def set_min_bars(name: str, window: int = WINDOW) -> int:
    """Bars needed to build one window of feature set ``name``."""
    feature_names(name)
    return _SET_WARMUP[name] + window


def _trailing_std(values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(values, n).std(axis=1)
    return out


def aligned_close(other: Bars, dates: np.ndarray) -> np.ndarray:
    """``other``'s last close on or before each of ``dates`` (NaN before its first bar): causal alignment."""
    pos = np.searchsorted(other.dates, np.asarray(dates, dtype=other.dates.dtype), side="right") - 1
    out = np.full(len(dates), np.nan)
    out[pos >= 0] = other.close[pos[pos >= 0]]
    return out


def set_rows(name: str, bars: Bars, others: tuple[Bars, ...] = ()) -> np.ndarray:
    """Feature rows of set ``name`` for ``bars``; row i belongs to ``bars.dates[i + warmup]`` (see ``set_min_bars``)."""
    if name == "base":
        return feature_rows(bars)
    feature_names(name)
    c = bars.close
    prev_c = np.concatenate([[np.nan], c[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        base = np.column_stack(
            [
                np.log(c / prev_c),
                np.log(bars.open / prev_c),
                np.log(c / bars.open),
                np.log(bars.high / bars.low),
                np.log(bars.high / np.maximum(bars.open, c)),
                np.log(np.minimum(bars.open, c) / bars.low),
                np.log(c / moving_average(c, 5)),
                np.log(c / moving_average(c, 20)),
            ]
        )
        ret1 = base[:, 0]
        extra = [np.log(c / np.concatenate([np.full(k, np.nan), c[:-k]])) for k in (5, 20, 60)]
        extra += [_trailing_std(ret1, 5), _trailing_std(ret1, 20)]
        if name == "cross":
            for other in others:
                aligned = aligned_close(other, bars.dates)
                extra.append(np.log(aligned / np.concatenate([[np.nan], aligned[:-1]])))
    rows = np.column_stack([base, *extra])
    return rows[_SET_WARMUP[name] :]


def up_after(close: np.ndarray, horizon: int = 1) -> np.ndarray:
    """Label per day: 1.0 if the close ``horizon`` days later is higher, 0.0 if not, NaN where unknown."""
    if horizon < 1:
        raise DataError(f"the target horizon must be at least 1 day, got {horizon}")
    label = np.full(len(close), np.nan)
    if len(close) > horizon:
        label[:-horizon] = (close[horizon:] > close[:-horizon]).astype("float64")
    return label


def set_dataset(
    name: str, bars: Bars, others: tuple[Bars, ...] = (), horizon: int = 1, window: int = WINDOW
) -> Dataset:
    """Every window of feature set ``name`` and its ``horizon``-day label; ``("base", h=1)`` is ``build_dataset``."""
    if name == "base" and horizon == 1:
        return build_dataset(bars, window)
    need = set_min_bars(name, window)
    if len(bars) < need:
        raise DataError(f"needs at least {need} daily bars to build a {window}-day {name} window, got {len(bars)}")
    if name == "cross" and len(others) != 2:
        raise DataError(f"the cross feature set needs the two other pairs' bars, got {len(others)}")
    warmup = _SET_WARMUP[name]
    rows = set_rows(name, bars, others)
    labels = up_after(bars.close, horizon)[warmup:]
    return Dataset(x=windows(rows, window), y=labels[window - 1 :], dates=bars.dates[warmup + window - 1 :], rows=rows)


def live_set_window(
    name: str, bars: Bars, scaler: Scaler, others: tuple[Bars, ...] = (), window: int = WINDOW
) -> np.ndarray:
    """The scaled (1, window, F) input of feature set ``name`` for the last bar of ``bars``."""
    data = set_dataset(name, bars.tail(set_min_bars(name, window)), others, 1, window)
    return scaler.transform(data.x[-1:])
