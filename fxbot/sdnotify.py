"""systemd's notify protocol by hand (``sd_notify``): READY, STATUS, WATCHDOG and STOPPING datagrams.

With ``Type=notify`` systemd passes ``NOTIFY_SOCKET`` (a unix datagram socket; a leading ``@`` is the
abstract namespace) and, with ``WatchdogSec=``, ``WATCHDOG_USEC`` (and ``WATCHDOG_PID``). Each message
is one datagram of ``KEY=value`` lines, sent without waiting (a full queue drops it). Without
``NOTIFY_SOCKET`` every call is a no-op, so the same daemon runs under systemd, Docker, or a terminal.

``Watchdog`` is the thread that feeds systemd's watchdog: every ``interval`` seconds it asks
``problem()`` and only if there is none does it call ``beat()`` (``WATCHDOG=1``, and the liveness file
that ``fxbot status --health`` reads). The daemon's ``problem()`` names one when its scheduler has
stopped ticking or a daily child has outlived its timeout, so a wedged daemon stops the pings and
systemd restarts it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends notify datagrams to ``address`` (``NOTIFY_SOCKET``); with no address, nothing."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self.address = address or None
        self.watchdog_usec = watchdog_usec
        self._warned = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SystemdNotifier:
        """From systemd's variables; ``WATCHDOG_USEC`` counts only if ``WATCHDOG_PID`` is unset or this process."""
        usec: int | None = None
        pid = environ.get("WATCHDOG_PID", "").strip()
        if not pid or pid == str(os.getpid()):
            try:
                usec = int(environ.get("WATCHDOG_USEC", "").strip()) or None
            except ValueError:
                usec = None
        return cls(environ.get("NOTIFY_SOCKET", "").strip() or None, usec)

    @property
    def enabled(self) -> bool:
        """True if there is a socket to notify."""
        return self.address is not None

    @property
    def watchdog_seconds(self) -> float | None:
        """systemd's watchdog timeout (``WatchdogSec=``), or None if there is none."""
        return self.watchdog_usec / 1e6 if self.watchdog_usec else None

    def notify(self, *lines: str) -> bool:
        """Send one datagram of ``KEY=value`` lines; True if it was sent (False without a socket or on error)."""
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        payload = "\n".join(line.replace("\n", " ") for line in lines).encode("utf-8", "replace")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # Never wait: a receiver that does not read (a busy or stuck PID 1) fills its queue of a few
                # datagrams, and a blocking send would then hang the daily job or the watchdog thread.
                sock.sendto(payload, socket.MSG_DONTWAIT, target)
        except OSError as exc:
            if not self._warned:  # a notify that fails is systemd's problem to report; say it once
                self._warned = True
                logger.warning("sd_notify to %s failed: %s (not repeated)", self.address, exc)
            return False
        return True

    def ready(self, status: str) -> bool:
        """``READY=1`` with a status line: start-up is complete."""
        return self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> bool:
        """``STATUS=...``: the line `systemctl status` shows."""
        return self.notify(f"STATUS={status}")

    def watchdog(self) -> bool:
        """``WATCHDOG=1``: still alive."""
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str) -> bool:
        """``STOPPING=1``: shutting down on purpose."""
        return self.notify("STOPPING=1", f"STATUS={status}")


class Watchdog:
    """A daemon thread that calls ``beat()`` every ``interval`` seconds while ``problem()`` returns None."""

    def __init__(self, interval: float, problem: Callable[[], str | None], beat: Callable[[], None]) -> None:
        self.interval = interval
        self.problem = problem
        self.beat = beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fxbot-watchdog", daemon=True)
        self._silent = False

    def start(self) -> None:
        """Start beating (the first beat is immediate)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop beating; returns once the thread has ended (at most one interval)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                problem = self.problem()
                if problem is None:
                    self._silent = False
                    self.beat()
                elif not self._silent:
                    self._silent = True
                    logger.error("%s: the watchdog stops beating (systemd restarts a wedged daemon)", problem)
            except Exception:  # the watchdog must outlive any one bad beat
                logger.exception("watchdog beat failed")
            self._stop.wait(self.interval)
