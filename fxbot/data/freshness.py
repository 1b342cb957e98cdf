"""How far a store file reaches, read from its last line without parsing the rest (and without numpy).

`fxbot status` is a health check that may run every minute; it needs each pair's newest bar day and
how many bars there are, not the bars themselves. `fxbot check` and every run parse and validate
the whole file (``fxbot.data.store``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fxbot.errors import DataError


def store_file(directory: Path, pair: str) -> Path:
    """The CSV file of ``pair`` in a data folder (the same name ``PriceStore.path`` uses)."""
    return Path(directory) / f"{pair}.csv"


def last_bar_day(path: Path) -> tuple[dt.date, int]:
    """The day of the file's last bar and the number of bars; a missing, empty or garbled file is a DataError."""
    try:
        lines = [line for line in path.read_bytes().splitlines()[1:] if line.strip()]
    except FileNotFoundError:
        raise DataError(f"no price file at {path}; run `fxbot fetch` or `fxbot import-csv`") from None
    if not lines:
        raise DataError(f"{path}: no bars; run `fxbot fetch` or `fxbot import-csv`")
    text = lines[-1].split(b",", 1)[0].decode("ascii", "replace").strip()
    try:
        return dt.date.fromisoformat(text), len(lines)
    except ValueError:
        raise DataError(f"{path}: the last line's date {text[:20]!r} is not YYYY-MM-DD; run `fxbot check`") from None
