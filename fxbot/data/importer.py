"""Broker CSV import: detect the dialect, parse to bars, drop weekend stubs, validate.

Dialects understood (detected, never configured):
- MetaTrader 4/5 exports, comma or tab separated, with ``<DATE>``-style headers, plain headers
  (``date,open,high,low,close,tick_volume,...``) or no header at all; dates like ``2024.12.31``
  (MT4 files without a header carry a time column, ``00:00``, after the date).
- Generic ``Date,Open,High,Low,Close[,Volume]`` with ISO dates (``2024-12-31``).
- Japanese broker files: ``日付,始値,高値,安値,終値`` with dates like ``2007/04/02``, UTF-8 or Shift_JIS.
- MetaTrader 5's Python package saved with pandas: an unnamed index column, then
  ``time,open,high,low,close,tick_volume,spread,real_volume`` (``time`` is the bar's day).
- yfinance's CSV: three header rows (``Price,Close,High,Low,Open,Volume``, ``Ticker,...``, ``Date,,,...``).

A file is refused (DataError, one line that says how to fix it) when it holds intraday rows (an H1
export is not 24 daily bars: "export D1 bars") or the same date twice with different prices. Rows
on days that are not trading days (weekend stubs, Dec 25, Jan 1: ``fxbot.calendar``) are dropped
and counted, as ``fetch`` drops them; identical repeated rows are dropped and counted.

``plan_import`` then holds the file against the store with ``fetch``'s rules (``fxbot.data.guards``):
a close more than ``data.max_jump`` from the one before it is refused, and so, unless ``replace``,
is a file whose overlap differs from the stored bars on more than ``FEW_DIFFERING`` bars; the message
says which stored pair its prices look like; a file sharing no date with the store is held by its level at
the seam (``guards.level_jump``). ``apply_import`` keeps a backup of a file it replaces.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from fxbot.calendar import last_completed_trading_day
from fxbot.data.bars import PRICE_COLUMNS, Bars, as_date, make_bars, validate_bars, weekday
from fxbot.data.guards import close_gap, closest_pair, first_jump, level_jump, trading_mask
from fxbot.data.store import MergeResult, PriceStore, atomic_write_text, merge_bars
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
    duplicates: int  # identical repeated rows dropped (conflicting ones are refused)
    holidays: int = 0  # weekday rows on Dec 25 or Jan 1, dropped
    holiday_dates: tuple[dt.date, ...] = ()
    sundays_folded: int = 0  # --day-boundary utc: Sunday bars folded into the Monday after them


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


_TIME_SUFFIX = re.compile(r"^(\S+?)(?:[ T]+(\d{1,2}:\d{2}(?::\d{2})?)\S*)?$")


def _split_times(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """The date text and the time of day (HH:MM) of each row; a ``2024-12-30 13:00`` date holds both."""
    dates = frame["date"].astype(str).str.strip()
    parts = dates.str.extract(_TIME_SUFFIX)
    times = frame["time"].astype(str).str.strip() if "time" in frame else None
    if parts[1].notna().any():
        dates = parts[0].where(parts[0].notna(), dates)
        times = parts[1] if times is None else times
    if times is None:
        return dates, None
    return dates, times.fillna("").str.slice(0, 5)


def _check_daily(dates: np.ndarray, codes: np.ndarray, names: dict[str, int], source: str) -> None:
    """Refuse a file with rows at different times of one day (``codes`` index ``names``): an intraday export."""
    pairs = np.unique(np.stack([dates.astype("int64"), codes.astype("int64")]), axis=1)
    days, counts = np.unique(pairs[0], return_counts=True)
    several = set(days[counts > 1].tolist())
    if not several:
        return
    as_int = dates.astype("int64")
    first_row = next(i for i, d in enumerate(as_int.tolist()) if d in several)  # the first such day in the file
    day = as_int[first_row]
    text = {code: name for name, code in names.items()}
    at = sorted({text[int(c)] for c in np.unique(codes[as_int == day])})[:2]
    shown = as_date(dates[first_row]).isoformat()
    raise DataError(
        f"{source}: intraday rows ({len(set(codes.tolist()))} times of day, e.g. {at[0]} and {at[1]} on {shown}): "
        "this is an hourly or other intraday export, not daily bars; export D1 bars (the daily timeframe) "
        "and import that file"
    )


def _parse_dates(values: pd.Series, source: str, offset: int = 0) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip()
    sample = text.iloc[0] if len(text) else ""
    for fmt in ("%Y.%m.%d", "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            pd.to_datetime(sample, format=fmt)
        except ValueError:
            continue
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(text, format=fmt), name="date")
        except ValueError as exc:
            raise DataError(f"{source}: a date does not match {fmt} like the first row ({exc}); fix that row") from None
        missing = np.flatnonzero(parsed.isna())
        if missing.size:  # an empty cell parses as NaT with some pandas versions
            i = int(missing[0])
            raise DataError(f"{source}: data row {offset + i + 1} has no date ({text.iloc[i]!r}); fix or drop the row")
        return parsed
    raise DataError(f"{source}: cannot read the date {sample!r}; expected 2024.12.31, 2024-12-31 or 2024/12/31")


def _volumes(values: pd.Series) -> np.ndarray:
    """Tick volumes; a value that is not a finite, non-negative count is unknown (0), never a wrapped integer."""
    numbers = pd.to_numeric(values.str.strip().str.replace(",", ""), errors="coerce").to_numpy(dtype="float64")
    usable = np.isfinite(numbers) & (numbers >= 0) & (numbers < 2.0**62)
    return np.where(usable, numbers, 0.0).astype("int64")


def parse_broker_csv(raw: bytes, source: str, day_boundary: DayBoundary = "new-york") -> ImportResult:
    """Parse the bytes of a broker export into validated bars (weekend stubs dropped)."""
    text, encoding = _decode(raw, source)
    return _parse_lines(iter(text.splitlines()), encoding, source, day_boundary)


#: Where a file's days end: New York 17:00 (fxbot's bars, the models' training data) or midnight UTC/GMT.
DayBoundary = Literal["new-york", "utc"]


def _utc_midnight_days(bars: Bars) -> bool:
    """True if ``bars`` has Sunday bars in most of its weeks: days cut at midnight GMT/UTC, not at the NY close.

    The FX week opens on Sunday at 17:00 New York (21:00-22:00 UTC): a feed that ends its days at midnight UTC
    has a short Sunday bar nearly every week. A NY-close feed has none but the odd stub (dropped as such).
    """
    sundays = int((weekday(bars.dates) == 6).sum())
    if len(bars) == 0 or sundays < 2:
        return False
    weeks = max(1, int((bars.dates.max() - bars.dates.min()).astype("int64")) // 7)
    return sundays >= 0.5 * weeks


def _merge_sundays(bars: Bars) -> tuple[Bars, int]:
    """Sunday bars folded into the Monday after them (its session's first hours): open, high, low, volume."""
    order = np.argsort(bars.dates, kind="stable")
    bars = bars.take(order)
    sunday = np.flatnonzero(weekday(bars.dates) == 6)
    opens, highs, lows, volumes = bars.open.copy(), bars.high.copy(), bars.low.copy(), bars.volume.copy()
    for i in sunday:
        if i + 1 < len(bars) and bars.dates[i + 1] == bars.dates[i] + np.timedelta64(1, "D"):
            j = i + 1
            opens[j], highs[j] = bars.open[i], max(highs[j], bars.high[i])
            lows[j], volumes[j] = min(lows[j], bars.low[i]), volumes[j] + bars.volume[i]
    keep = weekday(bars.dates) != 6
    merged = Bars(bars.dates, opens, highs, lows, bars.close, volumes).take(keep)
    return merged, len(sunday)


#: Rows parsed at a time: a file of any length is read in pieces of this many rows (bounded memory).
CHUNK_ROWS = 100_000


class _Columns:
    """The parsed columns of a file, gathered piece by piece as compact arrays (never all its text at once)."""

    def __init__(self) -> None:
        self.dates: list[np.ndarray] = []
        self.prices: dict[str, list[np.ndarray]] = {c: [] for c in PRICE_COLUMNS}
        self.volumes: list[np.ndarray] = []
        self.time_codes: list[np.ndarray] = []
        self.time_names: dict[str, int] = {}
        self.rows = 0

    def times(self, values: pd.Series) -> np.ndarray:
        codes = [self.time_names.setdefault(v, len(self.time_names)) for v in values.tolist()]
        return np.asarray(codes, dtype=np.int32)


def _parse_lines(
    lines: Iterator[str], encoding: str, source: str, day_boundary: DayBoundary = "new-york"
) -> ImportResult:
    """Parse a broker export's lines, ``CHUNK_ROWS`` at a time; the checks are those of the whole file."""
    first_line = next((ln for ln in lines if ln.strip()), None)
    if first_line is None:
        raise DataError(f"{source}: the file is empty; export the daily (D1) history again")
    delimiter = _sniff_delimiter(first_line)
    head = next(csv.reader([first_line], delimiter=delimiter))
    first = [c.strip().lower() for c in head]
    has_header = any(c in _HEADER_ALIASES for c in first)
    header_rows = int(has_header)
    yfinance = first[0] == "price"
    if yfinance:  # yfinance's CSV: `Price,Close,...`, then `Ticker,JPY=X,...` and `Date,,,...` rows
        below = [next((ln for ln in lines if ln.strip()), "") for _ in range(2)]
        if not (below[0].strip().lower().startswith("ticker") and below[1].strip().lower().startswith("date")):
            raise DataError(
                f"{source}: a Price header without yfinance's Ticker and Date rows below it; save the download "
                "with `yf.download(...).to_csv(path)` or as Date,Open,High,Low,Close"
            )
        first, has_header, header_rows = ["date", *first[1:]], True, 3
    pending: list[str] = []
    if has_header:
        names = []
        for i, column in enumerate(first):
            name = _HEADER_ALIASES.get(column, column)
            names.append(name if name not in names else f"{name}_{i}")  # <TICKVOL> wins over <VOL>
        if "<date>" in first:
            dialect = "MetaTrader (<DATE> header)"
        elif "日付" in first:
            dialect = "Japanese broker (日付,始値,高値,安値,終値)"
        elif "tick_volume" in first:
            dialect = "MetaTrader 5 (plain header)"
        else:
            dialect = "generic Date,Open,High,Low,Close"
        if yfinance:
            dialect = "yfinance (Price, Ticker and Date header rows)"
        elif "date" not in names and "time" in names:
            # MetaTrader 5's Python package (copy_rates_*) saved with pandas: an unnamed index column, then
            # `time` (the bar's day, a datetime) where other exports have a date.
            names[names.index("time")] = "date"
            dialect = "MetaTrader 5 (Python package, saved with pandas)"
    else:
        width = len(head)
        if width >= 6 and ":" in head[1]:
            names = ["date", "time", "open", "high", "low", "close", "volume"][:width]
        else:
            names = ["date", "open", "high", "low", "close", "volume"][:width]
        names += [f"extra{i}" for i in range(len(names), width)]
        pending = [first_line]
        dialect = "MetaTrader (no header)"
    missing = [c for c in ["date", *PRICE_COLUMNS] if c not in names]
    if missing:
        raise DataError(
            f"{source}: no {', '.join(missing)} column; expected a MetaTrader export or Date,Open,High,Low,Close"
        )
    columns = _Columns()
    for line in lines:
        if line.strip():
            pending.append(line)
            if len(pending) >= CHUNK_ROWS:
                _parse_chunk(pending, names, delimiter, header_rows, columns, source)
                pending = []
    if pending:
        _parse_chunk(pending, names, delimiter, header_rows, columns, source)
    if not columns.rows:
        raise DataError(f"{source}: a header but no bars; export the daily (D1) history again")
    dates = np.concatenate(columns.dates)
    if len(columns.time_names) > 1:
        _check_daily(dates, np.concatenate(columns.time_codes), columns.time_names, source)
    prices = {c: np.concatenate(parts) for c, parts in columns.prices.items()}
    volume = np.concatenate(columns.volumes) if columns.volumes else None
    parsed = make_bars(dates, prices["open"], prices["high"], prices["low"], prices["close"], volume)
    line_numbers = np.arange(len(parsed)) + 1 + header_rows
    sundays = 0
    if _utc_midnight_days(parsed):
        first_sunday = as_date(parsed.dates[weekday(parsed.dates) == 6].min()).isoformat()
        if day_boundary != "utc":
            raise DataError(
                f"{source}: its days end at midnight GMT/UTC, not at the New York 17:00 close fxbot's bars and "
                f"models use: it has a Sunday bar most weeks (the first {first_sunday}), the first hours of "
                "Monday's session; import it with --day-boundary utc to fold each Sunday into its Monday, or "
                "export with a New York close (a GMT+2/+3 server)"
            )
        parsed, sundays = _merge_sundays(parsed)
        line_numbers = np.arange(len(parsed)) + 1 + header_rows  # rows merged: numbers are approximate now
        dialect += ", days ending 00:00 UTC (Sunday bars folded into Monday)"
    # The calendar fetch applies: weekend stubs and Dec 25 / Jan 1 are not trading days.
    trading = trading_mask(parsed.dates)
    weekend = weekday(parsed.dates) >= 5
    holiday_dates = tuple(sorted({as_date(d) for d in parsed.dates[~trading & ~weekend]}))
    holidays = int((~trading & ~weekend).sum())
    bars, duplicates = _one_row_per_day(parsed.take(trading), line_numbers[trading], source)
    validate_bars(bars, source)
    return ImportResult(
        bars, dialect, encoding, columns.rows, int(weekend.sum()), duplicates, holidays, holiday_dates, sundays
    )


def _parse_chunk(
    lines: list[str], names: list[str], delimiter: str, header: int, columns: _Columns, source: str
) -> None:
    """Parse one piece of a file's rows into ``columns``; line numbers count from the file's first row."""
    offset = columns.rows
    width = len(names)
    rows = list(csv.reader(lines, delimiter=delimiter))
    short = next((i for i, r in enumerate(rows) if len(r) < width), None)
    if short is not None:
        raise DataError(
            f"{source}: line {offset + short + 1 + header} has {len(rows[short])} fields, expected {width}; "
            "the file is truncated or malformed"
        )
    frame = pd.DataFrame([r[:width] for r in rows], columns=names)
    del rows
    date_text, times = _split_times(frame)
    columns.dates.append(_parse_dates(date_text, source, offset).to_numpy(dtype="datetime64[D]"))
    if times is not None:
        columns.time_codes.append(columns.times(times))
    else:  # no time of day in this piece: one code for all its rows (the check needs every row)
        empty = columns.time_names.setdefault("", len(columns.time_names))
        columns.time_codes.append(np.full(len(frame), empty, dtype=np.int32))
    for column in PRICE_COLUMNS:
        values = pd.to_numeric(frame[column].str.strip().str.replace(",", ""), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise DataError(
                f"{source}: line {offset + int(bad[0]) + 1 + header} has a non-numeric {column} "
                f"({frame[column].iloc[int(bad[0])]!r}); fix or drop the row"
            )
        columns.prices[column].append(values.to_numpy(dtype="float64"))
    if "volume" in frame:
        columns.volumes.append(_volumes(frame["volume"]))
    columns.rows += len(frame)


def _one_row_per_day(bars: Bars, lines: np.ndarray, source: str) -> tuple[Bars, int]:
    """``bars`` sorted, one per day: identical repeats dropped (counted), conflicting ones refused."""
    order = np.argsort(bars.dates, kind="stable")
    bars, lines = bars.take(order), lines[order]
    if len(bars) < 2:
        return bars, 0
    repeat = np.flatnonzero(bars.dates[1:] == bars.dates[:-1]) + 1  # rows whose date the row before has
    if not repeat.size:
        return bars, 0
    firsts = np.searchsorted(bars.dates, bars.dates[repeat], side="left")
    # Vectorised, column by column (a file of a million repeated rows: no Python loop, no row copies).
    differs = np.zeros(len(repeat), dtype=bool)
    for column in (bars.open, bars.high, bars.low, bars.close):
        differs |= column[repeat] != column[firsts]  # NaN differs, as np.array_equal says
    bad = np.flatnonzero(differs)
    _, keep = np.unique(firsts[bad], return_index=True)  # each date's first disagreeing row
    keep.sort()
    # first row of a date -> the first row that disagrees with it, in the file's (sorted) order
    conflicts = {int(a): int(b) for a, b in zip(firsts[bad][keep], repeat[bad][keep], strict=True)}
    if conflicts:
        listed = ", ".join(
            f"{bars.date(a)} (close {bars.close[a]:g} on line {lines[a]}, {bars.close[b]:g} on line {lines[b]})"
            for a, b in list(conflicts.items())[:3]
        )
        more = f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
        days = len(np.unique(bars.dates))
        hint = (
            "; several rows on most days look like an intraday export: export D1 bars"
            if len(conflicts) * 2 > days
            else ""
        )
        raise DataError(
            f"{source}: {len(conflicts)} date(s) appear more than once with different prices: {listed}{more}; "
            f"keep one row per day (the right one) and import again{hint}"
        )
    # Identical repeats: keep the last (its volume may be the more complete count).
    last = np.append(bars.dates[1:] != bars.dates[:-1], True)
    return bars.take(last), int(len(bars) - last.sum())


def read_broker_csv(path: Path, day_boundary: DayBoundary = "new-york") -> ImportResult:
    """Read and parse a broker export file."""
    source = str(path)
    for encoding in ("utf-8-sig", "shift_jis", "cp932"):
        try:
            # Streamed: the lines are parsed CHUNK_ROWS at a time, so a file of millions of rows never
            # sits in memory as text, rows and a frame of strings at once.
            with Path(path).open(encoding=encoding, newline="") as handle:
                lines = (line.rstrip("\r\n") for line in handle)
                return _parse_lines(lines, "utf-8" if encoding == "utf-8-sig" else encoding, source, day_boundary)
        except FileNotFoundError:
            raise DataError(f"{path}: no such file; check the path") from None
        except UnicodeDecodeError:
            continue
        except IsADirectoryError:
            raise DataError(f"{path} is a folder; give the exported CSV file") from None
    raise DataError(f"{source}: not UTF-8 or Shift_JIS text; save the export as CSV in one of those encodings")


# More stored bars than this may not change under an import without --replace: a broker revising a
# bar or two is normal; a whole overlap that disagrees is another pair, source or day boundary.
FEW_DIFFERING = 5


@dataclass(frozen=True)
class ImportPlan:
    """What importing a parsed file into the store would do (checked: see ``plan_import``)."""

    pair: str
    merge: MergeResult
    overlap: int
    replace: bool
    dropped: int = 0  # with replace: stored bars inside the file's span on days the file has no bar

    @property
    def changed(self) -> bool:
        """True if the stored file would be rewritten."""
        return self.merge.changed or self.dropped > 0

    @property
    def replaces_stored_bars(self) -> bool:
        """True if stored bars would be overwritten or removed (a backup is kept for those)."""
        return self.replace and (self.merge.revised > 0 or self.dropped > 0)


def _mismatch(
    source: str,
    pair: str,
    imported: Bars,
    stored: Bars,
    merge: MergeResult,
    overlap: int,
    tolerance: float,
    others: dict[str, Bars],
) -> str:
    lead = (
        f"{source}: {merge.revised} of {overlap} overlapping bars differ from the stored {pair} bars by more than "
        f"{tolerance:.2%}"
    )
    looks = closest_pair(imported, {pair: stored, **others})
    if looks is None:
        return f"{lead}; to let this file's bars replace them, add --replace (a backup is kept); the store is unchanged"
    own = closest_pair(imported, {pair: stored})
    apart = f" (closes {own[1].median:.2%} apart at the median)" if own else ""
    if looks[0] != pair:
        return (
            f"{lead}{apart}: the prices look like {looks[0]}, not {pair} ({looks[1].median:.2%} from the stored "
            f"{looks[0]}); check --pair. To overwrite the stored {pair} bars anyway, add --replace (a backup is "
            "kept); the store is unchanged"
        )
    return (
        f"{lead}{apart}: the prices look like {pair} from another source (broker, day boundary or BID/mid?). "
        f"To let this file's bars replace the stored ones, add --replace (a backup is kept); the store is unchanged"
    )


def plan_import(
    store: PriceStore,
    pair: str,
    imported: ImportResult,
    *,
    source: str,
    tolerance: float,
    max_jump: float,
    replace: bool = False,
    pairs: Sequence[str] = (),
    now: dt.datetime | None = None,
    only_new: bool = False,
    overlap_days: int = 5,
) -> ImportPlan:
    """Hold ``imported`` against the stored bars of ``pair``; raise DataError (store untouched) if refused.

    A bar dated after the last completed trading day (at ``now``, default the clock) is refused, as
    ``fetch`` never stores one: its close has not happened.

    Refused: an overlap that differs beyond ``tolerance`` on more than ``FEW_DIFFERING`` bars (unless
    ``replace``; ``pairs`` are the stored pairs the message compares the prices with), and a close
    more than ``max_jump`` from the close before it among the bars the import would write.
    With ``replace`` the file is the truth over the span it covers: stored bars inside that span
    on days the file has no bar go too (another source's calendar must not leave strays behind).
    With ``only_new`` only the bars after the last stored one are taken; the seam is checked as a fetch's
    overlap is (the file's closes on the last ``overlap_days`` stored trading days must not differ by more than
    ``OVERLAP_MISMATCH`` on most of them, and the first new close is held to ``max_jump``), so a file that
    overlaps older history from another source can still extend the store.
    """
    bars = imported.bars
    latest = last_completed_trading_day(now or dt.datetime.now(dt.UTC))
    future = bars.dates > np.datetime64(latest.isoformat(), "D")
    if future.any():
        first = as_date(bars.dates[np.flatnonzero(future)[0]])
        raise DataError(
            f"{source}: {int(future.sum())} bar(s) dated after the last completed trading day ({latest.isoformat()}, "
            f"New York 17:00 close), the first {first.isoformat()}: their close has not happened; the store is "
            "unchanged. Check the file's dates (and the system clock), drop those rows and import again"
        )
    stored = store.load_or_empty(pair)
    shares_a_date = bool(np.isin(bars.dates, stored.dates).any())
    if only_new and not stored.empty:
        bars = _after_the_seam(stored, bars, source, overlap_days)
    merge = merge_bars(stored, bars, tolerance=tolerance)
    overlap = int(np.isin(bars.dates, stored.dates).sum())
    if merge.revised > FEW_DIFFERING and not replace:
        others = {p: store.load(p) for p in pairs if p != pair and store.exists(p)}
        raise DataError(_mismatch(source, pair, bars, stored, merge, overlap, tolerance, others))
    dropped = 0
    if replace and len(bars):
        inside = (stored.dates >= bars.dates[0]) & (stored.dates <= bars.dates[-1])
        stray = inside & ~np.isin(stored.dates, bars.dates)
        dropped = int(stray.sum())
        if dropped:
            merge = merge_bars(stored.take(~stray), bars, tolerance=tolerance)
    merged = merge.bars
    written = np.isin(merged.dates, np.concatenate([merge.new_dates, merge.revised_dates]))
    seam = None if shares_a_date or replace else level_jump(stored, merged, written)
    if seam is not None:  # no date to compare the closes on: the level at the seam tells another pair
        raise DataError(
            f"{source} shares no date with the stored {pair} bars, and its level is {seam.change:.1%} from theirs at "
            f"the seam ({seam.before_close:g} on {seam.before} to {seam.after_close:g} on {seam.after}), more than "
            f"{pair} can move in {seam.days} trading day(s) (its largest day here: {seam.worst:.1%}): another pair's "
            f"prices? Check --pair; the store is unchanged. If it is {pair}, import it with --replace"
        )
    # A written bar moves its own change and the next bar's: both are checked.
    checked = written | np.concatenate([[False], written[:-1]])
    jump = first_jump(merged, checked, max_jump)
    if jump is not None:
        raise DataError(
            f"{source}: {jump.describe(max_jump)}; the store is unchanged. Fix the file, or if the move is real "
            f"pass --max-jump {min(1.0, round(jump.change + 0.05, 2)):g} (or raise data.max_jump) and import again"
        )
    return ImportPlan(pair, merge, overlap, replace, dropped)


def _after_the_seam(stored: Bars, bars: Bars, source: str, overlap_days: int) -> Bars:
    """The bars of ``bars`` after the last stored one, if the file agrees with the store at the seam."""
    from fxbot.data.fetch import OVERLAP_MISMATCH, fetch_start

    last = np.datetime64(stored.last_date.isoformat(), "D")
    seam = bars.take(
        (bars.dates >= np.datetime64(fetch_start(stored, overlap_days).isoformat(), "D")) & (bars.dates <= last)
    )
    gap = close_gap(seam, stored)
    far = int((gap.differences > OVERLAP_MISMATCH).sum())
    if gap.common and far * 2 > gap.common:
        raise DataError(
            f"{source}: at the seam its closes differ from the stored ones by more than {OVERLAP_MISMATCH:.0%} on "
            f"{far} of {gap.common} day(s) up to {stored.last_date.isoformat()} (median {gap.median:.1%}): another "
            "pair or source; the store is unchanged. Check --pair and the file"
        )
    return bars.take(bars.dates > last)


def backup_path(store: PriceStore, pair: str, now: dt.datetime) -> Path:
    """Where ``apply_import`` keeps the file it replaces: ``<data dir>/backup/<PAIR>.csv.<UTC time>.bak``."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = store.directory / "backup" / f"{pair}.csv.{stamp}.bak"
    n = 1
    while path.exists():
        path = store.directory / "backup" / f"{pair}.csv.{stamp}-{n}.bak"
        n += 1
    return path


def apply_import(store: PriceStore, plan: ImportPlan, now: dt.datetime | None = None) -> Path | None:
    """Write the planned bars (atomically); when stored bars are replaced, back the old file up first.

    Returns the backup's path, or None when nothing stored was overwritten.
    """
    backup = None
    if plan.replaces_stored_bars and store.exists(plan.pair):
        backup = backup_path(store, plan.pair, now or dt.datetime.now(dt.UTC))
        # Bytes as they are (no newline translation), written atomically before the original is touched.
        atomic_write_text(backup, store.path(plan.pair).read_bytes().decode("utf-8"))
        logger.info("kept a backup of %s at %s", store.path(plan.pair), backup)
    store.save(plan.pair, plan.merge.bars)
    return backup
