"""Who delivers a day to a destination: an exclusive ``flock`` per day and destination, released
when its process dies.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from fxbot.errors import LeaseHeldError
from fxbot.ledger.db import now

logger = logging.getLogger(__name__)


@contextmanager
def file_lease(folder: Path, as_of: dt.date, destination: str, wait_seconds: float) -> Iterator[None]:
    """An exclusive flock on ``folder/<day>.<destination hash>.lock``; the holder's pid and start time inside."""
    import fcntl
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(destination.encode()).hexdigest()[:12]
    path = folder / f"{as_of.isoformat()}.{key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        logged = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                    raise LeaseHeldError(
                        f"another fxbot run ({holder}) is still delivering the calls as of {as_of.isoformat()} "
                        f"to {destination}; not posting twice. `fxbot status` shows the runs; this one gave up "
                        f"after {wait_seconds:g} s"
                    ) from None
                if not logged:
                    logger.warning("another fxbot run is delivering %s to %s; waiting for it", as_of, destination)
                    logged = True
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {now()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def no_lease() -> AbstractContextManager[None]:
    """The lease of a ledger that records nothing: no other run can be told apart, so none is waited for."""
    return nullcontext()
