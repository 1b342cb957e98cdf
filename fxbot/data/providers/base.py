"""The Provider protocol, and the HTTP plumbing and row checks every network provider shares.

A provider turns a source's wire format into a bar frame (``fxbot.data.bars``): completed bars
only, labelled with the trading day they close on. Anything unusable raises ``ProviderError`` with
one line that says what was wrong; secrets never appear in it (``redact``).

Retries are urllib3's ``Retry`` mounted through an ``HTTPAdapter``: bounded, with exponential
backoff, on connection errors, read errors, 429 and 5xx, honouring ``Retry-After`` (capped, so a
server asking for an hour cannot stall the daily job).

What a response may cost is bounded too (``http_get``): the body is streamed and refused past
``MAX_BODY_BYTES`` (a 300 MB answer is never held in memory), it must arrive in full within the
timeout of its request (a server that trickles a byte at a time cannot stall the run, however
often it sends one), and a redirect is followed only within the provider's origin: a base URL
that redirects elsewhere never sends the bearer token (or anything) there.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import msgspec
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from fxbot import __version__
from fxbot.data.bars import Bars, empty_bars, make_bars, validate_bars
from fxbot.errors import DataError, ProviderError
from fxbot.redaction import redact

logger = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
USER_AGENT = f"fxbot/{__version__}"
# 5,000 daily candles are about 1 MB of JSON; twenty times that is no answer fxbot asked for.
MAX_BODY_BYTES = 20 * 2**20
MAX_REDIRECTS = 3  # within the provider's own origin; any other origin is refused at once
_READ_SIZE = 64 * 2**10


class Provider(Protocol):
    """A source of daily bars."""

    name: str
    network: bool

    def fetch(self, pair: str, start: dt.date) -> Bars:
        """Completed bars of ``pair`` labelled ``start`` or later (may include non-trading days)."""
        ...


class CappedRetry(Retry):
    """urllib3 ``Retry`` whose honoured ``Retry-After`` never exceeds ``MAX_RETRY_AFTER`` seconds."""

    MAX_RETRY_AFTER = 60.0

    def get_retry_after(self, response: Any) -> float | None:
        """The server's ``Retry-After`` in seconds, capped."""
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.MAX_RETRY_AFTER)


def make_session(retries: int, backoff_factor: float = 0.5) -> requests.Session:
    """A ``requests.Session`` that retries GETs ``retries`` times with backoff (see module docstring)."""
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=3,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=30.0,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last response comes back, so its status gets a clear message
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class HttpAnswer(msgspec.Struct, frozen=True):
    """The last HTTP response of a request (after any retries)."""

    status: int
    content_type: str
    body: bytes
    retry_after: str | None


def shown(value: object, limit: int, secrets: Iterable[str | None] = ()) -> str:
    """``value`` quoted for an error message: secrets redacted first, then cut to ``limit`` characters.

    Redacting before cutting matters: a cut token (its first 40 characters) no longer matches the
    secret, so redacting afterwards would let it through.
    """
    return repr(redact(str(value), list(secrets))[:limit])


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of ``url`` (default ports made explicit): what a redirect must keep."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _origin_text(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}" if parts.scheme and parts.netloc else url[:60]


def _timed_out(source: str, timeout: float) -> ProviderError:
    return ProviderError(
        f"{source}: no answer within {timeout:g} s (data.timeout_seconds) after retries; try again later",
    )


def _read_body(response: requests.Response, source: str, timeout: float, max_bytes: int) -> bytes:
    """The body of a streamed ``response``, refused past ``max_bytes`` or past ``timeout`` seconds in all."""
    too_big = ProviderError(
        f"{source}: the response is larger than {max_bytes / 2**20:g} MB; refused (not a daily candles answer): "
        "check the provider URL"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        raise too_big  # said up front: not one byte of it is read
    deadline = time.monotonic() + timeout
    raw = response.raw
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProviderError(
                f"{source}: the response did not arrive in full within {timeout:g} s (data.timeout_seconds); "
                "the server is stalling: try again later"
            )
        if sock is not None:
            # The socket's own timeout applies per read; a trickle of bytes would reset it forever.
            # Each read may take only what is left of the request's deadline.
            sock.settimeout(min(timeout, left))
        try:
            chunk = raw.read1(_READ_SIZE, decode_content=True)
        except ReadTimeoutError:
            continue  # the loop's deadline check gives the message
        except (Urllib3Error, OSError):
            raise ProviderError(
                f"{source}: the response was cut off before its end (truncated body); try again later",
            ) from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise too_big
        chunks.append(chunk)


def http_get(
    session: requests.Session,
    url: str,
    *,
    source: str,
    params: dict[str, str],
    timeout: float,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> HttpAnswer:
    """GET ``url``; network failures (after the session's retries) become a transient ProviderError.

    The body is streamed under a size cap and a deadline, and only same-origin redirects are followed
    (see the module docstring).
    """
    home = origin(url)
    target: str = url
    query: dict[str, str] | None = params
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = session.get(
                target,
                params=query,
                headers=headers or {},
                timeout=(timeout, timeout),
                stream=True,
                allow_redirects=False,  # followed below, and only within the origin
            )
        except requests.exceptions.Timeout:
            raise _timed_out(source, timeout) from None
        except requests.exceptions.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, ReadTimeoutError):
                # requests reports a read timeout that outlived the retries as a ConnectionError.
                raise _timed_out(source, timeout) from None
            text = str(reason or exc) or type(exc).__name__
            text = redact(text.split(": ", 1)[-1] if isinstance(reason, Exception) else text, [secret])[:160]
            host = urlsplit(url).netloc
            raise ProviderError(
                f"{source}: cannot connect to {host} ({text}); check the network and the provider URL",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise ProviderError(
                f"{source}: request failed ({type(exc).__name__}); try again later",
            ) from None
        with response:
            location = response.headers.get("Location")
            if response.is_redirect and location:
                following = urljoin(response.url, location)
                if origin(following) != home:
                    where = redact(_origin_text(following), [secret])[:80]
                    raise ProviderError(
                        f"{source}: the server redirected to another origin ({where}); not followed, so nothing "
                        f"(no token) was sent there: check the provider URL ({_origin_text(url)})"
                    )
                target, query = following, None
                continue
            body = _read_body(response, source, timeout, max_bytes)
            return HttpAnswer(
                status=response.status_code,
                content_type=response.headers.get("Content-Type", ""),
                body=body,
                retry_after=response.headers.get("Retry-After"),
            )
    raise ProviderError(f"{source}: more than {MAX_REDIRECTS} redirects; check the provider URL")


def check_status(answer: HttpAnswer, source: str, retries: int, detail: str = "") -> None:
    """Raise ProviderError for 429 and 5xx left after retries and any other non-2xx status."""
    if 200 <= answer.status < 300:
        return
    extra = f": {detail}" if detail else ""
    if answer.status == 429:
        raise ProviderError(
            f"{source}: rate limited (HTTP 429) after {retries} retries{extra}; try again later",
        )
    if answer.status >= 500:
        raise ProviderError(
            f"{source}: server error HTTP {answer.status} after {retries} retries{extra}; try again later",
        )
    raise ProviderError(f"{source}: HTTP {answer.status}{extra}")


def decode_json(answer: HttpAnswer, source: str) -> Any:
    """The JSON document in ``answer``, or a ProviderError naming what came instead."""
    text = answer.body.strip()
    if not text:
        raise ProviderError(f"{source}: empty response (HTTP {answer.status}); try again later")
    if "html" in answer.content_type.lower() or text[:1] == b"<":
        raise ProviderError(
            f"{source}: answered with an HTML page, not JSON (HTTP {answer.status}); "
            "check the provider URL or try again later"
        )
    try:
        return json.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProviderError(f"{source}: the response is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ProviderError(
            f"{source}: invalid or truncated JSON ({exc.msg} at character {exc.pos} of {len(text)})"
        ) from None
    except RecursionError:
        raise ProviderError(f"{source}: JSON nested too deeply") from None


def price(value: object, field: str, where: str, source: str, secrets: Iterable[str | None] = ()) -> float:
    """A positive finite price from a JSON number or numeric string, else ProviderError (``secrets`` never shown)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProviderError(f"{source}: {where}: {field} is {type(value).__name__}, not a price")
    try:
        number = float(value)
    except ValueError:
        raise ProviderError(f"{source}: {where}: non-numeric {field} {shown(value, 20, secrets)}") from None
    if not math.isfinite(number) or number <= 0:
        raise ProviderError(f"{source}: {where}: {field} {shown(value, 20, secrets)} is not a positive price")
    return number


class Row(msgspec.Struct, frozen=True):
    """One parsed bar before it joins a frame."""

    day: dt.date
    open: float
    high: float
    low: float
    close: float
    volume: int


def bars_from_rows(rows: Sequence[Row], source: str) -> Bars:
    """A validated bar frame from parsed rows; high < low, unordered or duplicate days are ProviderErrors."""
    if not rows:
        return empty_bars()
    for row in rows:
        if row.high < row.low:
            raise ProviderError(f"{source}: bar {row.day.isoformat()} has high {row.high:g} below low {row.low:g}")
    bars = make_bars(
        [r.day for r in rows],
        [r.open for r in rows],
        [r.high for r in rows],
        [r.low for r in rows],
        [r.close for r in rows],
        [r.volume for r in rows],
    )
    try:
        validate_bars(bars, source)
    except DataError as exc:
        raise ProviderError(str(exc)) from None
    return bars


def volume(value: object) -> int:
    """A tick volume; anything not a non-negative whole number counts as unknown (0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    if not math.isfinite(value) or value < 0 or value > 2**62:
        return 0
    return int(value)
