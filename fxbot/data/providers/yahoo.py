"""Yahoo Finance chart API: free daily FX bars, but on a different day boundary (read this).

``GET /v8/finance/chart/USDJPY=X?interval=1d&period1=...&period2=...`` needs no key. The answer is
``chart.result[0]`` with a ``timestamp`` array and ``indicators.quote[0].open/high/low/close``
arrays that may hold ``null``; a failure is ``"result": null`` with ``chart.error``.

Yahoo's FX day runs from midnight to midnight London time, not 17:00 to 17:00 New York like the
bundled data and the models' training data: its bar labelled D ends 5-7 hours after fxbot's bar D.
Opens, highs, lows and closes therefore differ from what the models were trained on, so this
provider is used only when chosen explicitly (``data.provider: yahoo``) and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from fxbot.data.bars import Bars
from fxbot.data.providers.base import Row, bars_from_rows, check_status, decode_json, http_get, price, volume
from fxbot.errors import ProviderError
from fxbot.pairs import get_pair

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://query1.finance.yahoo.com"
SOURCE = "Yahoo"
LONDON = ZoneInfo("Europe/London")
BOUNDARY_WARNING = (
    "Yahoo bars run midnight to midnight London time, not 17:00 to 17:00 New York like the training data: "
    "the models see slightly different bars than they were trained on; prefer oanda or broker CSV imports"
)


def _zone(meta: object) -> ZoneInfo:
    name = meta.get("exchangeTimezoneName") if isinstance(meta, dict) else None
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return LONDON


def _error_text(error: object) -> str:
    if isinstance(error, dict):
        code, text = error.get("code"), error.get("description")
        return ": ".join(str(part)[:120] for part in (code, text) if part) or "unknown error"
    return str(error)[:120]


def parse_chart(payload: Any, now: dt.datetime, symbol: str | None = None) -> Bars:
    """Completed bars from a chart response; entries with nulls and the still-forming bar are dropped.

    With ``symbol``, a result whose ``meta.symbol`` names another symbol is refused.
    """
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise ProviderError(f"{SOURCE}: the response has no 'chart' object; is the URL the chart API?")
    if chart.get("error"):
        raise ProviderError(f"{SOURCE}: {_error_text(chart['error'])}")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise ProviderError(f"{SOURCE}: the response has no result; check the symbol and the date range")
    result = results[0]
    meta = result.get("meta")
    answered = meta.get("symbol") if isinstance(meta, dict) else None
    if symbol is not None and answered is not None and answered != symbol:
        raise ProviderError(
            f"{SOURCE}: asked for {symbol} but the answer is for {str(answered)[:20]!r}; nothing was stored: "
            "check the provider URL (FXBOT_YAHOO_API_URL)"
        )
    timestamps = result.get("timestamp")
    indicators = result.get("indicators")
    quotes = indicators.get("quote") if isinstance(indicators, dict) else None
    if not isinstance(quotes, list) or not quotes or not isinstance(quotes[0], dict):
        raise ProviderError(f"{SOURCE}: the result has no indicators.quote")
    quote = quotes[0]
    if timestamps is None and not any(quote.get(k) for k in ("open", "high", "low", "close")):
        return bars_from_rows([], SOURCE)  # no bars in the range: Yahoo then omits 'timestamp'
    if not isinstance(timestamps, list):
        raise ProviderError(f"{SOURCE}: the result has no 'timestamp' list")
    columns = {}
    for key in ("open", "high", "low", "close"):
        values = quote.get(key)
        if not isinstance(values, list) or len(values) != len(timestamps):
            raise ProviderError(
                f"{SOURCE}: quote '{key}' is missing or not as long as the {len(timestamps)} timestamps (truncated?)"
            )
        columns[key] = values
    volumes = quote.get("volume")
    if not isinstance(volumes, list) or len(volumes) != len(timestamps):
        volumes = [0] * len(timestamps)
    zone = _zone(result.get("meta"))
    by_day: dict[dt.date, Row] = {}
    nulls = forming = 0
    for i, stamp in enumerate(timestamps):
        if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or not (0 <= stamp < 4_102_444_800):
            raise ProviderError(f"{SOURCE}: timestamp {i + 1} ({str(stamp)[:20]!r}) is not a time")
        start = dt.datetime.fromtimestamp(stamp, zone)
        day = start.date()
        values = [columns[k][i] for k in ("open", "high", "low", "close")]
        if any(v is None for v in values):
            nulls += 1  # Yahoo leaves holes for missing quotes: skip them, never invent a price
            continue
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        if end > now:
            forming += 1
            continue
        at = f"bar {day.isoformat()}"
        o, h, low, c = (price(v, k, at, SOURCE) for v, k in zip(values, ("open", "high", "low", "close"), strict=True))
        # The same day twice (Yahoo repeats the latest bar): the later entry is the newer one.
        by_day[day] = Row(day, o, h, low, c, volume(volumes[i]))
    if nulls or forming:
        logger.info("Yahoo: skipped %d entries with nulls and %d still-forming bar(s)", nulls, forming)
    return bars_from_rows([by_day[d] for d in sorted(by_day)], SOURCE)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class YahooProvider:
    """Daily bars from the Yahoo Finance chart API (no key; London-midnight day boundary)."""

    name = "yahoo"
    network = True

    def __init__(
        self,
        session: requests.Session,
        base_url: str = DEFAULT_URL,
        *,
        timeout: float,
        retries: int,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self._now = now

    def fetch(self, pair: str, start: dt.date) -> Bars:
        """Completed daily bars of ``pair`` labelled ``start`` or later."""
        symbol = get_pair(pair).yahoo_symbol
        now = self._now()
        period1 = int(dt.datetime.combine(start - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC).timestamp())
        params = {"interval": "1d", "period1": str(period1), "period2": str(int(now.timestamp()))}
        answer = http_get(
            self._session,
            f"{self.base_url}/v8/finance/chart/{symbol}",
            source=SOURCE,
            params=params,
            timeout=self.timeout,
        )
        if answer.status == 404 or (400 <= answer.status < 500 and answer.status != 429):
            # Yahoo explains its 4xx in the usual chart envelope ("result": null, "error": {...}).
            try:
                payload = decode_json(answer, SOURCE)
            except ProviderError:
                payload = None
            if isinstance(payload, dict) and isinstance(payload.get("chart"), dict) and payload["chart"].get("error"):
                raise ProviderError(f"{SOURCE}: HTTP {answer.status}: {_error_text(payload['chart']['error'])}")
        check_status(answer, SOURCE, self.retries)
        bars = parse_chart(decode_json(answer, SOURCE), now, symbol)
        return bars.since(start)
