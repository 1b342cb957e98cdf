"""Broker CSV import: each dialect, weekend stubs, encodings and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from fxbot.data.bars import Bars
from fxbot.data.importer import parse_broker_csv, read_broker_csv
from fxbot.errors import DataError

SHARED_USDJPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "fx" / "USDJPY.csv"

ROWS = [
    ("2024.12.27", "157.890", "157.951", "157.353", "157.860", "67213"),
    ("2024.12.28", "157.860", "157.870", "157.850", "157.860", "12"),  # Saturday stub
    ("2024.12.30", "157.716", "158.073", "156.669", "156.843", "67444"),
    ("2024.12.31", "156.840", "157.548", "156.020", "157.298", "70985"),
]


def _check(result_bars: Bars, stubs: int = 1) -> None:
    frame = result_bars.to_frame()
    assert [d.isoformat() for d in frame.index.date] == ["2024-12-27", "2024-12-30", "2024-12-31"]
    assert frame["close"].tolist() == [157.86, 156.843, 157.298]


def test_mt5_plain_header() -> None:
    text = "date,open,high,low,close,tick_volume,spread,real_volume,symbol,source\n" + "\n".join(
        ",".join([*r, "0", "0", "USDJPY", "Pepperstone MT5"]) for r in ROWS
    )
    result = parse_broker_csv(text.encode(), "mt5.csv")
    _check(result.bars)
    assert result.weekend_stubs == 1 and result.dialect.startswith("MetaTrader 5")


def test_mt_angle_bracket_header_tab_separated() -> None:
    text = "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n" + "\n".join(
        "\t".join([*r, "0", "3"]) for r in ROWS
    )
    result = parse_broker_csv(text.encode(), "mt.tsv")
    _check(result.bars)
    assert "<DATE>" in result.dialect


def test_mt4_no_header_with_time_column() -> None:
    text = "\n".join(",".join([r[0], "00:00", *r[1:]]) for r in ROWS)
    result = parse_broker_csv(text.encode(), "mt4.csv")
    _check(result.bars)
    assert result.dialect == "MetaTrader (no header)"


def test_generic_iso_dates() -> None:
    text = "Date,Open,High,Low,Close,Volume\n" + "\n".join(",".join([r[0].replace(".", "-"), *r[1:]]) for r in ROWS)
    _check(parse_broker_csv(text.encode(), "g.csv").bars)


@pytest.mark.parametrize("encoding", ["utf-8", "shift_jis"])
def test_japanese_broker_file(encoding: str) -> None:
    text = "日付,始値,高値,安値,終値\n" + "\n".join(",".join([r[0].replace(".", "/"), *r[1:5]]) for r in ROWS)
    result = parse_broker_csv(text.encode(encoding), "jp.csv")
    _check(result.bars)
    assert result.encoding == encoding
    assert "日付" in result.dialect


def test_duplicates_keep_the_last() -> None:
    text = "Date,Open,High,Low,Close\n2024-12-30,1,2,0.5,1.5\n2024-12-30,1,2,0.5,1.7\n"
    result = parse_broker_csv(text.encode(), "d.csv")
    assert result.duplicates == 1 and result.bars.to_frame()["close"].tolist() == [1.7]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("Date,Open,High,Low,Close\n", "a header but no bars"),
        ("Date,Open,High,Low,Close\n2024-12-30,1,2,0.5,abc\n", "line 2 has a non-numeric close"),
        ("Date,Open,High,Low,Close\n2024-12-30,1,2\n", "line 2 has 3 fields, expected 5"),
        ("Date,Open,High,Low,Close\n30/12/2024,1,2,0.5,1\n", "cannot read the date"),
        ("Date,Open,High,Close\n2024-12-30,1,2,1\n", "no low column"),
        ("Date,Open,High,Low,Close\n2024-12-30,1,2,1.5,1.2\n", "low above open or close"),
    ],
)
def test_malformed_files_are_data_errors(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_broker_csv(text.encode(), "bad.csv")


@pytest.mark.skipif(not SHARED_USDJPY.exists(), reason="shared/ data not beside the repo")
def test_shared_history_imports_like_the_bundled_file(bundled_store) -> None:  # type: ignore[no-untyped-def]
    result = read_broker_csv(SHARED_USDJPY)
    assert result.weekend_stubs == 252
    stored = bundled_store.load("USDJPY").to_frame()
    imported = result.bars.to_frame()
    assert imported.index.equals(stored.index)
    assert (imported["close"] - stored["close"]).abs().max() < 1e-9


def test_unusable_volumes_count_as_unknown() -> None:
    text = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
        f"2024-12-{day},1,2,0.5,1.5,{v}"
        for day, v in zip((23, 24, 26, 27, 30), ("inf", "1e400", "9" * 25, "-5", " 1234"), strict=True)
    )
    result = parse_broker_csv(text.encode(), "v.csv")
    assert result.bars.to_frame()["volume"].tolist() == [0, 0, 0, 0, 1234]
