"""Paths made from data, and files read from outside: the one rule for both.

A path built from a manifest field, a pair or a version (``models/<PAIR>/<VERSION>``) is made by
``child_path``: the name must match a strict pattern (no separator, no ``..``, no hidden name) and the
result must resolve inside its root. Folder names come from the registry's own scheme, never from
a file.

A file the daily path parses (a champion pointer, the promotions log, a manifest, a held-back
walk-forward) is read by ``read_bounded``: a regular file only (a FIFO or a device never blocks or
floods the run) and at most a fixed number of bytes, else one line naming the file and its limit.

Pure standard library: the daily path uses it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from fxbot.errors import FxbotError, ModelError

#: A pair code as folders are named: six capital letters (USDJPY). Lowercase is not a pair folder.
PAIR_NAME = re.compile(r"[A-Z]{6}")
#: A version as the registry names it: PAIR-YYYYMMDD-8 hex digits (USDJPY-20241231-1a2b3c4d).
VERSION_NAME = re.compile(r"[A-Z]{6}-[0-9]{8}-[0-9a-f]{8}")
#: A calendar day as a manifest writes it.
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: Caps of the files the daily path parses (each far above what fxbot writes).
MAX_POINTER_BYTES = 4 * 1024
MAX_JSON_BYTES = 1024 * 1024
MAX_LOG_BYTES = 32 * 1024 * 1024


def child_path(
    root: Path, name: str, pattern: re.Pattern[str], what: str, error: type[FxbotError] = ModelError
) -> Path:
    """``root / name`` once ``name`` fully matches ``pattern`` and the result resolves inside ``root``.

    Raises ``error`` (one line naming the value) otherwise: a name from data never walks out of its room.
    """
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise error(f"{what} {name!r} is not a valid name here (expected {pattern.pattern}); refused")
    path = Path(root) / name
    base = Path(root).resolve()
    resolved = path.resolve()
    if resolved.parent != base:  # a symlinked entry pointing elsewhere
        raise error(f"{what} {name!r}: {path} resolves to {resolved}, outside {base}; refused")
    return path


def read_bounded(path: Path, limit: int, fix: str, error: type[FxbotError] = ModelError) -> bytes:
    """The bytes of the regular file ``path`` if it holds at most ``limit`` of them.

    ``FileNotFoundError`` passes through (absent is the caller's case); anything else that is not a
    regular file, or a larger one, raises ``error`` naming the file, the limit and ``fix``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO must not hang
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror}); {fix}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path} is not a regular file; {fix}")
        if info.st_size > limit:
            raise error(f"{path} is {info.st_size:,} bytes, more than the {limit:,} fxbot reads; {fix}")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror}); {fix}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while read
        raise error(f"{path} is more than the {limit:,} bytes fxbot reads; {fix}")
    return data


#: errno values that mean "this folder or file cannot take the write", not a bug.
WRITE_REFUSED = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.ENOSPC, errno.EDQUOT})


def write_refused(exc: OSError) -> str | None:
    """The fix for a write the system refused (read-only, permission, file-size limit, full disk), or None."""
    if exc.errno == errno.EROFS:
        return "the file system is read-only: mount it read-write or point the setting at a writable folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "fxbot may not write there: give its user write access or point the setting at a writable folder"
    if exc.errno == errno.EFBIG:
        return "a file-size limit (ulimit -f, LimitFSIZE=) stops the write: raise or remove it"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk (or the quota) is full: free some space"
    return None
