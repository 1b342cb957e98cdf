"""OANDA v20 and Yahoo providers against loopback servers speaking their wire formats."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pandas as pd
import pytest

from fxbot.config import DataSettings, Secrets
from fxbot.data.bars import Bars
from fxbot.data.providers import choose_provider, describe_provider, make_provider
from fxbot.data.providers.base import make_session
from fxbot.data.providers.oanda import OandaProvider, bar_start
from fxbot.data.providers.yahoo import YahooProvider
from fxbot.errors import ConfigError, ProviderError

from .support.market_servers import OANDA_TOKEN, MarketServer, Reply, redirect, serve

UTC = dt.UTC
NOW = dt.datetime(2025, 1, 2, 12, 0, tzinfo=UTC)  # Thursday, before the New York close


@pytest.fixture
def server(bundled_store) -> Iterator[MarketServer]:  # type: ignore[no-untyped-def]
    bars = {p: bundled_store.load(p) for p in ("USDJPY", "EURJPY", "GBPJPY")}
    with serve(bars) as srv:
        yield srv


def oanda(server: MarketServer, retries: int = 2, token: str = OANDA_TOKEN) -> OandaProvider:
    return OandaProvider(make_session(retries, backoff_factor=0.01), server.url, token, timeout=5, retries=retries)


def yahoo(server: MarketServer, now: dt.datetime = NOW, retries: int = 2) -> YahooProvider:
    return YahooProvider(
        make_session(retries, backoff_factor=0.01), server.url, timeout=5, retries=retries, now=lambda: now
    )


def test_bar_start_is_five_pm_new_york_the_day_before() -> None:
    assert bar_start(dt.date(2024, 12, 31)) == dt.datetime(2024, 12, 30, 22, 0, tzinfo=UTC)  # EST
    assert bar_start(dt.date(2024, 7, 2)) == dt.datetime(2024, 7, 1, 21, 0, tzinfo=UTC)  # EDT
    assert bar_start(dt.date(2024, 12, 30)) == dt.datetime(2024, 12, 29, 22, 0, tzinfo=UTC)  # Monday: Sunday 17:00


def test_oanda_round_trips_the_bundled_bars(server: MarketServer, usdjpy: Bars) -> None:
    bars = oanda(server).fetch("USDJPY", dt.date(2024, 10, 1)).to_frame()
    expected = usdjpy.to_frame().loc["2024-10-01":]
    pd.testing.assert_frame_equal(bars, expected, check_freq=False)
    request = server.requests[-1]
    assert request.path == "/v3/instruments/USD_JPY/candles"
    assert request.query["from"] == "2024-09-30T21:00:00.000000000Z"  # 17:00 New York (EDT) on Sep 30
    assert request.query["price"] == "M" and request.query["granularity"] == "D"
    assert request.headers["authorization"] == f"Bearer {OANDA_TOKEN}"


def test_oanda_pages_through_full_pages(server: MarketServer, usdjpy: Bars) -> None:
    provider = oanda(server)
    provider.page_size = 7
    bars = provider.fetch("EURJPY", dt.date(2024, 11, 1)).to_frame()
    assert len(server.requests) == 7  # 42 bars in 6 full pages of 7; a full page makes it ask for more
    assert server.requests[1].query["includeFirst"] == "false"
    assert bars.index[0] == pd.Timestamp("2024-11-01") and bars.index[-1] == pd.Timestamp("2024-12-31")
    assert bars.index.is_unique and len(bars) == len(server.bars["EURJPY"].loc["2024-11-01":]) == 42


def test_oanda_drops_the_still_forming_candle(server: MarketServer) -> None:
    server.forming = True
    bars = oanda(server).fetch("USDJPY", dt.date(2024, 12, 20)).to_frame()
    assert bars.index[-1] == pd.Timestamp("2024-12-31")  # the forming 2025-01-02 candle is not a bar
    # ... although the server did send it:
    payload = server._oanda("USD_JPY", server.requests[-1].query, server.requests[-1].headers)
    assert json.loads(payload.body)["candles"][-1]["complete"] is False


def test_oanda_misaligned_candles_are_refused(server: MarketServer) -> None:
    candle = {
        "complete": True,
        "volume": 1,
        "time": "2024-12-31T00:00:00.000000000Z",
        "mid": dict.fromkeys("ohlc", "1"),
    }
    server.script.append(Reply(200, json.dumps({"candles": [candle]}).encode(), {"Content-Type": "application/json"}))
    with pytest.raises(ProviderError, match="starts at 19:00 New York, not 17:00"):
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))


def test_429_retry_after_is_honoured(server: MarketServer) -> None:
    server.script.append(Reply(429, b"Too Many Requests", {"Retry-After": "1"}))
    start = time.monotonic()
    bars = oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))
    assert time.monotonic() - start >= 0.9
    assert len(bars) == 2 and len(server.requests) == 2


def test_5xx_is_retried_then_succeeds(server: MarketServer) -> None:
    server.script.extend([Reply(500, b"oops"), Reply(503, b"busy")])
    assert len(oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))) == 2
    assert len(server.requests) == 3


def test_retries_are_bounded(server: MarketServer) -> None:
    server.script.extend([Reply(500, b"oops")] * 10)
    with pytest.raises(ProviderError, match=r"OANDA: server error HTTP 500 after 2 retries"):
        oanda(server, retries=2).fetch("USDJPY", dt.date(2024, 12, 30))
    assert len(server.requests) == 3


def test_persistent_429_says_rate_limited(server: MarketServer) -> None:
    server.script.extend([Reply(429, b"", {"Retry-After": "0"})] * 3)
    with pytest.raises(ProviderError, match="rate limited"):
        oanda(server, retries=1).fetch("USDJPY", dt.date(2024, 12, 30))
    assert len(server.requests) == 2


def test_401_names_the_token_but_never_shows_it(server: MarketServer) -> None:
    wrong = "wrong-token-ABCDEFGHIJKLMNOP"
    with pytest.raises(ProviderError) as info:
        oanda(server, token=wrong).fetch("USDJPY", dt.date(2024, 12, 30))
    message = str(info.value)
    assert "OANDA_API_TOKEN" in message and "HTTP 401" in message and "Insufficient authorization" in message
    assert wrong not in message and OANDA_TOKEN not in message
    assert wrong not in repr(oanda(server, token=wrong))
    assert len(server.requests) == 1  # a refused token is not retried


def test_403_too(server: MarketServer) -> None:
    server.script.append(Reply(403, json.dumps({"errorMessage": f"token {OANDA_TOKEN} forbidden"}).encode()))
    with pytest.raises(ProviderError, match="token was refused") as info:
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))
    assert OANDA_TOKEN not in str(info.value)  # even when the server echoes it


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(200, b"<!DOCTYPE html><html><body>Maintenance</body></html>", {"Content-Type": "text/html"}),
            "HTML page",
        ),
        (Reply(200, b"", {"Content-Type": "application/json"}), "empty response"),
        (Reply(200, b'{"candles": [{"complete": true, "time": "2024-12-30T22:0', {}), "invalid or truncated JSON"),
        (Reply(200, b'{"candles": [' + b" " * 50, {}, content_length=500), "cut off before its end"),
        (Reply(200, b'{"instrument": "USD_JPY"}', {}), "no 'candles' list"),
    ],
)
def test_unusable_oanda_bodies(server: MarketServer, reply: Reply, message: str) -> None:
    server.script.append(reply)
    with pytest.raises(ProviderError, match=message):
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))


@pytest.mark.parametrize(
    ("mid", "message"),
    [
        ({"o": "157.1", "h": "158", "l": "156"}, "candle 1 .2024-12-31.: close is NoneType, not a price"),
        ({"o": "157.1", "h": "abc", "l": "156", "c": "157"}, "non-numeric high 'abc'"),
        ({"o": "157.1", "h": "158", "l": "0", "c": "157"}, "low '0' is not a positive price"),
        ({"o": "157.1", "h": "-158", "l": "156", "c": "157"}, "high '-158' is not a positive price"),
        ({"o": "157.1", "h": "150", "l": "156", "c": "157"}, "high 150 below low 156"),
    ],
)
def test_bad_candle_prices(server: MarketServer, mid: dict[str, str], message: str) -> None:
    candle = {"complete": True, "volume": 3, "time": "2024-12-30T22:00:00.000000000Z", "mid": mid}
    server.script.append(Reply(200, json.dumps({"candles": [candle]}).encode()))
    with pytest.raises(ProviderError, match=message):
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))


def test_connection_refused_is_bounded() -> None:
    with serve({}) as srv:
        url = srv.url
    provider = OandaProvider(make_session(2, 0.01), url, OANDA_TOKEN, timeout=2, retries=2)
    start = time.monotonic()
    with pytest.raises(ProviderError, match="cannot connect") as info:
        provider.fetch("USDJPY", dt.date(2024, 12, 30))
    assert time.monotonic() - start < 10
    assert OANDA_TOKEN not in str(info.value)


def test_read_timeout(server: MarketServer) -> None:
    server.delay = 1.0
    provider = OandaProvider(make_session(1, 0.01), server.url, OANDA_TOKEN, timeout=0.2, retries=1)
    with pytest.raises(ProviderError, match=r"no answer within 0.2 s"):
        provider.fetch("USDJPY", dt.date(2024, 12, 30))
    assert len(server.requests) == 2  # the timed-out read was retried once


def test_yahoo_round_trips_the_bundled_bars(server: MarketServer, usdjpy: Bars) -> None:
    bars = yahoo(server).fetch("USDJPY", dt.date(2024, 12, 2)).to_frame()
    expected = usdjpy.to_frame().loc["2024-12-02":].copy()
    expected["volume"] = 0
    pd.testing.assert_frame_equal(bars, expected, check_freq=False)
    request = server.requests[-1]
    assert request.path == "/v8/finance/chart/USDJPY=X" and request.query["interval"] == "1d"
    assert int(request.query["period2"]) == int(NOW.timestamp())


def test_yahoo_drops_nulls_and_the_forming_bar(server: MarketServer) -> None:
    server.forming = True
    server.yahoo_now = dt.datetime(2025, 1, 2, 11, 30, tzinfo=UTC)
    server.bars = {"USDJPY": server.bars["USDJPY"].loc[:"2024-12-31"]}
    bars = (
        yahoo(server, now=dt.datetime(2025, 1, 2, 11, 30, tzinfo=UTC)).fetch("USDJPY", dt.date(2024, 12, 23)).to_frame()
    )
    assert bars.index[-1] == pd.Timestamp("2024-12-31")  # 2025-01-02 is still forming at 11:30 UTC
    payload = server._yahoo("USDJPY=X", server.requests[-1].query)
    chart = json.loads(payload.body)["chart"]["result"][0]
    chart["indicators"]["quote"][0]["close"][1] = None  # 2024-12-24 has a hole
    server.script.append(Reply(200, json.dumps({"chart": {"result": [chart], "error": None}}).encode()))
    holed = yahoo(server, now=dt.datetime(2025, 1, 3, tzinfo=UTC)).fetch("USDJPY", dt.date(2024, 12, 23)).to_frame()
    assert pd.Timestamp("2024-12-24") not in holed.index and pd.Timestamp("2024-12-23") in holed.index


def test_yahoo_result_null_error(server: MarketServer) -> None:
    del server.bars["GBPJPY"]  # the server answers an unknown symbol the way Yahoo does: 404 + chart.error
    with pytest.raises(ProviderError, match="Yahoo: HTTP 404: Not Found: No data found"):
        yahoo(server).fetch("GBPJPY", dt.date(2024, 12, 2))
    body = {"chart": {"result": None, "error": {"code": "Bad Request", "description": "Invalid input"}}}
    server.script.append(Reply(200, json.dumps(body).encode()))
    with pytest.raises(ProviderError, match="Yahoo: Bad Request: Invalid input"):
        yahoo(server).fetch("USDJPY", dt.date(2024, 12, 2))


def test_yahoo_arrays_of_different_lengths(server: MarketServer) -> None:
    payload = json.loads(
        server._yahoo("USDJPY=X", {"interval": "1d", "period1": "1733011200", "period2": "1735700000"}).body
    )
    payload["chart"]["result"][0]["indicators"]["quote"][0]["low"].pop()
    server.script.append(Reply(200, json.dumps(payload).encode()))
    with pytest.raises(ProviderError, match="quote 'low' is missing or not as long as"):
        yahoo(server).fetch("USDJPY", dt.date(2024, 12, 2))


def test_factory_choices() -> None:
    none = Secrets.from_env({})
    with_token = Secrets.from_env({"OANDA_API_TOKEN": "t0k3n", "FXBOT_OANDA_API_URL": "http://127.0.0.1:9"})
    assert choose_provider(DataSettings(), none).name == "bundled"
    auto = choose_provider(DataSettings(), with_token)
    assert (auto.name, auto.url) == ("oanda", "http://127.0.0.1:9")
    live = choose_provider(
        DataSettings(provider="oanda", oanda={"environment": "live"}), Secrets.from_env({"OANDA_API_TOKEN": "x"})
    )
    assert live.url == "https://api-fxtrade.oanda.com"
    assert choose_provider(DataSettings(provider="oanda"), Secrets.from_env({"OANDA_API_TOKEN": "x"})).url == (
        "https://api-fxpractice.oanda.com"
    )
    with pytest.raises(ConfigError, match="OANDA_API_TOKEN is not set"):
        choose_provider(DataSettings(provider="oanda"), none)
    yahoo_lines = describe_provider(DataSettings(provider="yahoo"), none)
    assert yahoo_lines[0].startswith("data provider: yahoo (https://query1.finance.yahoo.com")
    assert "London" in yahoo_lines[1] and "17:00" in yahoo_lines[1]
    assert choose_provider(DataSettings(provider="yahoo"), with_token).name == "yahoo"  # never auto-picked
    assert "t0k3n" not in " ".join(describe_provider(DataSettings(), with_token))
    assert make_provider(DataSettings(), none).name == "bundled"
    assert make_provider(DataSettings(), with_token).name == "oanda"


# --- answers that must never reach the store (issue 12) --------------------------------------------

# OANDA personal access tokens are two 32-hex-digit halves joined by a dash (65 characters).
LONG_TOKEN = "0123456789abcdef0123456789abcdef-fedcba9876543210fedcba9876543210"


def _candles_reply(candles: list[dict[str, object]], instrument: object = "USD_JPY") -> Reply:
    body = {"instrument": instrument, "granularity": "D", "candles": candles}
    return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def _candle(day: dt.date, close: str = "157.2") -> dict[str, object]:
    from fxbot.data.providers.oanda import rfc3339

    mid = {"o": "157.0", "h": "158.0", "l": "156.0", "c": close}
    return {"complete": True, "volume": 5, "time": rfc3339(bar_start(day)), "mid": mid}


def test_oanda_refuses_candles_of_another_instrument(server: MarketServer) -> None:
    server.serve_instead = {"USD_JPY": "EUR_JPY"}
    with pytest.raises(ProviderError, match=r"asked for USD_JPY candles but the answer is for EUR_JPY"):
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 2))


def test_oanda_refuses_future_dated_complete_candles(server: MarketServer) -> None:
    server.script.append(_candles_reply([_candle(dt.date(2024, 12, 30)), _candle(dt.date(2031, 3, 14))]))
    with pytest.raises(ProviderError, match=r"candle 2 \(2031-03-14\) is complete but dated after the last completed"):
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))


@pytest.mark.parametrize(
    ("now", "refused"),
    [
        (dt.datetime(2025, 1, 2, 21, 30, tzinfo=UTC), True),  # 16:30 New York: the Jan 2 bar is still open
        (dt.datetime(2025, 1, 2, 22, 1, tzinfo=UTC), False),  # 17:01 New York: it has closed
    ],
)
def test_oanda_future_boundary_is_the_new_york_close(server: MarketServer, now: dt.datetime, refused: bool) -> None:
    server.script.append(_candles_reply([_candle(dt.date(2024, 12, 31)), _candle(dt.date(2025, 1, 2))]))
    provider = OandaProvider(make_session(1, 0.01), server.url, OANDA_TOKEN, timeout=5, retries=1, now=lambda: now)
    if refused:
        with pytest.raises(ProviderError, match=r"\(2025-01-02\) is complete but dated after .*\(2024-12-31\)"):
            provider.fetch("USDJPY", dt.date(2024, 12, 31))
    else:
        assert provider.fetch("USDJPY", dt.date(2024, 12, 31)).last_date == dt.date(2025, 1, 2)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_body_is_refused_without_being_read_whole(server: MarketServer, chunked: bool) -> None:
    # A valid candles document padded with whitespace: read whole, it would parse (and fill the memory).
    padding = 60 * 2**20 if chunked else 300 * 2**20
    reply = _candles_reply([_candle(dt.date(2024, 12, 30))])
    server.script.append(Reply(200, reply.body, reply.headers, padding=padding, chunked=chunked))
    start = time.monotonic()
    with pytest.raises(ProviderError, match=r"OANDA: the response is larger than 20 MB; refused"):
        oanda(server).fetch("USDJPY", dt.date(2024, 12, 30))
    assert time.monotonic() - start < 10
    assert server.sent < padding  # the client hung up instead of reading it all


def test_a_trickling_body_meets_a_total_deadline(server: MarketServer) -> None:
    reply = _candles_reply([_candle(dt.date(2024, 12, 30))])
    server.script.append(Reply(200, reply.body, reply.headers, trickle=0.1))  # about 20 s for the whole body
    provider = OandaProvider(make_session(1, 0.01), server.url, OANDA_TOKEN, timeout=1, retries=1)
    start = time.monotonic()
    with pytest.raises(ProviderError, match=r"OANDA: the response did not arrive in full within 1 s"):
        provider.fetch("USDJPY", dt.date(2024, 12, 30))
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("api", ["oanda", "yahoo"])
def test_a_redirect_to_another_origin_is_refused_and_the_token_stays_home(server: MarketServer, api: str) -> None:
    with serve({p: b for p, b in server.bars.items()}) as elsewhere:
        path = "/v3/instruments/USD_JPY/candles" if api == "oanda" else "/v8/finance/chart/USDJPY=X"
        server.script.append(redirect(elsewhere.url + path + "?granularity=D"))
        provider = oanda(server) if api == "oanda" else yahoo(server)
        with pytest.raises(ProviderError, match=r"redirected to another origin \(http://127\.0\.0\.1:\d+\)") as info:
            provider.fetch("USDJPY", dt.date(2024, 12, 2))
        assert "not followed" in str(info.value)
        assert elsewhere.requests == []  # not even asked: no token, no query
    assert all("authorization" not in r.headers for r in elsewhere.requests)


def test_a_redirect_within_the_origin_is_followed(server: MarketServer, usdjpy: Bars) -> None:
    server.script.append(redirect(server.url + "/v3/instruments/USD_JPY/candles?" + _query(server), 307))
    bars = oanda(server).fetch("USDJPY", dt.date(2024, 12, 2))
    assert bars.last_date == dt.date(2024, 12, 31) and len(server.requests) == 2


def _query(server: MarketServer) -> str:
    from urllib.parse import urlencode

    return urlencode(
        {
            "granularity": "D",
            "price": "M",
            "alignmentTimezone": "America/New_York",
            "dailyAlignment": "17",
            "from": "2024-12-01T22:00:00.000000000Z",
            "count": "5000",
        }
    )


def _token_pieces(message: str, token: str, size: int = 8) -> list[str]:
    return [token[i : i + size] for i in range(len(token) - size + 1) if token[i : i + size] in message]


@pytest.mark.parametrize("where", ["time", "close", "instrument"])
def test_a_token_echoed_in_the_candles_is_never_printed(server: MarketServer, where: str) -> None:
    server.token = LONG_TOKEN
    candle = _candle(dt.date(2024, 12, 30))
    instrument: object = "USD_JPY"
    if where == "time":
        candle["time"] = LONG_TOKEN
    elif where == "close":
        candle["mid"] = {"o": "157.0", "h": "158.0", "l": "156.0", "c": LONG_TOKEN}
    else:
        instrument = f"{LONG_TOKEN}"
    server.script.append(_candles_reply([candle], instrument))
    with pytest.raises(ProviderError) as info:
        oanda(server, token=LONG_TOKEN).fetch("USDJPY", dt.date(2024, 12, 30))
    message = str(info.value)
    assert _token_pieces(message, LONG_TOKEN) == [] and "[redacted]" in message


def test_yahoo_refuses_a_chart_of_another_symbol(server: MarketServer) -> None:
    query = {"interval": "1d", "period1": "1733011200", "period2": "1735700000"}
    server.script.append(server._yahoo("EURJPY=X", query))
    with pytest.raises(ProviderError, match=r"Yahoo: asked for USDJPY=X but the answer is for 'EURJPY=X'"):
        yahoo(server).fetch("USDJPY", dt.date(2024, 12, 2))
