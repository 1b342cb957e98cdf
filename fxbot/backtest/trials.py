"""The trial ledger: one JSON line per walk-forward run (each variant of a sweep is one), never rewritten.

Every claim of skill is judged against the number of things tried, so every run is on record,
including the ones that lost. The file is only ever appended to: under an exclusive ``flock`` (two
runs at once cannot interleave), each record is one ``write`` of one line on a file opened with
``O_APPEND``, then ``fsync``. A crash can at worst leave a torn last line; the next append starts on
a fresh line and ``read_trials`` reports, and skips, any line that is not a record. Nothing here
deletes or rewrites a line. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fxbot import __version__
from fxbot.errors import DataError

FORMAT_VERSION = 1


def config_hash(parts: dict[str, Any]) -> str:
    """sha256 (first 16 hex digits) of the canonical JSON of what defines a trial."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def code_version() -> str:
    """``git describe --always --dirty`` of the checkout fxbot runs from, else the package version."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return __version__
    described = out.stdout.strip()
    return f"{__version__}+git.{described}" if out.returncode == 0 and described else __version__


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def append_trial(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append ``record`` (stamped with ``format``, ``recorded`` and ``trial``, its 1-based number) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with path.open("rb") as reader:  # count under the lock: the number is this record's place
            existing = reader.read()
        lines = [line for line in existing.split(b"\n") if line.strip()]
        stamped = {
            "format": FORMAT_VERSION,
            "trial": len(lines) + 1,
            "recorded": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            **_finite(record),
        }
        data = json.dumps(stamped, sort_keys=False, default=str, allow_nan=False).encode("utf-8") + b"\n"
        if existing and not existing.endswith(b"\n"):
            data = b"\n" + data  # a torn last line (a crash mid-write) stays, and is skipped on reading
        os.write(fd, data)
        os.fsync(fd)
        return stamped
    finally:
        os.close(fd)  # closing releases the lock


@dataclass(frozen=True)
class Ledger:
    """The records of a trials file, and the lines that were not records (line number, reason)."""

    records: list[dict[str, Any]]
    bad_lines: list[tuple[int, str]]


def read_trials(path: Path) -> Ledger:
    """Every record of ``path`` (none if the file does not exist yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger([], [])
    except OSError as exc:
        raise DataError(f"cannot read the trials file {path}: {exc.strerror}") from None
    records, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            bad.append((number, "not JSON (a torn write?)"))
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            bad.append((number, "not a record"))
    return Ledger(records, bad)


def _num(value: Any, pattern: str) -> str:
    return format(value, pattern) if isinstance(value, int | float) else "n/a"


def trial_line(record: dict[str, Any]) -> str:
    """One line per trial for ``fxbot trials``."""
    m = record.get("metrics", {})
    periods = record.get("periods", {})
    return (
        f"#{record.get('trial', '?')} {record.get('recorded', '?')} {record.get('variant', '?')} "
        f"[{record.get('feature_set', '?')}, {record.get('target', '?')}, {record.get('units', '?')} units] "
        f"{periods.get('from', '?')}..{periods.get('to', '?')} {periods.get('retrain', '')}: "
        f"accuracy {_num(m.get('accuracy'), '.1%')} vs always-buy {_num(m.get('always_buy_accuracy'), '.1%')} "
        f"on {m.get('calls', '?')} calls, Sharpe {_num(m.get('sharpe'), '.2f')} "
        f"(config {record.get('config_hash', '?')}, code {record.get('code_version', '?')})"
    )
