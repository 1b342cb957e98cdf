"""Bar validation, merging, and atomic writes of the PriceStore."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxbot.data.bars import Bars, make_bars, validate_bars
from fxbot.data.store import PriceStore, merge_bars
from fxbot.errors import DataError


def _frame(n: int = 5, start: str = "2024-01-01") -> pd.DataFrame:
    dates = pd.bdate_range(start, periods=n).to_numpy()
    close = 100 + np.arange(n, dtype=float)
    return make_bars(dates, close - 0.5, close + 1, close - 1, close, np.full(n, 10)).to_frame()


def _bars(n: int = 5, start: str = "2024-01-01") -> Bars:
    return Bars.from_frame(_frame(n, start))


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
    frame = _frame()
    frame.iloc[row, frame.columns.get_loc(column)] = value
    with pytest.raises(DataError, match=f"^some.csv: {message}"):
        validate_bars(Bars.from_frame(frame), "some.csv")


def test_duplicate_and_unsorted_dates() -> None:
    bars = _bars()
    dup = bars.take(np.array([0, 1, 2, 2]))
    with pytest.raises(DataError, match=r"row 4 \(2024-01-03\) duplicates the date before it"):
        validate_bars(dup, "f")
    unsorted = bars.take(np.array([0, 2, 1, 3]))
    with pytest.raises(DataError, match=r"row 3 \(2024-01-02\) is earlier than the row before it"):
        validate_bars(unsorted, "f")


def test_valid_bars_pass() -> None:
    validate_bars(_bars(), "f")


def test_merge_counts_new_revised_unchanged() -> None:
    stored = _bars(5)
    frame = _frame(7).iloc[3:].copy()
    frame.iloc[0, frame.columns.get_loc("close")] += 0.25  # revise 2024-01-04
    incoming = Bars.from_frame(frame)
    result = merge_bars(stored, incoming)
    assert (result.new, result.revised, result.unchanged) == (2, 1, 1)
    assert len(result.bars) == 7
    assert result.bars.to_frame().loc["2024-01-04", "close"] == pytest.approx(103.25)
    assert merge_bars(result.bars, incoming).changed is False


def test_store_round_trip_and_idempotent_merge(tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    store.save("USDJPY", _bars(5))
    loaded = store.load("USDJPY")
    pd.testing.assert_frame_equal(loaded.to_frame(), _frame(5), check_freq=False)
    assert merge_bars(loaded, _bars(5)).changed is False


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
    bad = _frame(7)
    bad.iloc[6, bad.columns.get_loc("high")] = 1.0
    with pytest.raises(DataError):
        store.save("USDJPY", Bars.from_frame(bad))
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
        frame = bars.to_frame()
        assert (frame.index.day_of_week < 5).all()
        assert frame.index[-1] == pd.Timestamp("2024-12-31")
        assert len(bars) > 4700


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2024-01-02,1,2,0.5,1.5", r"line 2: 5 fields where the header has 6"),
        ("2024-1-2,1,2,0.5,1.5,1", r"line 2: the date '2024-1-2' is not YYYY-MM-DD"),
        ("2024-02-30,1,2,0.5,1.5,1", r"line 2: the date '2024-02-30' is not YYYY-MM-DD"),
        ("2024-01-02,1,2,0.5,1.5,lots", r"line 2: the volume is not a whole number"),
    ],
)
def test_malformed_store_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    store = PriceStore(tmp_path)
    store.path("USDJPY").write_text(
        "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,1\n".replace("2024-01-01,1,2,0.5,1.5,1", line)
    )
    with pytest.raises(DataError, match=message):
        store.load("USDJPY")


def test_bundled_files_round_trip_byte_for_byte(bundled_store: PriceStore) -> None:
    """Parsing and writing back a bundled file changes no byte: a fetch rewrites only what it changes."""
    from fxbot.data.store import format_bars_csv

    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        assert format_bars_csv(bundled_store.load(pair)) == bundled_store.path(pair).read_text()
