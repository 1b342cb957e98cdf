"""Paths made from data, files read from outside, and files written whole: one rule for each.

A path built from a manifest field, a pair or a version (``models/<PAIR>/<VERSION>``) is made by
``child_path``: the name must match a strict pattern (no separator, no ``..``, no hidden name) and the
result must resolve inside its root. Folder names come from the registry's own scheme, never from
a file.

A file the daily path parses (a champion pointer, the promotions log, a manifest, a held-back
walk-forward) is read by ``read_bounded``: a regular file only (a FIFO or a device never blocks or
floods the run) and at most a fixed number of bytes, else one line naming the file and its limit.

A file replaced whole (a champion pointer, a checksum, the metrics textfile, a page) is written by
``write_atomic``: a reader or a crash finds the old file or the new one, never half of either. A
generated file that a setting names goes through ``replace_generated`` first, which replaces only a
file of its own kind.

Pure standard library: the daily path uses it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable
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


Step = Callable[[str], None]
#: The steps of ``write_atomic``, in order; ``on_step`` is called after each (the kill tests stop there).
WRITE_STEPS = ("temp-written", "temp-synced", "replaced", "dir-synced")


def write_atomic(
    path: Path, data: bytes | str, *, mode: int = 0o644, sync_dir: bool = False, on_step: Step | None = None
) -> None:
    """Replace ``path`` with ``data`` (a ``str`` is written as UTF-8) so that a reader, or a crash at any
    point, finds the old file or the new one, never half of either.

    The one atomic write of fxbot: a temporary file ``.NAME.PID.tmp`` in the same folder, created
    exclusively without following a link (a stale one from a killed run is removed first), written,
    fsynced and given ``mode`` whatever the umask, then renamed over ``path`` with ``os.replace``;
    with ``sync_dir`` the folder is fsynced too, so the rename itself survives a power loss. On any
    failure the temporary file is removed and ``path`` is left as it was. ``on_step`` is called with
    each of ``WRITE_STEPS`` once it is done ("dir-synced" only with ``sync_dir``). What ``path`` may
    be replaced is the caller's rule (``replace_generated`` checks it first).
    """
    step = on_step or (lambda name: None)
    payload = data.encode() if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        with os.fdopen(out, "wb") as handle:
            handle.write(payload)
            handle.flush()
            step("temp-written")
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # whatever the umask: node_exporter, a web server or the daemon's user reads it
        step("temp-synced")
        os.replace(tmp, path)
        step("replaced")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir:
        fsync_dir(path.parent)
        step("dir-synced")


def fsync_dir(folder: Path) -> None:
    """fsync the folder ``folder``: a file created, renamed or removed in it is on disk after this."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_generated(
    path: Path, data: bytes, marker: bytes, *, also: tuple[bytes, ...] = (), mode: int = 0o644
) -> None:
    """Replace the generated file ``path`` with ``data`` (which starts with ``marker``), atomically.

    Only a file of its own kind is replaced: absent, empty, or a regular file that starts with
    ``marker`` (or one of ``also``, what older versions wrote). A symbolic link, a device, a FIFO,
    a folder or any other file is refused with ``OSError`` (``EEXIST``) naming it: a mistyped
    setting never destroys the ledger, a bar file or a champion pointer. Never follows a link: the
    temporary file is created exclusively, without following one.
    """
    if not data.startswith(marker):
        raise ValueError("a generated file starts with its marker")
    fd = -1
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.EEXIST, f"{path} is a symbolic link; fxbot replaces only a file it wrote") from None
        raise
    if fd >= 0:
        try:
            info = os.fstat(fd)
            head = os.read(fd, 256) if stat.S_ISREG(info.st_mode) else b""
        finally:
            os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EEXIST, f"{path} is not a regular file; fxbot replaces only a file it wrote")
        if head and not any(head.startswith(kind) for kind in (marker, *also)):
            raise OSError(
                errno.EEXIST, f"{path} is not a file fxbot wrote (it lacks {marker.decode(errors='replace')!r})"
            )
    write_atomic(path, data, mode=mode)


def claim_folder(folder: Path, owns: Callable[[Path], bool], what: str, fix: str) -> None:
    """Make sure ``folder`` is fxbot's to write into: new, empty, or one ``owns`` recognises as its own kind.

    A generated folder (a backtest report, `train --out`) replaces files by name; pointed by mistake at a
    folder of other files (a home folder, a data folder) it would overwrite them. Refused with a
    ``UsageError`` naming the folder, one of its files and ``fix``. A symbolic link is refused too.
    """
    from fxbot.errors import UsageError

    if folder.is_symlink():
        raise UsageError(f"{what} {folder} is a symbolic link; {fix}")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise UsageError(f"{what} {folder} is not a folder; {fix}")
    entries = sorted(p.name for p in folder.iterdir())
    if not entries or owns(folder):
        return
    raise UsageError(f"{what} {folder} holds files fxbot did not write (e.g. {entries[0]}); {fix}")


def starts_with(path: Path, marker: bytes) -> bool:
    """True if ``path`` is a regular file (not a link) whose first bytes are ``marker``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(marker)) == marker
    finally:
        os.close(fd)
