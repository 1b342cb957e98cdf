"""The promotions log: one JSON line per change of champion (and per gate decision), appended and fsynced.

``<model.dir>/promotions.jsonl`` is the registry's record: ``when, pair, action, from, to, by
(schedule | user), evidence``. This module reads and appends it; what the lines mean for the
champion (a promotion pushes, a rollback pops) is ``champion_stack`` and ``decided``. The registry
(``fxbot.model.registry``) appends under its lock.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import msgspec

from fxbot.safefiles import MAX_LOG_BYTES, read_bounded

logger = logging.getLogger(__name__)

By = Literal["schedule", "user"]
# ``keep``: a challenger kept out by the gate before it retired (older logs); ``retire``: the gate's no.
Action = Literal["migrate", "seed", "promote", "rollback", "recover", "keep", "retire", "passed", "import"]
# Actions that make ``to`` the champion (rollback does too, but pops the history instead of pushing).
PUSHES = ("migrate", "seed", "promote", "recover")


class Entry(msgspec.Struct, frozen=True):
    """One line of the promotions log."""

    at: str  # UTC, ISO 8601
    pair: str
    action: Action
    from_version: str | None
    to_version: str | None
    by: By
    evidence: dict[str, Any] = msgspec.field(default_factory=dict)

    def to_json(self) -> str:
        """The log line (without its newline)."""
        return json.dumps(
            {
                "at": self.at,
                "pair": self.pair,
                "action": self.action,
                "from": self.from_version,
                "to": self.to_version,
                "by": self.by,
                "evidence": self.evidence,
            },
            sort_keys=False,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, line: str) -> Entry:
        """Parse one log line (ValueError if it is not one)."""
        raw = json.loads(line)
        if not isinstance(raw, dict) or not isinstance(raw.get("pair"), str) or not isinstance(raw.get("action"), str):
            raise ValueError("not a promotions-log record")
        return cls(
            at=str(raw.get("at", "")),
            pair=raw["pair"],
            action=raw["action"],
            from_version=raw.get("from"),
            to_version=raw.get("to"),
            by=raw.get("by", "user"),
            evidence=raw.get("evidence") or {},
        )


_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: object) -> None:
    """Log ``message`` once per process (the log is read several times per run)."""
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def read_log(path: Path, pair: str | None = None) -> list[Entry]:
    """The log at ``path`` (of ``pair``, or all), oldest first; a damaged line is skipped with a warning."""
    try:
        data = read_bounded(path, MAX_LOG_BYTES, "move the old log aside (it is a plain record)")
    except FileNotFoundError:
        return []
    out = []
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            entry = Entry.from_json(raw.decode("utf-8"))
        except UnicodeDecodeError:
            _warn_once(f"{path}:{number}", "%s line %d is not UTF-8 text; skipped", path, number)
            continue
        except ValueError:
            logger.warning("%s line %d is not a record (an interrupted write?); skipped", path, number)
            continue
        if pair is None or entry.pair == pair:
            out.append(entry)
    return out


def append_entry(path: Path, entry: Entry) -> None:
    """Append one line to the log at ``path`` and fsync it (a torn last line from a crash is ended first)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        prefix = b""
        if size:
            with path.open("rb") as handle:
                handle.seek(size - 1)
                prefix = b"" if handle.read(1) == b"\n" else b"\n"
        os.write(fd, prefix + entry.to_json().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def champion_stack(entries: Iterable[Entry]) -> list[str]:
    """The champions as ``entries`` (one pair's log) tell, each promotion pushing and each rollback popping."""
    stack: list[str] = []
    for entry in entries:
        if entry.action in PUSHES and entry.to_version:
            stack.append(entry.to_version)
        elif entry.action == "rollback" and stack:
            stack.pop()
    return stack


def decided(entries: list[Entry]) -> set[str]:
    """Versions that ``entries`` (one pair's log) show were champion once or were judged and kept out."""
    out = set(champion_stack(entries))
    for entry in entries:
        if entry.to_version and entry.action in (*PUSHES, "keep", "retire", "passed", "rollback"):
            out.add(entry.to_version)
        if entry.from_version and entry.action == "rollback":
            out.add(entry.from_version)
    return out
