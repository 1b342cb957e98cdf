"""Features: no look-ahead, windows, and a scaler that never sees validation rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.data.bars import Bars, make_bars
from fxbot.errors import DataError
from fxbot.features import FEATURES, WINDOW, Scaler, build_dataset, feature_rows, live_window, min_bars, windows


def _random_frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, n)))
    return make_bars(pd.bdate_range("2020-01-01", periods=n).to_numpy(), open_, high, low, close).to_frame()


def _random_bars(seed: int, n: int) -> Bars:
    return Bars.from_frame(_random_frame(seed, n))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(min_bars() + 1, 120),
    cut=st.integers(min_bars(), 119),
    noise=st.floats(0.5, 2.0),
)
def test_features_for_day_d_ignore_later_bars(seed: int, n: int, cut: int, noise: float) -> None:
    frame = _random_frame(seed, n)
    cut = min(cut, n - 1)
    changed = frame.copy()
    changed.iloc[cut:, :4] *= noise  # rewrite every bar from day `cut` on
    kept = Bars.from_frame(frame.iloc[:cut])
    a = build_dataset(kept)
    # the changed history holds more days than the kept one: compare the windows on the days both have
    b = build_dataset(Bars.from_frame(changed))
    common, ia, ib = np.intersect1d(a.dates, b.dates, return_indices=True)
    assert len(common) == len(a.dates)  # every kept day is compared
    np.testing.assert_array_equal(a.x[ia], b.x[ib])
    # the live window for day D (from bars up to D only) is the window the changed, longer history builds for D
    scaler = Scaler.fit(a.rows)
    np.testing.assert_array_equal(live_window(kept, scaler), scaler.transform(b.x[ib[-1:]]))


def test_label_is_next_day_direction_and_last_is_unknown() -> None:
    bars = _random_bars(1, 60)
    data = build_dataset(bars)
    closes = bars.close
    for i, day in enumerate(data.dates[:-1]):
        pos = int(np.flatnonzero(bars.dates == day)[0])
        assert data.y[i] == float(closes[pos + 1] > closes[pos])
    assert np.isnan(data.y[-1])
    assert data.dates[-1] == bars.dates[-1]


def test_window_shape_and_alignment() -> None:
    bars = _random_bars(2, 80)
    data = build_dataset(bars)
    assert data.x.shape == (80 - min_bars() + 1, WINDOW, len(FEATURES))
    feats = feature_rows(bars)
    np.testing.assert_allclose(data.x[-1][-1], feats[-1])
    np.testing.assert_allclose(data.x[0][0], feats[0])


def test_too_few_bars_says_how_many() -> None:
    with pytest.raises(DataError, match=f"needs at least {min_bars()} daily bars .* got 7"):
        build_dataset(_random_bars(3, 7))


def test_windows_of_short_input_is_empty() -> None:
    assert windows(np.zeros((3, 2)), 5).shape == (0, 5, 2)


def test_scaler_zero_spread_is_safe() -> None:
    scaler = Scaler.fit(np.array([[1.0, 2.0], [1.0, 4.0]]))
    assert scaler.std[0] == 1.0
    np.testing.assert_allclose(scaler.transform(np.array([[1.0, 3.0]])), [[0.0, 0.0]])


def test_features_match_their_definitions_by_hand() -> None:
    """The eight numpy features against the module docstring's formulas, computed by hand for one day."""
    frame = _random_frame(4, 30)
    rows = feature_rows(Bars.from_frame(frame))
    o, h, low, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
    d = 29  # the last day; its feature row is rows[-1]
    expected = [
        np.log(c[d] / c[d - 1]),
        np.log(o[d] / c[d - 1]),
        np.log(c[d] / o[d]),
        np.log(h[d] / low[d]),
        np.log(h[d] / max(o[d], c[d])),
        np.log(min(o[d], c[d]) / low[d]),
        np.log(c[d] / c[d - 4 : d + 1].mean()),
        np.log(c[d] / c[d - 19 : d + 1].mean()),
    ]
    np.testing.assert_allclose(rows[-1], expected, rtol=1e-12)
    assert rows.shape == (30 - 19, len(FEATURES))
