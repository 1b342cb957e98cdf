"""Bar validation, merging, and atomic writes of the PriceStore."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxbot.data.bars import make_bars, validate_bars
from fxbot.data.store import PriceStore, merge_bars
from fxbot.errors import DataError


def _bars(n: int = 5, start: str = "2024-01-01") -> pd.DataFrame:
    dates = pd.bdate_range(start, periods=n)
    close = 100 + np.arange(n, dtype=float)
    return make_bars(dates, close - 0.5, close + 1, close - 1, close, np.full(n, 10))


@pytest.mark.parametrize(
    ("column", "row", "value", "message"),
    [
        ("close", 2, np.nan, r"row 3 \(2024-01-03\) has a missing \(NaN\) price"),
        ("open", 1, -1.0, r"row 2 \(2024-01-02\) has a price <= 0"),
        ("high", 3, 100.0, r"row 4 \(2024-01-04\) has high below open or close"),
        ("low", 4, 105.0, r"row 5 \(2024-01-05\) has low above open or close"),
    ],
)
def test_validation_names_file_and_row(column: str, row: int, value: float, message: str) -> None:
    bars = _bars()
    bars.iloc[row, bars.columns.get_loc(column)] = value
    with pytest.raises(DataError, match=f"^some.csv: {message}"):
        validate_bars(bars, "some.csv")


def test_duplicate_and_unsorted_dates() -> None:
    bars = _bars()
    dup = pd.concat([bars.iloc[:3], bars.iloc[2:3]])
    with pytest.raises(DataError, match=r"row 4 \(2024-01-03\) duplicates the date before it"):
        validate_bars(dup, "f")
    unsorted = bars.iloc[[0, 2, 1, 3]]
    with pytest.raises(DataError, match=r"row 3 \(2024-01-02\) is earlier than the row before it"):
        validate_bars(unsorted, "f")


def test_valid_bars_pass() -> None:
    validate_bars(_bars(), "f")


def test_merge_counts_new_revised_unchanged() -> None:
    stored = _bars(5)
    incoming = _bars(7).iloc[3:].copy()
    incoming.iloc[0, incoming.columns.get_loc("close")] += 0.25  # revise 2024-01-04
    result = merge_bars(stored, incoming)
    assert (result.new, result.revised, result.unchanged) == (2, 1, 1)
    assert len(result.bars) == 7
    assert result.bars.loc["2024-01-04", "close"] == pytest.approx(103.25)
    assert merge_bars(result.bars, incoming).changed is False


def test_store_round_trip_and_idempotent_merge(tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    store.save("USDJPY", _bars(5))
    loaded = store.load("USDJPY")
    pd.testing.assert_frame_equal(loaded, _bars(5), check_freq=False)
    before = store.path("USDJPY").read_bytes()
    assert store.merge("USDJPY", _bars(5)).changed is False
    assert store.path("USDJPY").read_bytes() == before


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PriceStore(tmp_path)
    store.save("USDJPY", _bars(5))
    before = store.path("USDJPY").read_bytes()

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save("USDJPY", _bars(8))
    assert store.path("USDJPY").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["USDJPY.csv"]


def test_invalid_bars_are_never_written(tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    store.save("USDJPY", _bars(5))
    before = store.path("USDJPY").read_bytes()
    bad = _bars(7)
    bad.iloc[6, bad.columns.get_loc("high")] = 1.0
    with pytest.raises(DataError):
        store.merge("USDJPY", bad)
    assert store.path("USDJPY").read_bytes() == before


def test_corrupt_store_file_is_a_data_error(tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    store.path("USDJPY").write_text("date,open,high,low,close,volume\n2024-01-02,1,2,0.5,x,1\n")
    with pytest.raises(DataError, match=r"USDJPY\.csv"):
        store.load("USDJPY")
    with pytest.raises(DataError, match="no price file for EURJPY"):
        store.load("EURJPY")


def test_bundled_data_are_valid_trading_days(bundled_store: PriceStore) -> None:
    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        bars = bundled_store.load(pair)
        assert (bars.index.day_of_week < 5).all()
        assert bars.index[-1] == pd.Timestamp("2024-12-31")
        assert len(bars) > 4700
