"""PriceStore: one validated CSV file of bars per pair, written atomically.

File format (``<dir>/<PAIR>.csv``): ``date,open,high,low,close,volume`` with ISO dates. A write goes
to a temporary file in the same folder, is fsynced, then renamed over the old file, and the folder
is fsynced: a crash at any point leaves either the old file or the new one, never a mix.

Reading and writing use numpy and the standard library only (no pandas): the store is on the
daily path.
"""

from __future__ import annotations

import io
import logging
import time
import warnings
from pathlib import Path

import msgspec
import numpy as np

from fxbot.data.bars import COLUMNS, Bars, concat_bars, empty_bars, make_bars, validate_bars
from fxbot.errors import DataError

logger = logging.getLogger(__name__)

# A temporary file this old is a leftover of a killed writer, not a write in progress.
LEFTOVER_AGE_SECONDS = 600.0
HEADER = "date," + ",".join(COLUMNS)


class MergeResult(msgspec.Struct, frozen=True):
    """What merging new bars into stored ones changed."""

    bars: Bars
    new_dates: np.ndarray  # datetime64[D] days that were not stored
    revised_dates: np.ndarray  # stored days whose prices differed
    unchanged: int

    @property
    def new(self) -> int:
        """How many bars were added."""
        return len(self.new_dates)

    @property
    def revised(self) -> int:
        """How many stored bars were replaced."""
        return len(self.revised_dates)

    @property
    def changed(self) -> bool:
        """True if anything would be written."""
        return bool(self.new or self.revised)


def merge_bars(stored: Bars, incoming: Bars, *, tolerance: float = 1e-9) -> MergeResult:
    """Merge ``incoming`` into ``stored``: new dates are added, differing ones replaced (revised).

    A revised bar is one whose prices differ by more than ``tolerance`` (relative). Both must be
    sorted by date with unique dates (``validate_bars``).
    """
    none = np.empty(0, dtype="datetime64[D]")
    if incoming.empty:
        return MergeResult(stored, none, none, 0)
    in_stored = np.isin(incoming.dates, stored.dates)
    common = incoming.dates[in_stored]
    old = stored.prices[np.searchsorted(stored.dates, common)]
    upd = incoming.prices[in_stored]
    differs = (np.abs(upd - old) > tolerance * np.abs(old)).any(axis=1)
    # The incoming bar wins where it is new or differs; elsewhere the stored bar stays as it is.
    replace = np.zeros(len(incoming), dtype=bool)
    replace[np.flatnonzero(in_stored)[differs]] = True
    keep_stored = ~np.isin(stored.dates, incoming.dates[replace])
    merged = concat_bars([stored.take(keep_stored), incoming.take(replace | ~in_stored)])
    order = np.argsort(merged.dates, kind="stable")
    return MergeResult(merged.take(order), incoming.dates[~in_stored], common[differs], int((~differs).sum()))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, never half of one.

    A write the system refuses (a read-only folder, no permission, a file-size limit, a full disk)
    is a DataError (exit 3) naming the file and the fix; the old file is left as it was.
    """
    from fxbot.safefiles import write_refused

    try:
        _atomic_write_text(path, text)
    except OSError as exc:
        fix = write_refused(exc)
        if fix is None:
            raise
        raise DataError(f"cannot write {path} ({exc.strerror}); the stored file is unchanged: {fix}") from None


def _atomic_write_text(path: Path, text: str) -> None:
    from fxbot.safefiles import write_atomic  # here, not at the top: the daily path reads the store, never writes

    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # keep the file's own (or a readable) mode
    write_atomic(path, text, mode=mode, sync_dir=True)


def format_bars_csv(bars: Bars) -> str:
    """The file text of ``bars``: ISO dates, prices with 10 significant digits, whole volumes."""
    days = bars.dates.astype(str)
    lines = [HEADER]
    lines.extend(
        f"{days[i]},{bars.open[i]:.10g},{bars.high[i]:.10g},{bars.low[i]:.10g},{bars.close[i]:.10g},"
        f"{int(bars.volume[i])}"
        for i in range(len(bars))
    )
    return "\n".join(lines) + "\n"


def _line_error(path: str, line_no: int, what: str) -> DataError:
    return DataError(f"{path}: line {line_no}: {what}; restore the file from backup or re-import")


def parse_bars_csv(text: str, path: str) -> Bars:
    """Parse a store file (a header naming date and the price columns, then one bar per line).

    A file as fxbot writes it goes through numpy's C parser (a few ms for 5,000 bars); anything
    else, or a file it refuses, is read line by line so that the DataError names the bad line.
    The bars still need ``validate_bars``.
    """
    if text.startswith(HEADER + "\n"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # "input contained no data" is a file to look at, not a warning
                values = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, usecols=(1, 2, 3, 4, 5), ndmin=2)
                days = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, usecols=(0,), dtype="datetime64[D]")
            volume = values[:, 4]
            if np.all(np.isfinite(volume) & (volume == np.floor(volume))):
                o, h, low, c = values[:, :4].T
                return make_bars(days.reshape(-1), o, h, low, c, volume.astype("int64"))
        except (ValueError, UserWarning):
            pass
    return _parse_lines(text, path)


def _parse_lines(text: str, path: str) -> Bars:
    lines = text.splitlines()
    if not lines:
        raise DataError(f"{path}: the file is empty; restore it from backup or re-import")
    header = [c.strip() for c in lines[0].split(",")]
    missing = [c for c in ["date", *COLUMNS[:4]] if c not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected {HEADER}")
    date_col = header.index("date")
    price_cols = [header.index(c) for c in COLUMNS[:4]]
    vol_col = header.index("volume") if "volume" in header else None
    body = [(n, line) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    dates: list[str] = []
    prices = np.empty((len(body), 4), dtype="float64")
    volume = np.zeros(len(body), dtype="int64")
    for row, (line_no, line) in enumerate(body):
        cells = line.split(",")
        if len(cells) != len(header):
            raise _line_error(path, line_no, f"{len(cells)} fields where the header has {len(header)}")
        dates.append(cells[date_col].strip())
        try:
            prices[row] = [float(cells[c]) if cells[c].strip() else np.nan for c in price_cols]
        except ValueError:
            raise _line_error(path, line_no, "a price is not a number") from None
        if vol_col is not None and cells[vol_col].strip():
            try:
                volume[row] = int(float(cells[vol_col]))
            except (ValueError, OverflowError):
                raise _line_error(path, line_no, "the volume is not a whole number") from None
    text_dates = np.array(dates, dtype=str)
    try:
        days = np.array(dates, dtype="datetime64[D]")
        ok = days.astype(str) == text_dates  # rejects 2024-1-5, 2024-01 and other non-YYYY-MM-DD forms
    except ValueError:
        ok = np.array([_is_iso_day(d) for d in dates], dtype=bool)
        days = np.empty(0, dtype="datetime64[D]")
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise DataError(f"{path}: line {body[bad][0]}: the date {dates[bad][:20]!r} is not YYYY-MM-DD; fix the row")
    return make_bars(days, prices[:, 0], prices[:, 1], prices[:, 2], prices[:, 3], volume)


def _is_iso_day(text: str) -> bool:
    try:
        return str(np.datetime64(text, "D")) == text
    except ValueError:
        return False


class PriceStore:
    """Read, validate and atomically write the bar files of a data folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, pair: str) -> Path:
        """The CSV file of ``pair``."""
        return self.directory / f"{pair}.csv"

    def exists(self, pair: str) -> bool:
        """True if a file for ``pair`` exists."""
        return self.path(pair).is_file()

    def load(self, pair: str) -> Bars:
        """Load and validate the bars of ``pair``; a missing or invalid file is a DataError."""
        path = self.path(pair)
        if not path.is_file():
            raise DataError(
                f"no price file for {pair} at {path}; run `fxbot fetch` or `fxbot import-csv FILE --pair {pair}`"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path}: not UTF-8 text; restore it from backup or re-import") from None
        bars = parse_bars_csv(text, str(path))
        validate_bars(bars, str(path))
        return bars

    def load_or_empty(self, pair: str) -> Bars:
        """Like ``load`` but an absent file gives empty bars."""
        return self.load(pair) if self.exists(pair) else empty_bars()

    def remove_leftovers(self, pair: str, older_than: float = LEFTOVER_AGE_SECONDS) -> list[Path]:
        """Delete temporary files a killed writer of ``pair`` left behind; returns what was removed.

        Only files older than ``older_than`` seconds go, so a write in progress elsewhere is never touched.
        """
        removed = []
        cutoff = time.time() - older_than
        for leftover in self.directory.glob(f".{pair}.csv.*.tmp"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed.append(leftover)
            except FileNotFoundError:  # another process cleaned it first
                continue
        for path in removed:
            logger.warning("removed %s, a temporary file left by an interrupted write", path)
        return removed

    def save(self, pair: str, bars: Bars) -> None:
        """Validate then atomically replace the file of ``pair`` with ``bars``."""
        validate_bars(bars, f"bars for {pair}")
        self.remove_leftovers(pair)
        atomic_write_text(self.path(pair), format_bars_csv(bars))

    def checksum(self, pair: str) -> str:
        """SHA-256 of the stored file (recorded in model manifests)."""
        import hashlib

        return hashlib.sha256(self.path(pair).read_bytes()).hexdigest()
