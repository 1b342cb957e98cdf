"""The daemon's liveness file, and `fxbot status --health` (the Docker HEALTHCHECK) that reads it.

While ``fxbot schedule`` is healthy its watchdog thread touches ``<ledger folder>/fxbot-daemon.alive``
every few seconds (the same beat that feeds systemd's watchdog, so a wedged scheduler or a child
outliving its timeout stops both). ``health_check`` answers from the file's age alone: healthy (0)
if it was touched within ``heartbeat.max_age_seconds``, else unhealthy (1). Docker knows only
those two codes. Stale data or a failed run do not make the container unhealthy: restarting it
fixes neither; they are alerted, and `fxbot status` and the metrics report them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

ALIVE_FILE_NAME = "fxbot-daemon.alive"


def alive_file_for(ledger_path: Path) -> Path:
    """Where the daemon keeps its liveness file: beside the ledger (a folder it can write)."""
    return Path(ledger_path).parent / ALIVE_FILE_NAME


class AliveFile:
    """The liveness file: written with the daemon's pid at start, then touched on every beat."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._warned = False

    def begin(self) -> None:
        """Create (or replace) the file with this process's pid."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"{os.getpid()}\n", encoding="ascii")
        except OSError as exc:
            self._warn(exc)

    def touch(self) -> None:
        """Mark the daemon alive now."""
        try:
            self.path.touch()
        except OSError as exc:
            self._warn(exc)

    def _warn(self, exc: OSError) -> None:
        if not self._warned:
            self._warned = True
            logger.warning(
                "cannot write the liveness file %s (%s); `status --health` will fail", self.path, exc.strerror
            )


def health_check(path: Path, max_age: float, now: Callable[[], float] = time.time) -> tuple[int, str]:
    """(0, line) if the daemon touched ``path`` within ``max_age`` seconds, else (1, why not)."""
    try:
        age = now() - path.stat().st_mtime
    except FileNotFoundError:
        return 1, f"daemon: unhealthy: no liveness file {path} (`fxbot schedule` is not running, or has not started)"
    except OSError as exc:
        return 1, f"daemon: unhealthy: cannot read {path}: {exc.strerror}"
    try:
        with path.open("rb") as handle:  # a pid: a few bytes, never a whole file whatever it holds
            pid = handle.read(32).decode("ascii").strip()
        pid = pid if pid.isdigit() else "?"
    except (OSError, UnicodeDecodeError):
        pid = "?"
    if age > max_age:
        return 1, (
            f"daemon: unhealthy: no sign of life for {age:.0f} s (pid {pid}; limit {max_age:.0f} s, "
            "heartbeat.max_age_seconds): it is wedged or gone; see its log"
        )
    return 0, f"daemon: alive (pid {pid}), last sign of life {max(age, 0):.0f} s ago"
