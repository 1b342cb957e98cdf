"""Loopback HTTP servers speaking the OANDA v20 candles and Yahoo chart wire formats.

They serve bars built from bar frames (the bundled history in most tests) and, first, any scripted
replies a test queues (429 with Retry-After, 500, 401, an HTML page, an empty or truncated body, a
body padded to hundreds of megabytes, a body that trickles one byte at a time, a redirect).
Faults of the answer itself: ``serve_instead`` answers one instrument with another's candles
(labelled as what they are, or, with ``claim_requested``, as the instrument asked for).
Every request is recorded so tests can check what the client asked for and sent (a second server
makes a redirect target that records any Authorization header it is sent).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd

from fxbot.calendar import next_trading_day
from fxbot.data.bars import Bars
from fxbot.data.providers.oanda import bar_start, rfc3339

LONDON = ZoneInfo("Europe/London")
OANDA_TOKEN = "test-oanda-token-0123456789abcdef"


@dataclass
class Reply:
    """A scripted raw HTTP reply."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None  # a larger value than len(body) makes a truncated body
    padding: int = 0  # whitespace bytes streamed after the body's first byte (a huge but valid JSON body)
    chunked: bool = False  # Transfer-Encoding: chunked, no Content-Length (the size is known only at the end)
    trickle: float = 0.0  # seconds between single bytes of the body (a stalling server)


def redirect(location: str, status: int = 302) -> Reply:
    """A redirect to ``location`` (e.g. another server's URL: another origin)."""
    return Reply(status, b"", {"Location": location})


@dataclass
class Recorded:
    """One request the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


def _json(status: int, payload: object) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def oanda_candles(bars: pd.DataFrame, instrument: str, forming: bool = False) -> dict[str, object]:
    """A v20 candles response for ``bars`` (labelled by trading day; ``time`` is each bar's start)."""
    candles: list[dict[str, object]] = [
        {
            "complete": True,
            "volume": int(row.volume),
            "time": rfc3339(bar_start(day.date())),
            "mid": {k: repr(float(row[c])) for k, c in zip("ohlc", ("open", "high", "low", "close"), strict=True)},
        }
        for day, row in bars.iterrows()
    ]
    if forming and len(bars):
        nxt = next_trading_day(bars.index[-1].date())
        last = bars.iloc[-1]
        candles.append(
            {
                "complete": False,
                "volume": 10,
                "time": rfc3339(bar_start(nxt)),
                "mid": {"o": repr(float(last.close)), "h": "999.0", "l": "0.5", "c": "1.0"},
            }
        )
    return {"instrument": instrument, "granularity": "D", "candles": candles}


def london_midnight(day: dt.date) -> int:
    """Unix time of midnight London on ``day`` (Yahoo's FX daily timestamp)."""
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=LONDON).timestamp())


def yahoo_chart(bars: pd.DataFrame, symbol: str, forming_at: dt.datetime | None = None) -> dict[str, object]:
    """A chart response for ``bars``; ``forming_at`` appends today's still-forming bar stamped at that time."""
    stamps = [london_midnight(d.date()) for d in bars.index]
    quote = {k: [float(v) for v in bars[k]] for k in ("open", "high", "low", "close")}
    quote_any: dict[str, list[float | None]] = {k: list(v) for k, v in quote.items()}
    volume: list[int | None] = [0] * len(stamps)
    if forming_at is not None and len(bars):
        stamps.append(int(forming_at.timestamp()))
        for k in quote_any:
            quote_any[k].append(float(bars["close"].iloc[-1]))
        volume.append(0)
    return {
        "chart": {
            "result": [
                {
                    "meta": {
                        "currency": "JPY",
                        "symbol": symbol,
                        "exchangeName": "CCY",
                        "instrumentType": "CURRENCY",
                        "gmtoffset": 0,
                        "timezone": "GMT",
                        "exchangeTimezoneName": "Europe/London",
                        "dataGranularity": "1d",
                    },
                    "timestamp": stamps,
                    "indicators": {"quote": [{**quote_any, "volume": volume}]},
                }
            ],
            "error": None,
        }
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that time out or read a truncated body hang up on purpose in these tests.
        return


class MarketServer:
    """One server answering both APIs from per-pair bar frames, scripted replies first."""

    def __init__(self, bars: Mapping[str, pd.DataFrame | Bars], token: str = OANDA_TOKEN) -> None:
        # The stand-in slices its history with pandas; fxbot's own Bars arrive as frames here.
        self.bars = {code: b.to_frame() if isinstance(b, Bars) else b for code, b in bars.items()}
        self.token = token
        self.script: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.forming = False
        self.yahoo_now: dt.datetime | None = None
        self.delay = 0.0  # seconds to wait before answering (slow server)
        self.serve_instead: dict[str, str] = {}  # requested OANDA instrument -> the one whose candles come back
        self.claim_requested = False  # label swapped candles with the requested instrument (a lying answer)
        self.sent = 0  # body bytes written by the last streamed reply before it ended or the client left
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:PORT."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MarketServer:
        """Start serving in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Recorded(path, query, headers))
            if self.script:
                return self.script.popleft()
        parts = path.strip("/").split("/")
        if parts[:2] == ["v3", "instruments"] and len(parts) == 4 and parts[3] == "candles":
            return self._oanda(parts[2], query, headers)
        if parts[:3] == ["v8", "finance", "chart"] and len(parts) == 4:
            return self._yahoo(parts[3], query)
        return Reply(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"})

    def _oanda(self, instrument: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if headers.get("authorization") != f"Bearer {self.token}":
            return _json(401, {"errorMessage": "Insufficient authorization to perform request."})
        expected = {"granularity": "D", "price": "M", "alignmentTimezone": "America/New_York", "dailyAlignment": "17"}
        for key, value in expected.items():
            if query.get(key) != value:
                return _json(400, {"errorMessage": f"Invalid value specified for '{key}'"})
        served = self.serve_instead.get(instrument, instrument)
        code = served.replace("_", "")
        if code not in self.bars:
            return _json(400, {"errorMessage": f"Invalid value specified for 'instrument': {instrument}"})
        bars = self.bars[code]
        label = instrument if self.claim_requested else served
        starts = pd.DatetimeIndex([pd.Timestamp(bar_start(d.date())) for d in bars.index])
        since = pd.Timestamp(query["from"])
        keep = starts > since if query.get("includeFirst") == "false" else starts >= since
        count = int(query.get("count", "500"))
        chosen = bars.loc[keep].iloc[:count]
        forming = self.forming and len(chosen) < count
        return _json(200, oanda_candles(chosen, label, forming=forming))

    def _yahoo(self, symbol: str, query: dict[str, str]) -> Reply:
        code = symbol.removesuffix("=X")
        if code not in self.bars or query.get("interval") != "1d":
            return _json(
                404,
                {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}},
            )
        bars = self.bars[code]
        stamps = pd.Series([london_midnight(d.date()) for d in bars.index], index=bars.index)
        keep = (stamps >= int(query["period1"])) & (stamps < int(query["period2"]))
        return _json(200, yahoo_chart(bars.loc[keep.to_numpy()], symbol, self.yahoo_now if self.forming else None))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(split.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = server._answer(split.path, query, headers)
                if server.delay:
                    threading.Event().wait(server.delay)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.padding or reply.chunked or reply.trickle:
                    self._stream(reply)
                    return
                length = reply.content_length if reply.content_length is not None else len(reply.body)
                self.send_header("Content-Length", str(length))
                if reply.content_length is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)
                self.wfile.flush()
                if reply.content_length is not None:
                    self.close_connection = True

            def _stream(self, reply: Reply) -> None:
                # Generated piece by piece: a 300 MB body never sits in the server's memory either.
                self.close_connection = True
                self.send_header("Connection", "close")
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(reply.body) + reply.padding))
                self.end_headers()
                server.sent = 0
                try:
                    for piece in _pieces(reply):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece)
                        self.wfile.flush()
                        server.sent += len(piece)
                        if reply.trickle:
                            threading.Event().wait(reply.trickle)
                    if reply.chunked:
                        self.wfile.write(b"0\r\n\r\n")
                        self.wfile.flush()
                except OSError:  # the client hung up: what a size cap or a deadline is for
                    return

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                return

        return Handler


def _pieces(reply: Reply) -> Iterator[bytes]:
    """The body of a streamed reply: first byte, padding in 1 MiB pieces, the rest; or one byte at a time."""
    if reply.trickle:
        for i in range(len(reply.body)):
            yield reply.body[i : i + 1]
        return
    yield reply.body[:1]
    left = reply.padding
    block = b" " * (1 << 20)
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)
    yield reply.body[1:]


@contextmanager
def serve(bars: Mapping[str, pd.DataFrame | Bars]) -> Iterator[MarketServer]:
    """A started MarketServer, stopped afterwards."""
    server = MarketServer(bars).start()
    try:
        yield server
    finally:
        server.stop()
