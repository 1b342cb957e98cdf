"""Purge and embargo, the named feature sets and h-day targets (fast, pure numpy: no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from fxbot.backtest.purge import keep_before, period_data
from fxbot.data.bars import Bars
from fxbot.errors import DataError
from fxbot.features import build_dataset, feature_names, set_dataset, set_rows, up_after


def test_keep_before_purges_labels_reaching_the_test_and_embargoes_at_least_the_horizon() -> None:
    pos = np.arange(100)
    # h=1, embargo 0 -> raised to 1: keep p + 1 + 1 < 100, so p <= 97 (98's label resolves at 99; embargoed)
    assert np.flatnonzero(keep_before(pos, 100, 1, 0))[-1] == 97
    # h=5: p + 5 is the label's bar; 95..99 purged (label at or after 100), 90..94 embargoed
    assert np.flatnonzero(keep_before(pos, 100, 5, 0))[-1] == 89
    assert np.flatnonzero(keep_before(pos, 100, 5, 10))[-1] == 84  # a longer embargo when asked
    assert not keep_before(pos, 100, 1, 0)[99]


def _bars(n: int = 700, seed: int = 0) -> Bars:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.006, n)))
    open_ = close * np.exp(rng.normal(0, 0.001, n))
    high = np.maximum(open_, close) * 1.002
    low = np.minimum(open_, close) * 0.998
    dates = np.busday_offset("2010-01-04", np.arange(n), roll="forward").astype("datetime64[D]")
    return Bars(dates, open_, high, low, close, np.zeros(n, dtype="int64"))


@pytest.mark.parametrize(("horizon", "embargo"), [(1, 0), (5, 0), (1, 7)])
def test_period_data_keeps_every_label_and_embargo_before_the_test_and_validation_starts(
    horizon: int, embargo: int
) -> None:
    bars = _bars()
    start, end = bars.dates[500], bars.dates[560]
    data = period_data(bars, start, end, horizon=horizon, embargo=embargo, validation_fraction=0.2)
    gap = max(horizon, embargo)
    pos = {d: i for i, d in enumerate(bars.dates)}
    last_train, first_val, last_val = pos[data.train_dates[-1]], pos[data.val_dates[0]], pos[data.val_dates[-1]]
    assert last_val + horizon + gap < 500  # validation labels resolve, plus the embargo, before the test
    assert last_train + horizon + gap < first_val  # the same rule inside the history
    assert last_val + horizon + gap == 499 and last_train + horizon + gap == first_val - 1  # and no more is lost
    assert data.purged == 2 * (horizon + gap)
    assert data.call_dates[0] == start and data.call_dates[-1] == end and len(data.call_dates) == 61


def test_period_data_uses_nothing_after_the_period_and_fits_the_scaler_on_training_rows_only() -> None:
    bars = _bars()
    start, end = bars.dates[500], bars.dates[560]
    base = period_data(bars, start, end)
    later = Bars(bars.dates, bars.open.copy(), bars.high.copy(), bars.low.copy(), bars.close.copy(), bars.volume)
    later.close[561:] *= 3.0  # the future changes completely
    np.testing.assert_array_equal(period_data(later, start, end).x_call, base.x_call)
    # validation and period bars move the data, not the scaler
    moved = Bars(bars.dates, bars.open.copy(), bars.high.copy(), bars.low.copy(), bars.close.copy(), bars.volume)
    last_train = int(np.searchsorted(bars.dates, base.train_dates[-1]))
    moved.close[last_train + 1 :] *= np.exp(np.linspace(0, 0.5, len(bars) - last_train - 1))
    assert period_data(moved, start, end).scaler == base.scaler
    with pytest.raises(DataError, match="start the backtest later"):
        period_data(bars, bars.dates[60], bars.dates[80])


def test_default_feature_set_is_build_dataset_itself() -> None:
    bars = _bars(200)
    a, b = set_dataset("base", bars), build_dataset(bars)
    for field in ("x", "y", "dates", "rows"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_named_sets_are_causal_and_the_five_day_target_looks_five_days_ahead() -> None:
    bars, other1, other2 = _bars(300, 1), _bars(300, 2), _bars(300, 3)
    rows = set_rows("cross", bars, (other1, other2))
    assert rows.shape == (300 - 60, len(feature_names("cross", ("EURJPY", "GBPJPY"))))
    assert feature_names("cross", ("EURJPY", "GBPJPY"))[-2:] == ["xret1_EURJPY", "xret1_GBPJPY"]
    assert np.isfinite(rows).all()
    cut = 250  # rows of days <= cut must not change when later bars (of any pair) change
    truncated = set_rows("cross", bars.take(slice(0, cut + 1)), (other1.take(slice(0, cut + 1)), other2))
    np.testing.assert_allclose(truncated, rows[: cut + 1 - 60], rtol=1e-12)
    close = np.array([1.0, 2.0, 0.5, 3.0, 3.0, 4.0, 1.0])
    np.testing.assert_array_equal(up_after(close, 1)[:-1], [1, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(up_after(close, 5)[:2], [1, 0])
    assert np.isnan(up_after(close, 5)[2:]).all()
    with pytest.raises(DataError, match="unknown feature set"):
        feature_names("prices")
