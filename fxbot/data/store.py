"""PriceStore: one validated CSV file of bars per pair, written atomically.

File format (``<dir>/<PAIR>.csv``): ``date,open,high,low,close,volume`` with ISO dates. A write goes
to a temporary file in the same folder, is fsynced, then renamed over the old file, and the folder
is fsynced: a crash at any point leaves either the old file or the new one, never a mix.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fxbot.data.bars import COLUMNS, PRICE_COLUMNS, empty_bars, validate_bars
from fxbot.errors import DataError

logger = logging.getLogger(__name__)

# A temporary file this old is a leftover of a killed writer, not a write in progress.
LEFTOVER_AGE_SECONDS = 600.0


@dataclass(frozen=True)
class MergeResult:
    """What merging new bars into stored ones changed."""

    bars: pd.DataFrame
    new: int
    revised: int
    unchanged: int

    @property
    def changed(self) -> bool:
        """True if anything would be written."""
        return bool(self.new or self.revised)


def merge_bars(stored: pd.DataFrame, incoming: pd.DataFrame, *, tolerance: float = 1e-9) -> MergeResult:
    """Merge ``incoming`` into ``stored``: new dates are added, differing ones replaced (revised).

    A revised bar is one whose prices differ by more than ``tolerance`` (relative).
    """
    if incoming.empty:
        return MergeResult(stored, 0, 0, 0)
    common = incoming.index.intersection(stored.index)
    new_dates = incoming.index.difference(stored.index)
    old = stored.loc[common, PRICE_COLUMNS].to_numpy(dtype="float64")
    upd = incoming.loc[common, PRICE_COLUMNS].to_numpy(dtype="float64")
    differs = (np.abs(upd - old) > tolerance * np.abs(old)).any(axis=1) if len(common) else np.zeros(0, bool)
    revised_dates = common[differs]
    merged = stored.copy()
    if len(revised_dates):
        merged.loc[revised_dates, COLUMNS] = incoming.loc[revised_dates, COLUMNS].to_numpy()
    if len(new_dates):
        merged = pd.concat([merged, incoming.loc[new_dates, COLUMNS]])
    merged = merged.sort_index()
    merged["volume"] = merged["volume"].astype("int64")
    return MergeResult(merged, len(new_dates), len(revised_dates), int(len(common) - len(revised_dates)))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; keep the file's own (or a readable) mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class PriceStore:
    """Read, validate, merge and atomically write the bar files of a data folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, pair: str) -> Path:
        """The CSV file of ``pair``."""
        return self.directory / f"{pair}.csv"

    def exists(self, pair: str) -> bool:
        """True if a file for ``pair`` exists."""
        return self.path(pair).is_file()

    def load(self, pair: str) -> pd.DataFrame:
        """Load and validate the bars of ``pair``; a missing or invalid file is a DataError."""
        path = self.path(pair)
        if not path.is_file():
            raise DataError(
                f"no price file for {pair} at {path}; run `fxbot fetch` or `fxbot import-csv FILE --pair {pair}`"
            )
        try:
            frame = pd.read_csv(path, dtype={c: "float64" for c in PRICE_COLUMNS})
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(
                f"{path}: cannot parse as CSV ({str(exc).splitlines()[0]}); restore it from backup or re-import"
            ) from None
        missing = [c for c in ["date", *PRICE_COLUMNS] if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected date,{','.join(COLUMNS)}")
        try:
            index = pd.DatetimeIndex(pd.to_datetime(frame["date"], format="%Y-%m-%d"), name="date")
        except ValueError as exc:
            raise DataError(f"{path}: a date is not YYYY-MM-DD ({exc}); fix the row") from None
        bars = frame[PRICE_COLUMNS].set_axis(index)
        bars["volume"] = frame["volume"].fillna(0).astype("int64").to_numpy() if "volume" in frame else 0
        validate_bars(bars, str(path))
        return bars

    def load_or_empty(self, pair: str) -> pd.DataFrame:
        """Like ``load`` but an absent file gives an empty frame."""
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

    def save(self, pair: str, bars: pd.DataFrame) -> None:
        """Validate then atomically replace the file of ``pair`` with ``bars``."""
        validate_bars(bars, f"bars for {pair}")
        self.remove_leftovers(pair)
        out = bars[COLUMNS].copy()
        out.index = out.index.strftime("%Y-%m-%d")
        out.index.name = "date"
        atomic_write_text(self.path(pair), out.to_csv(float_format="%.10g", lineterminator="\n"))

    def merge(self, pair: str, incoming: pd.DataFrame) -> MergeResult:
        """Validate ``incoming``, merge it with what is stored, and write if anything changed."""
        validate_bars(incoming, f"new bars for {pair}")
        result = merge_bars(self.load_or_empty(pair), incoming)
        if result.changed:
            self.save(pair, result.bars)
        return result

    def checksum(self, pair: str) -> str:
        """SHA-256 of the stored file (recorded in model manifests)."""
        return hashlib.sha256(self.path(pair).read_bytes()).hexdigest()
