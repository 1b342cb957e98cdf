"""Property tests: malformed payloads give valid bars or the data error, never anything else."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fxbot.data.bars import COLUMNS, PRICE_COLUMNS, Bars, validate_bars
from fxbot.data.importer import parse_broker_csv
from fxbot.data.providers.base import HttpAnswer, decode_json
from fxbot.data.providers.oanda import parse_candles
from fxbot.data.providers.yahoo import parse_chart
from fxbot.errors import DataError, ProviderError

NOW = dt.datetime(2025, 1, 3, 12, 0, tzinfo=dt.UTC)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
price_texts = st.one_of(
    st.decimals(min_value=-10, max_value=500, places=3).map(str),
    st.sampled_from(["", "abc", "NaN", "inf", "-0", "1e400", "0", " 157.1 ", "1_0"]),
    json_values,
)
times = st.one_of(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.timezones()).map(
        lambda d: d.isoformat()
    ),
    st.sampled_from(["2024-12-30T22:00:00.000000000Z", "2024-07-01T21:00:00.000000000Z", "1735596000", "", "garbage"]),
    json_values,
)


def assert_bars(bars: Bars) -> None:
    event("valid bars" if len(bars) else "no bars")
    assert bars.dates.dtype == np.dtype("datetime64[D]") and bars.volume.dtype == np.dtype("int64")
    assert all(getattr(bars, c).dtype == np.dtype("float64") for c in PRICE_COLUMNS)
    assert all(len(getattr(bars, c)) == len(bars) for c in COLUMNS)
    frame = bars.to_frame()
    assert list(frame.columns) == COLUMNS
    assert (frame["volume"] >= 0).all()
    validate_bars(bars, "property")


def rarely(draw: st.DrawFn) -> bool:
    """True about one time in six."""
    return draw(st.integers(0, 5)) == 0


def good_candle(day: int) -> dict[str, Any]:
    start = dt.datetime(2024, 12, 2, 22, tzinfo=dt.UTC) + dt.timedelta(days=day)
    return {
        "complete": True,
        "volume": 100,
        "time": start.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
        "mid": {"o": "150.1", "h": "151.0", "l": "149.5", "c": "150.7"},
    }


@st.composite
def candle_payloads(draw: st.DrawFn) -> object:
    candles: list[Any] = [good_candle(i) for i in range(draw(st.integers(0, 4)))]
    for candle in candles:  # each field broken now and then, so valid and invalid answers both occur
        if rarely(draw):
            candle["time"] = draw(times)
        if rarely(draw):
            candle["mid"] = {k: draw(price_texts) for k in draw(st.lists(st.sampled_from("ohlcx"), max_size=5))}
        elif rarely(draw):
            candle["mid"][draw(st.sampled_from("ohlc"))] = draw(price_texts)
        if rarely(draw):
            candle["complete"] = draw(st.sampled_from([False, None, "true", 1]))
        if rarely(draw):
            candle["volume"] = draw(json_values)
    if rarely(draw):
        candles.append(draw(json_values))
    if rarely(draw):
        return draw(st.sampled_from([{"candles": draw(json_values)}, draw(json_values)]))
    return {"instrument": "USD_JPY", "granularity": "D", "candles": candles}


@PROPERTY
@given(candle_payloads())
def test_oanda_parser_returns_bars_or_provider_error(payload: object) -> None:
    try:
        bars, _ = parse_candles(payload)
    except ProviderError as exc:
        event(f"refused: {str(exc).split(':')[1].strip()[:12]}")
        return
    assert_bars(bars)


@st.composite
def chart_payloads(draw: st.DrawFn) -> object:
    n = draw(st.integers(0, 5))
    stamps: list[Any] = [1733097600 + 86400 * i for i in range(n)]
    base = [draw(st.floats(min_value=50, max_value=250)) for _ in range(n)]
    quote: dict[str, Any] = {
        "open": list(base),
        "high": [b + 1 for b in base],
        "low": [b - 1 for b in base],
        "close": [b + 0.5 for b in base],
        "volume": [0] * n,
    }
    for key in ("open", "high", "low", "close"):
        for i in range(n):
            if rarely(draw):
                quote[key][i] = draw(st.one_of(st.none(), st.floats(), st.integers(-5, 300), json_values))
    if rarely(draw):
        stamps = draw(st.lists(st.one_of(st.integers(-(2**40), 2**40), st.floats(), json_values), max_size=5))
    if rarely(draw):
        quote[draw(st.sampled_from(list(quote)))] = draw(json_values)
    meta = {"exchangeTimezoneName": draw(st.sampled_from(["Europe/London", "Europe/London", "Mars/Base", "../x"]))}
    result: dict[str, Any] = {"meta": meta, "timestamp": stamps, "indicators": {"quote": [quote]}}
    if rarely(draw):
        del result[draw(st.sampled_from(["timestamp", "indicators", "meta"]))]
    chart: dict[str, Any] = {"result": [result], "error": None}
    if rarely(draw):
        chart = {"result": draw(st.sampled_from([None, [], [None]])), "error": draw(st.sampled_from([None, {}, "x"]))}
    if rarely(draw):
        return draw(st.sampled_from([{"chart": draw(json_values)}, draw(json_values)]))
    return {"chart": chart}


@PROPERTY
@given(chart_payloads())
def test_yahoo_parser_returns_bars_or_provider_error(payload: object) -> None:
    try:
        bars = parse_chart(payload, NOW)
    except ProviderError as exc:
        event(f"refused: {str(exc).split(':')[1].strip()[:12]}")
        return
    assert_bars(bars)
    assert all(d.date() < NOW.date() for d in bars.to_frame().index)  # nothing still forming


@PROPERTY
@given(
    st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    st.sampled_from(["application/json", "text/html", ""]),
)
def test_any_body_decodes_or_is_a_provider_error(body: bytes, content_type: str) -> None:
    try:
        payload = decode_json(HttpAnswer(200, content_type, body, None), "test")
    except ProviderError:
        return
    for parse in (lambda p: parse_candles(p)[0], lambda p: parse_chart(p, NOW)):
        with contextlib.suppress(ProviderError):
            assert_bars(parse(payload))


def test_a_real_candle_payload_survives_the_json_round_trip() -> None:
    body = json.dumps({"candles": [good_candle(0), good_candle(1)]}).encode()
    bars, last = parse_candles(decode_json(HttpAnswer(200, "application/json", body, None), "t"))
    assert [d.date().isoformat() for d in bars.to_frame().index] == ["2024-12-03", "2024-12-04"] and last is not None


cells = st.one_of(
    st.sampled_from(["2024.12.30", "2024-12-31", "2007/04/02", "20241227", "2024.12.28", "00:00", "", "abc"]),
    st.decimals(min_value=-5, max_value=300, places=3).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["1e400", "nan", "inf", "-inf", "1,234.5", "9" * 30]),
    st.text(max_size=6),
)
headers = st.sampled_from(
    [
        [],
        ["Date", "Open", "High", "Low", "Close", "Volume"],
        ["<DATE>", "<OPEN>", "<HIGH>", "<LOW>", "<CLOSE>", "<TICKVOL>", "<VOL>"],
        ["日付", "始値", "高値", "安値", "終値"],
        ["date", "open", "high", "low", "close", "tick_volume", "spread"],
        ["Date", "Open", "High", "Close"],
    ]
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(headers)
    width = len(header) or draw(st.integers(5, 7))
    rows = []
    for i in range(draw(st.integers(0, 6))):
        day = dt.date(2024, 12, 2) + dt.timedelta(days=i)
        date = day.strftime(draw(st.sampled_from(["%Y.%m.%d", "%Y-%m-%d", "%Y/%m/%d"])))
        price = draw(st.decimals(min_value=50, max_value=250, places=3))
        row = [date, str(price), str(price + 1), str(price - 1), str(price), "100", "0"][:width]
        row += ["0"] * (width - len(row))
        if not header and width >= 6 and draw(st.booleans()):
            row = [row[0], "00:00", *row[1:-1]]  # MT4 without header: a time column
        if rarely(draw):
            row[draw(st.integers(0, width - 1))] = draw(cells)
        if rarely(draw):
            row = row[: draw(st.integers(0, width))]
        rows.append(row)
    sep = draw(st.sampled_from([",", ",", "\t", ";"]))
    lines = ([sep.join(header)] if header else []) + [sep.join(r) for r in rows]
    encoding = draw(st.sampled_from(["utf-8", "shift_jis", "utf-8-sig"]))
    return "\n".join(lines).encode(encoding, errors="replace")


@PROPERTY
@given(csv_files() | st.binary(max_size=300))
def test_importer_returns_bars_or_data_error(raw: bytes) -> None:
    try:
        result = parse_broker_csv(raw, "prop.csv")
    except DataError:
        event("refused")
        return
    assert_bars(result.bars)
    assert result.rows >= len(result.bars) and not (result.bars.to_frame().index.day_of_week >= 5).any()
