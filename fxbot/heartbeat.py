"""The dead-man's switch: pings to ``FXBOT_PING_URL`` when a daily job starts and ends.

healthchecks.io conventions (which other services accept too): ``<url>/start`` when a job starts,
``<url>`` when it succeeds, ``<url>/<exit code>`` when it fails, each with ``?rid=<uuid>`` so the
service pairs a job's start with its end. If the pings stop, the service alerts: that covers what
fxbot cannot report itself (the VM is gone, the timer never fired, the daemon is wedged).

Who pings: a manual or cron ``fxbot run-once`` pings for itself; under ``fxbot schedule`` the daemon
(the parent) pings before it spawns the child and after the child has exited, with the child's exit
code, so a child killed for memory or for hanging is still reported (``exit_code_of``: 128 + the
signal, 137 for SIGKILL); the child runs with ``--supervised`` and does not ping.

A ping never blocks or fails a run: it is sent from a daemon thread that the caller waits for at
most ``timeout`` + 1 s (a hung DNS lookup included), and a failure is logged once, then not again
until a ping gets through. The URL holds the check's key: it is a secret, and no log line shows it.
urllib is imported only when a URL is set, so a bot without one pays nothing for this module.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from fxbot import __version__
from fxbot.redaction import redact

if TYPE_CHECKING:
    from fxbot.config import SecretStr

logger = logging.getLogger(__name__)

#: The exit code reported for a child killed by SIGKILL (a hang past ``schedule.job_timeout``, the OOM killer).
KILLED = 128 + 9


def exit_code_of(returncode: int | None) -> int:
    """The 0-255 exit status a ping reports: ``None`` (killed after the timeout) is 137, ``-N`` (signal N) 128 + N."""
    if returncode is None:
        return KILLED
    if returncode < 0:
        return min(128 - returncode, 255)
    return min(returncode, 255)


def new_run_id() -> str:
    """A fresh ``rid`` that pairs one job's start and end pings."""
    return str(uuid.uuid4())


class Pinger:
    """Pings ``url`` (a ``SecretStr``); with no URL every method is a no-op."""

    def __init__(self, url: SecretStr | None, timeout: float = 5.0) -> None:
        self._url = url
        self.timeout = timeout
        self._quiet = False  # a failure was logged; stay quiet until a ping gets through

    @property
    def enabled(self) -> bool:
        """True if a ping URL is set."""
        return self._url is not None

    def start(self, rid: str) -> bool:
        """Ping ``<url>/start``; True if the service answered."""
        return self._ping("/start", rid, "start")

    def end(self, exit_code: int | None, rid: str) -> bool:
        """Ping ``<url>`` (exit code 0) or ``<url>/<exit code>``; True if the service answered."""
        code = exit_code_of(exit_code)
        return self._ping("" if code == 0 else f"/{code}", rid, "success" if code == 0 else f"exit {code}")

    def _target(self, suffix: str, rid: str) -> str:
        assert self._url is not None
        parts = urlsplit(self._url.get_secret_value())
        query = "&".join(q for q in (parts.query, urlencode({"rid": rid})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + suffix, query, ""))

    def _ping(self, suffix: str, rid: str, what: str) -> bool:
        if self._url is None:
            return False
        url = self._target(suffix, rid)
        failure: list[str] = []

        def send() -> None:
            try:
                import urllib.request  # only with a ping URL: http.client and ssl stay off the plain daily path

                request = urllib.request.Request(url, headers={"User-Agent": f"fxbot/{__version__}"})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read(1024)
            except Exception as exc:  # any failure is a warning, never the run's problem
                failure.append(f"{type(exc).__name__}: {exc}")

        if urlsplit(url).scheme not in ("http", "https"):
            failure.append("FXBOT_PING_URL must start with http:// or https://")
        else:
            thread = threading.Thread(target=send, name="fxbot-ping", daemon=True)
            thread.start()
            thread.join(self.timeout + 1.0)
            if thread.is_alive():
                failure.append(f"no answer within {self.timeout + 1.0:g} s")
        if not failure:
            self._quiet = False
            logger.debug("heartbeat: %s ping sent", what)
            return True
        if not self._quiet:
            self._quiet = True
            secret = self._url.get_secret_value()
            logger.warning(
                "heartbeat: the %s ping to FXBOT_PING_URL failed (%s); the run goes on, and further ping "
                "failures are not logged until one gets through",
                what,
                redact(failure[0], [secret, url]),
            )
        return False
