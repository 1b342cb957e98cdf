"""OANDA v20 REST: daily mid candles aligned at 17:00 America/New_York, the bundled data's boundary.

``GET /v3/instruments/USD_JPY/candles?granularity=D&price=M&from=...`` with a bearer token. A candle's
``time`` is the START of its bar (17:00 New York of the day before, e.g.
``2024-12-30T22:00:00.000000000Z`` for the bar fxbot labels 2024-12-31); prices are strings in
``mid.o/h/l/c``; the still-forming candle has ``"complete": false`` and is dropped.

An answer is refused (ProviderError) when its ``instrument`` is not the one asked for, or when a
complete candle is labelled after the last completed trading day (``fxbot.calendar``, with a few
minutes' grace for clock skew): a mixed-up proxy or a wrong clock must not write the history.
Nothing the server sends back is shown with the token in it (``shown`` redacts before it cuts).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import requests

from fxbot.calendar import NEW_YORK, last_completed_trading_day
from fxbot.data.bars import Bars, concat_bars, unique_days
from fxbot.data.providers.base import (
    Row,
    bars_from_rows,
    check_status,
    decode_json,
    http_get,
    price,
    shown,
    volume,
)
from fxbot.errors import ProviderError
from fxbot.pairs import get_pair
from fxbot.redaction import redact

logger = logging.getLogger(__name__)

HOSTS = {"practice": "https://api-fxpractice.oanda.com", "live": "https://api-fxtrade.oanda.com"}
SOURCE = "OANDA"
MAX_COUNT = 5000  # the API's limit of candles per request
MAX_PAGES = 10  # 50,000 daily candles: far more than any history; keeps the loop bounded
# A candle that closed a minute ago by OANDA's clock may be "not yet" by ours: that much skew is tolerated.
CLOCK_GRACE = dt.timedelta(minutes=5)


def bar_start(day: dt.date) -> dt.datetime:
    """The UTC start of the bar labelled ``day``: 17:00 New York on the calendar day before."""
    local = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(17, 0), tzinfo=NEW_YORK)
    return local.astimezone(dt.UTC)


def rfc3339(moment: dt.datetime) -> str:
    """``moment`` in OANDA's RFC3339 form with nanoseconds."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")


def trading_day_of(time: object, where: str, secrets: Iterable[str | None] = ()) -> tuple[dt.date, str]:
    """The trading day a candle starting at ``time`` closes on, and the time string itself."""
    if not isinstance(time, str):
        raise ProviderError(f"{SOURCE}: {where}: missing or non-text 'time'")
    try:
        stamp = dt.datetime.fromisoformat(time)
    except (ValueError, OverflowError):
        raise ProviderError(f"{SOURCE}: {where}: 'time' {shown(time, 40, secrets)} is not an RFC3339 time") from None
    if stamp.tzinfo is None:
        raise ProviderError(f"{SOURCE}: {where}: 'time' {shown(time, 40, secrets)} has no time zone")
    local = stamp.astimezone(NEW_YORK)
    if (local.hour, local.minute, local.second) != (17, 0, 0):
        raise ProviderError(
            f"{SOURCE}: {where}: candle starts at {local:%H:%M} New York, not 17:00; "
            "the daily candles must use alignmentTimezone=America/New_York and dailyAlignment=17"
        )
    return local.date() + dt.timedelta(days=1), time


def parse_candles(
    payload: Any, *, latest: dt.date | None = None, secrets: Iterable[str | None] = ()
) -> tuple[Bars, str | None]:
    """Completed bars from a candles response, and the ``time`` of its last candle (for paging).

    A complete candle labelled after ``latest`` (the last completed trading day) is refused;
    ``secrets`` never appear in a message, whatever the server echoed.
    """
    secrets = list(secrets)
    if not isinstance(payload, dict) or not isinstance(payload.get("candles"), list):
        raise ProviderError(f"{SOURCE}: the response has no 'candles' list; is the URL an OANDA v20 API?")
    rows: list[Row] = []
    last_time: str | None = None
    for i, candle in enumerate(payload["candles"]):
        where = f"candle {i + 1}"
        if not isinstance(candle, dict):
            raise ProviderError(f"{SOURCE}: {where} is not an object")
        day, last_time = trading_day_of(candle.get("time"), where, secrets)
        complete = candle.get("complete")
        if complete is False:
            logger.info("OANDA: dropping the still-forming candle for %s", day)
            continue
        if complete is not True:
            raise ProviderError(f"{SOURCE}: {where} ({day}) has no 'complete' flag")
        if latest is not None and day > latest:
            raise ProviderError(
                f"{SOURCE}: {where} ({day}) is complete but dated after the last completed trading day "
                f"({latest}); the server's data or this machine's clock is wrong: check both, then fetch again"
            )
        mid = candle.get("mid")
        if not isinstance(mid, dict):
            raise ProviderError(f"{SOURCE}: {where} ({day}) has no 'mid' prices; request price=M")
        at = f"{where} ({day})"
        o, h, low, c = (
            price(mid.get(k), name, at, SOURCE, secrets)
            for k, name in zip("ohlc", ("open", "high", "low", "close"), strict=True)
        )
        rows.append(Row(day, o, h, low, c, volume(candle.get("volume"))))
    return bars_from_rows(rows, SOURCE), last_time


def _error_message(body: bytes, token: str) -> str:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return ""
    message = payload.get("errorMessage") if isinstance(payload, dict) else None
    return redact(str(message), [token])[:200] if message else ""


def _instrument_text(answered: object, token: str) -> str:
    if answered is None:
        return "names no instrument"
    if isinstance(answered, str) and re.fullmatch(r"[A-Z0-9]{2,8}_[A-Z0-9]{2,8}", answered):
        return f"is for {answered}"
    return f"is for {shown(answered, 40, [token])}"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OandaProvider:
    """Daily bars from OANDA v20 (needs OANDA_API_TOKEN)."""

    name = "oanda"
    network = True

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        token: str,
        *,
        timeout: float,
        retries: int,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/").removesuffix("/v3")
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.page_size = MAX_COUNT
        self._now = now or _utc_now

    def __repr__(self) -> str:
        return f"OandaProvider(base_url={self.base_url!r})"  # never the token

    def fetch(self, pair: str, start: dt.date) -> Bars:
        """Completed daily bars of ``pair`` labelled ``start`` or later."""
        try:
            return self._fetch(pair, start)
        except ProviderError as exc:
            # Every message was built with the token redacted; this is the second line of defence.
            text = str(exc)
            if self._token and self._token in text:
                raise ProviderError(redact(text, [self._token])) from None
            raise

    def _fetch(self, pair: str, start: dt.date) -> Bars:
        instrument = get_pair(pair).oanda_instrument
        latest = last_completed_trading_day(self._now() + CLOCK_GRACE)
        url = f"{self.base_url}/v3/instruments/{instrument}/candles"
        params = {
            "granularity": "D",
            "price": "M",
            "alignmentTimezone": "America/New_York",
            "dailyAlignment": "17",
            "from": rfc3339(bar_start(start)),
            "count": str(self.page_size),
        }
        frames = []
        for _ in range(MAX_PAGES):
            answer = http_get(
                self._session,
                url,
                source=SOURCE,
                params=params,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self._token}", "Accept-Datetime-Format": "RFC3339"},
                secret=self._token,
            )
            detail = _error_message(answer.body, self._token)
            if answer.status in (401, 403):
                raise ProviderError(
                    f"{SOURCE}: the API token was refused (HTTP {answer.status}{': ' + detail if detail else ''}); "
                    "check OANDA_API_TOKEN and that data.oanda.environment (practice/live) matches its account"
                )
            check_status(answer, SOURCE, self.retries, detail)
            payload = decode_json(answer, SOURCE)
            bars, last_time = parse_candles(payload, latest=latest, secrets=[self._token])
            answered = payload.get("instrument")
            if answered != instrument:
                what = _instrument_text(answered, self._token)
                raise ProviderError(
                    f"{SOURCE}: asked for {instrument} candles but the answer {what}; nothing was stored: "
                    "check the provider URL (FXBOT_OANDA_API_URL) and any proxy in between"
                )
            frames.append(bars)
            if len(payload["candles"]) < self.page_size or last_time is None:
                break
            # A full page: ask for the rest, starting after the last candle received.
            params = {**params, "from": last_time, "includeFirst": "false"}
        else:
            raise ProviderError(f"{SOURCE}: more than {MAX_PAGES} pages of candles; fetch a shorter range")
        return unique_days(concat_bars(frames)).since(start)
