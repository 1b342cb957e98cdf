"""The dead-man's switch: pings to ``FXBOT_PING_URL`` when a daily job starts and ends.

healthchecks.io conventions (which other services accept too): ``<url>/start`` when a job starts,
``<url>`` when it succeeds, ``<url>/<exit code>`` when it fails, each with ``?rid=<uuid>`` so the
service pairs a job's start with its end. If the pings stop, the service alerts: that covers what
fxbot cannot report itself (the VM is gone, the timer never fired, the daemon is wedged).

Who pings: a manual or cron ``fxbot run-once`` pings for itself; under ``fxbot schedule`` the daemon
(the parent) pings before it spawns the child and after the child has exited, with the child's exit
code, so a child killed for memory or for hanging is still reported (``exit_code_of``: 128 + the
signal, 137 for SIGKILL); the child runs with ``--supervised`` and does not ping.

A ping never fails a run and never delays its post: it is sent from a daemon thread, tried up to
three times (0.5 s and 1 s apart, as healthchecks.io's own clients retry; a 4xx other than 429 is
not retried) within ``timeout`` + 2 s in all (a hung DNS lookup included); the start ping of a job
goes in the background and the end ping waits for it first. A failure is logged once, then not
again until a ping gets through. The URL holds the check's key: it is a secret, and no log line shows it.
urllib is imported only when a URL is set, so a bot without one pays nothing for this module.
"""

from __future__ import annotations

import logging
import threading
import time
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


#: Tries of one ping (the first and two retries), as healthchecks.io's own clients retry (``curl --retry``,
#: runitor): a blip in the network or the service does not make it look as if the job never ran.
ATTEMPTS = 3
#: Waits before the second and third try.
BACKOFF = (0.5, 1.0)
#: A 5xx or 429 is worth another try; another 4xx (a wrong or deleted check) is not.
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class _Ping:
    """One ping on its own daemon thread, with its tries bounded by ``deadline`` (monotonic)."""

    def __init__(self, url: str, timeout: float, what: str) -> None:
        self.url = url
        self.timeout = timeout
        self.what = what
        self.deadline = time.monotonic() + timeout + sum(BACKOFF) + 0.5
        self.failure: list[str] = []
        self.thread = threading.Thread(target=self._send, name="fxbot-ping", daemon=True)
        self.thread.start()

    def _send(self) -> None:
        import urllib.error
        import urllib.request  # only with a ping URL: http.client and ssl stay off the plain daily path

        for attempt in range(ATTEMPTS):
            left = self.deadline - time.monotonic()
            if left <= 0.05:
                break
            try:
                request = urllib.request.Request(self.url, headers={"User-Agent": f"fxbot/{__version__}"})
                with urllib.request.urlopen(request, timeout=min(self.timeout, left)) as response:
                    response.read(1024)
                self.failure.clear()
                return
            except urllib.error.HTTPError as exc:
                self.failure[:] = [f"{type(exc).__name__}: {exc}"]
                if exc.code not in _RETRY_STATUS:
                    return
            except Exception as exc:  # any failure is a warning, never the run's problem
                self.failure[:] = [f"{type(exc).__name__}: {exc}"]
            if attempt + 1 < ATTEMPTS:
                time.sleep(max(0.0, min(BACKOFF[attempt], self.deadline - time.monotonic())))

    def wait(self) -> list[str]:
        """Wait for the ping's tries (never past its deadline); the failure, if any."""
        self.thread.join(max(0.0, self.deadline - time.monotonic()) + 0.1)
        if self.thread.is_alive():
            return [f"no answer within {self.timeout + sum(BACKOFF) + 0.5:g} s"]
        return list(self.failure)


class Pinger:
    """Pings ``url`` (a ``SecretStr``); with no URL every method is a no-op.

    Each ping is tried up to ``ATTEMPTS`` times (waiting ``BACKOFF`` between; each try bounded by
    ``timeout``, the whole ping by ``timeout`` + 2 s). ``start(rid, wait=False)`` sends the start ping
    in the background, so the job (and its post) is not delayed by it; the end ping waits for it
    first, so the service always hears start before end.
    """

    def __init__(self, url: SecretStr | None, timeout: float = 5.0) -> None:
        self._url = url
        self.timeout = timeout
        self._quiet = False  # a failure was logged; stay quiet until a ping gets through
        self._pending: _Ping | None = None  # a start ping still on its way

    @property
    def enabled(self) -> bool:
        """True if a ping URL is set."""
        return self._url is not None

    def start(self, rid: str, *, wait: bool = True) -> bool:
        """Ping ``<url>/start``; True if the service answered (``wait=False``: sent in the background, True)."""
        return self._ping("/start", rid, "start", wait=wait)

    def end(self, exit_code: int | None, rid: str) -> bool:
        """Ping ``<url>`` (exit code 0) or ``<url>/<exit code>``; True if the service answered."""
        code = exit_code_of(exit_code)
        return self._ping("" if code == 0 else f"/{code}", rid, "success" if code == 0 else f"exit {code}")

    def _target(self, suffix: str, rid: str) -> str:
        assert self._url is not None
        parts = urlsplit(self._url.get_secret_value())
        query = "&".join(q for q in (parts.query, urlencode({"rid": rid})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + suffix, query, ""))

    def _ping(self, suffix: str, rid: str, what: str, *, wait: bool = True) -> bool:
        if self._url is None:
            return False
        if self._pending is not None:  # the start ping goes first, however long its tries take
            pending, self._pending = self._pending, None
            self._report(pending.what, pending.url, pending.wait())
        url = self._target(suffix, rid)
        if urlsplit(url).scheme not in ("http", "https"):
            return self._report(what, url, ["FXBOT_PING_URL must start with http:// or https://"])
        ping = _Ping(url, self.timeout, what)
        if not wait:
            self._pending = ping
            return True
        return self._report(what, url, ping.wait())

    def _report(self, what: str, url: str, failure: list[str]) -> bool:
        if not failure:
            self._quiet = False
            logger.debug("heartbeat: %s ping sent", what)
            return True
        if not self._quiet and self._url is not None:
            self._quiet = True
            secret = self._url.get_secret_value()
            logger.warning(
                "heartbeat: the %s ping to FXBOT_PING_URL failed after %d tries (%s); the run goes on, and further "
                "ping failures are not logged until one gets through",
                what,
                ATTEMPTS,
                redact(failure[0], [secret, url]),
            )
        return False
