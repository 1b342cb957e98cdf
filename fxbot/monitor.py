"""Signs of life around one `fxbot run-once` that runs on its own (by hand, cron or a systemd timer).

``JobMonitor.job()`` pings ``FXBOT_PING_URL``'s ``/start``, runs the body, then pings the end with
the exit code the CLI will return and writes the metrics textfile (with this process's peak RSS).
Under the daemon the child runs ``--supervised`` and none of this happens in it: the parent does
it, so that a child killed for memory is still reported (``fxbot.scheduler``).
"""

from __future__ import annotations

import datetime as dt
import logging
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fxbot.errors import FxbotError
from fxbot.heartbeat import Pinger, new_run_id

if TYPE_CHECKING:
    from fxbot.metrics import MetricsWriter

logger = logging.getLogger(__name__)


def exit_code_for(exc: BaseException | None) -> int:
    """The exit code the CLI gives for ``exc`` (None: success), as ``fxbot.cli.main`` maps it."""
    if exc is None:
        return 0
    if isinstance(exc, FxbotError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 1


def own_peak_rss_bytes() -> float:
    """This process's peak RSS in bytes (Linux reports ``ru_maxrss`` in KiB)."""
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


class JobMonitor:
    """Heartbeat pings and the metrics textfile around one job; both optional, neither ever fails it."""

    def __init__(
        self,
        pinger: Pinger | None = None,
        metrics: MetricsWriter | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.pinger = pinger
        self.metrics = metrics
        self.now = now

    @contextmanager
    def job(self) -> Iterator[None]:
        """Ping start; run the body; ping its end (exit code) and write the metrics; re-raise what it raised."""
        rid = new_run_id()
        if self.pinger is not None:
            self.pinger.start(rid, wait=False)  # the job (and its post) does not wait for the ping
        started = time.monotonic()
        failure: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            failure = exc
            raise
        finally:
            code = exit_code_for(failure)
            if self.pinger is not None:
                self.pinger.end(code, rid)
            if self.metrics is not None:
                from fxbot.metrics import RunOutcome

                outcome = RunOutcome(code, time.monotonic() - started, self.now(), own_peak_rss_bytes())
                self.metrics.write(outcome)
