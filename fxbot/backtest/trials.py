"""The trial ledger: one JSON line per walk-forward run (each variant of a sweep is one), never rewritten.

Every claim of skill is judged against the number of things tried, so every run is on record,
including the ones that lost. The file is only ever appended to: under an exclusive ``flock`` (two
runs at once cannot interleave), each record is one ``write`` of one line on a file opened with
``O_APPEND``, then ``fsync``. A crash can at worst leave a torn last line; the next append starts on
a fresh line and ``read_trials`` reports, and skips, any line that is not a record. Nothing here
deletes or rewrites a line. Standard library only.

A figure found wrong later is corrected by a *correction record* appended after it, never by editing
the trial's line: ``{"correction": n, "corrects": 5, "set": {"metrics.sharpe": -0.084}, "was": {...},
"reason": ...}`` replaces a field; ``{"correction": n, "corrects": 2, "same_as": 1, ...}`` says trial 2
made exactly trial 1's calls, so the two are one entry. ``corrected_view`` applies them in order:
the Deflated Sharpe (``fxbot.backtest.run``) counts and spreads the trials of that view. Correction
records take no trial number.

A trial may be *registered* before it runs: ``{"registration": n, "name": ..., "hypothesis": ...,
"criterion": ..., "data": ...}`` is appended first, and the trial's record, appended once it has run,
names it (``"registered": n``). A registration takes no trial number either; what was promised stays
on record above what was found.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import subprocess
from collections.abc import Callable
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


def _counted(lines: list[bytes], key: str) -> int:
    """How many of ``lines`` are records with ``key`` (corrections, registrations)."""
    count = 0
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        count += int(isinstance(value, dict) and key in value)
    return count


def _corrections(lines: list[bytes]) -> int:
    """How many of ``lines`` take no trial number (corrections and registrations)."""
    return _counted(lines, "correction") + _counted(lines, "registration")


def _append_numbered(
    path: Path, key: str, number: Callable[[list[bytes]], int], fields: dict[str, Any]
) -> dict[str, Any]:
    """Append one record ``{"format", key: number(lines), "recorded", **fields}`` to ``path``, under an exclusive
    ``flock`` (the number is counted under the lock: it is this record's place), as one ``write`` then ``fsync``.
    A torn last line (a crash mid-write) stays, and is skipped on reading: the record starts on a fresh line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        existing = path.read_bytes()
        lines = [line for line in existing.split(b"\n") if line.strip()]
        stamped = {
            "format": FORMAT_VERSION,
            key: number(lines),
            "recorded": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            **fields,
        }
        data = json.dumps(stamped, default=str, allow_nan=False).encode("utf-8") + b"\n"
        if existing and not existing.endswith(b"\n"):
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
        return stamped
    finally:
        os.close(fd)  # closing releases the lock


def append_registration(path: Path, name: str, hypothesis: str, criterion: str, data: str) -> dict[str, Any]:
    """Register a trial before it runs: what it tests, how it will be judged and on what data (appended)."""
    for field, text in (("name", name), ("hypothesis", hypothesis), ("criterion", criterion), ("data", data)):
        if not text.strip():
            raise ValueError(f"a registration needs its {field} written before the trial runs")
    if any(r.get("name") == name for r in read_trials(path).records if "registration" in r):
        raise ValueError(f"{path} already registers a trial named {name!r}; choose another name")
    fields = {"name": name, "hypothesis": hypothesis, "criterion": criterion, "data": data}
    return _append_numbered(
        path,
        "registration",
        lambda lines: _counted(lines, "registration") + 1,
        fields | {"code_version": code_version()},
    )


def registration_line(record: dict[str, Any]) -> str:
    """One line per registration for ``fxbot trials``."""
    return (
        f"registration {record.get('registration')} {record.get('recorded', '?')}: {record.get('name')}: "
        f"{record.get('hypothesis')} Criterion: {record.get('criterion')}"
    )


def append_correction(path: Path, corrects: int, reason: str, **change: Any) -> dict[str, Any]:
    """Append a correction of trial ``corrects``: ``set={"metrics.sharpe": x}`` (with ``was``) or ``same_as=n``.

    Appended like a trial (flock, one write, fsync); the trial's own line is never touched.
    """
    if not reason.strip():
        raise ValueError("a correction says why it is made")
    if set(change) - {"set", "was", "same_as"} or not ({"set", "same_as"} & set(change)):
        raise ValueError("a correction sets fields (set=..., was=...) or names the trial it repeats (same_as=...)")
    known = {r.get("trial") for r in read_trials(path).records if "trial" in r}
    targets = {corrects} | ({change["same_as"]} if "same_as" in change else set())
    if not targets <= known:
        raise ValueError(f"{path} has no trial {sorted(targets - known)}; `fxbot trials` lists them")
    fields = {"corrects": corrects, **_finite(change), "reason": reason}
    return _append_numbered(path, "correction", lambda lines: _counted(lines, "correction") + 1, fields)


def corrected_view(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trials as the corrections on record say they are: fields replaced, repeats merged into the first.

    Each trial appears once, in order, as a copy (the records are not changed); a trial repeated by
    others carries ``same_calls_as`` (their numbers). Correction records are not trials.
    """
    trials = {
        r["trial"]: json.loads(json.dumps(r))
        for r in records
        if "trial" in r and "correction" not in r and "registration" not in r
    }
    for c in (r for r in records if "correction" in r):
        trial = trials.get(c.get("corrects"))
        if trial is None:
            continue
        for dotted, value in (c.get("set") or {}).items():
            *parents, leaf = str(dotted).split(".")
            node = trial
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        first = trials.get(c.get("same_as"))
        if first is not None and c.get("same_as") != c.get("corrects"):
            first.setdefault("same_calls_as", []).append(c["corrects"])
            trial["merged_into"] = c["same_as"]
    return [t for t in trials.values() if "merged_into" not in t]


def correction_line(record: dict[str, Any]) -> str:
    """One line per correction record for ``fxbot trials``."""
    what = (
        f"trial #{record.get('corrects')} made the same calls as #{record.get('same_as')}: one entry"
        if "same_as" in record
        else ", ".join(
            f"{k} {(record.get('was') or {}).get(k, '?')} -> {v}" for k, v in (record.get("set") or {}).items()
        )
    )
    return f"correction {record.get('correction')} {record.get('recorded', '?')}: {what} ({record.get('reason', '')})"


def append_trial(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append ``record`` (stamped with ``format``, ``recorded`` and ``trial``, its 1-based number) to ``path``."""
    return _append_numbered(path, "trial", lambda lines: len(lines) - _corrections(lines) + 1, _finite(record))


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
