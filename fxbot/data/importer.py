"""Broker CSV import: detect the dialect, parse to bars, drop weekend stubs, validate.

Dialects understood (detected, never configured):
- MetaTrader 4/5 exports, comma or tab separated, with ``<DATE>``-style headers, plain headers
  (``date,open,high,low,close,tick_volume,...``) or no header at all; dates like ``2024.12.31``
  (MT4 files without a header carry a time column, ``00:00``, after the date).
- Generic ``Date,Open,High,Low,Close[,Volume]`` with ISO dates (``2024-12-31``).
- Japanese broker files: ``日付,始値,高値,安値,終値`` with dates like ``2007/04/02``, UTF-8 or Shift_JIS.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fxbot.data.bars import PRICE_COLUMNS, Bars, drop_weekend_stubs, make_bars, unique_days, validate_bars
from fxbot.errors import DataError

logger = logging.getLogger(__name__)

_HEADER_ALIASES = {
    "date": "date",
    "<date>": "date",
    "日付": "date",
    "time": "time",
    "<time>": "time",
    "open": "open",
    "<open>": "open",
    "始値": "open",
    "high": "high",
    "<high>": "high",
    "高値": "high",
    "low": "low",
    "<low>": "low",
    "安値": "low",
    "close": "close",
    "<close>": "close",
    "終値": "close",
    "tick_volume": "volume",
    "<tickvol>": "volume",
    "volume": "volume",
    "<vol>": "volume",
    "出来高": "volume",
}


@dataclass(frozen=True)
class ImportResult:
    """A parsed broker file and what was found in it."""

    bars: Bars
    dialect: str
    encoding: str
    rows: int
    weekend_stubs: int
    duplicates: int


def _decode(raw: bytes, source: str) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "shift_jis", "cp932"):
        try:
            return raw.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise DataError(f"{source}: not UTF-8 or Shift_JIS text; save the export as CSV in one of those encodings")


def _sniff_delimiter(first_line: str) -> str:
    if "\t" in first_line:
        return "\t"
    if ";" in first_line and "," not in first_line:
        return ";"
    return ","


def _parse_dates(values: pd.Series, source: str) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip()
    sample = text.iloc[0] if len(text) else ""
    for fmt in ("%Y.%m.%d", "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            pd.to_datetime(sample, format=fmt)
        except ValueError:
            continue
        try:
            return pd.DatetimeIndex(pd.to_datetime(text, format=fmt), name="date")
        except ValueError as exc:
            raise DataError(f"{source}: a date does not match {fmt} like the first row ({exc}); fix that row") from None
    raise DataError(f"{source}: cannot read the date {sample!r}; expected 2024.12.31, 2024-12-31 or 2024/12/31")


def _volumes(values: pd.Series) -> np.ndarray:
    """Tick volumes; a value that is not a finite, non-negative count is unknown (0), never a wrapped integer."""
    numbers = pd.to_numeric(values.str.strip().str.replace(",", ""), errors="coerce").to_numpy(dtype="float64")
    usable = np.isfinite(numbers) & (numbers >= 0) & (numbers < 2.0**62)
    return np.where(usable, numbers, 0.0).astype("int64")


def parse_broker_csv(raw: bytes, source: str) -> ImportResult:
    """Parse the bytes of a broker export into validated bars (weekend stubs dropped)."""
    text, encoding = _decode(raw, source)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"{source}: the file is empty; export the daily (D1) history again")
    delimiter = _sniff_delimiter(lines[0])
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    first = [c.strip().lower() for c in rows[0]]
    has_header = any(c in _HEADER_ALIASES for c in first)
    if has_header:
        names = []
        for i, column in enumerate(first):
            name = _HEADER_ALIASES.get(column, column)
            names.append(name if name not in names else f"{name}_{i}")  # <TICKVOL> wins over <VOL>
        body = rows[1:]
        if "<date>" in first:
            dialect = "MetaTrader (<DATE> header)"
        elif "日付" in first:
            dialect = "Japanese broker (日付,始値,高値,安値,終値)"
        elif "tick_volume" in first:
            dialect = "MetaTrader 5 (plain header)"
        else:
            dialect = "generic Date,Open,High,Low,Close"
    else:
        width = len(rows[0])
        if width >= 6 and ":" in rows[0][1]:
            names = ["date", "time", "open", "high", "low", "close", "volume"][:width]
        else:
            names = ["date", "open", "high", "low", "close", "volume"][:width]
        names += [f"extra{i}" for i in range(len(names), width)]
        body = rows
        dialect = "MetaTrader (no header)"
    missing = [c for c in ["date", *PRICE_COLUMNS] if c not in names]
    if missing:
        raise DataError(
            f"{source}: no {', '.join(missing)} column; expected a MetaTrader export or Date,Open,High,Low,Close"
        )
    width = len(names)
    short = [i for i, r in enumerate(body) if len(r) < width]
    if short:
        raise DataError(
            f"{source}: line {short[0] + 1 + has_header} has {len(body[short[0]])} fields, expected {width}; "
            "the file is truncated or malformed"
        )
    frame = pd.DataFrame([r[:width] for r in body], columns=names)
    if frame.empty:
        raise DataError(f"{source}: a header but no bars; export the daily (D1) history again")
    dates = _parse_dates(frame["date"], source)
    prices = {}
    for column in PRICE_COLUMNS:
        values = pd.to_numeric(frame[column].str.strip().str.replace(",", ""), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise DataError(
                f"{source}: line {int(bad[0]) + 1 + has_header} has a non-numeric {column} "
                f"({frame[column].iloc[int(bad[0])]!r}); fix or drop the row"
            )
        prices[column] = values.to_numpy(dtype="float64")
    volume = _volumes(frame["volume"]) if "volume" in frame else None
    parsed = make_bars(dates.to_numpy(), prices["open"], prices["high"], prices["low"], prices["close"], volume)
    bars = unique_days(parsed)
    duplicates = len(parsed) - len(bars)
    bars, stubs = drop_weekend_stubs(bars)
    validate_bars(bars, source)
    return ImportResult(bars, dialect, encoding, len(frame), stubs, duplicates)


def read_broker_csv(path: Path) -> ImportResult:
    """Read and parse a broker export file."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    return parse_broker_csv(raw, str(path))
