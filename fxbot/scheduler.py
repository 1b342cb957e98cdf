"""The `fxbot schedule` daemon: APScheduler fires the daily job; each job runs in a fresh child process.

The daemon itself never imports TensorFlow, pandas, numpy, a model loader or (without a Slack
credential) slack_sdk; ``tests/test_import_rules.py`` checks it. Every daily run is a new
``python -m fxbot.cli run-once`` process (spawned, not forked) with a timeout. Whatever a run
allocates dies with its process, so the daemon stays flat however long it runs and whichever
inference engine is configured. A child that hangs is killed at ``schedule.job_timeout``; a child
that crashes (killed by a signal, or an unexpected error) cannot have alerted, so the daemon does.

Scheduling: a ``CronTrigger`` from ``schedule.cron`` / ``schedule.timezone`` with
``misfire_grace_time``, ``coalesce=True`` and ``max_instances=1`` (APScheduler's own defaults drop
a run that starts one second late). On start, if the last completed trading day has no delivery,
the daemon catches up once. SIGTERM and SIGINT stop the scheduler; a job in flight is waited for
(systemd's ``KillMode=mixed`` lets the child finish; a second signal, or the stop timeout, kills it).
SIGHUP reloads the schedule from the config file (``systemctl reload fxbot``). Every child that
exits non-zero is alerted.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger

from fxbot.calendar import is_trading_day, last_completed_trading_day, next_trading_day
from fxbot.config import ScheduleSettings
from fxbot.cron import cron_trigger

logger = logging.getLogger(__name__)

JOB_ID = "fxbot-daily"


def job_defaults(schedule: ScheduleSettings) -> dict[str, Any]:
    """Job defaults: one instance at a time, missed runs coalesced, late runs allowed within the grace time."""
    return {"misfire_grace_time": schedule.misfire_grace_time, "coalesce": True, "max_instances": 1}


def catch_up_day(now: dt.datetime, delivered: Callable[[dt.date], bool]) -> dt.date | None:
    """The trading day to catch up on at start, or None if its calls were already delivered."""
    day = last_completed_trading_day(now)
    return None if delivered(day) else day


@dataclass(frozen=True)
class ChildResult:
    """How one daily child process ended."""

    exit_code: int | None  # None: killed after the timeout
    wall_seconds: float
    peak_rss_mib: float
    stderr_tail: str

    @property
    def timed_out(self) -> bool:
        """True if the child was killed for running past its timeout."""
        return self.exit_code is None

    @property
    def crashed(self) -> bool:
        """True if the child died without being able to report (a signal, or an unexpected error)."""
        return self.exit_code is not None and (self.exit_code < 0 or self.exit_code == 1)

    def describe(self) -> str:
        """One line for logs, alerts and the ledger."""
        if self.timed_out:
            return f"the daily run hung and was killed after {self.wall_seconds:.0f} s"
        if self.exit_code is not None and self.exit_code < 0:
            return f"the daily run was killed by signal {-self.exit_code} after {self.wall_seconds:.1f} s"
        detail = f": {self.stderr_tail}" if self.stderr_tail else ""
        return f"the daily run exited with code {self.exit_code}{detail}"


def run_child(
    argv: list[str], timeout: float, env: dict[str, str] | None = None, stdout: int | None = None
) -> ChildResult:
    """Run ``argv`` as a fresh process; kill it after ``timeout`` seconds; measure its peak RSS.

    ``stdout`` is inherited by default (the daemon's journal); benchmarks pass ``subprocess.DEVNULL``.
    """
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    stderr_lines: list[str] = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    deadline = start + timeout
    status, usage, killed = 0, None, False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() >= deadline:
            proc.kill()
            killed = True
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
    reader.join(timeout=5)
    for line in stderr_lines:
        sys.stderr.write(line)  # the child's log lines reach the daemon's journal
    tail = next((ln.strip() for ln in reversed(stderr_lines) if ln.strip()), "")
    return ChildResult(
        exit_code=None if killed else proc.returncode,
        wall_seconds=time.monotonic() - start,
        peak_rss_mib=usage.ru_maxrss / 1024 if usage else 0.0,
        stderr_tail=tail[:300],
    )


def daily_command(config_path: Path | None, as_of: dt.date | None = None) -> list[str]:
    """The child's command line: the same `fxbot run-once` a person runs by hand."""
    argv = [sys.executable, "-m", "fxbot.cli", "run-once"]
    if config_path is not None:
        argv += ["--config", str(config_path)]
    if as_of is not None:  # a replayed day: marked as such in its post, still posted at most once
        argv += ["--as-of", as_of.isoformat(), "--replay"]
    return argv


class Daemon:
    """Runs the daily job in child processes on a schedule, alerts on crashes, hangs and misses."""

    def __init__(
        self,
        schedule: ScheduleSettings,
        config_path: Path | None,
        *,
        alert: Callable[[str], None],
        record_failure: Callable[[ChildResult, dt.date], None] | None = None,
        delivered: Callable[[dt.date], bool] | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        replay_from: dt.date | None = None,
        replay_days: int | None = None,
        trigger: BaseTrigger | None = None,
        on_child: Callable[[ChildResult], None] | None = None,
        reload_schedule: Callable[[], ScheduleSettings] | None = None,
    ) -> None:
        self.schedule = schedule
        self.config_path = config_path
        self.alert = alert
        self.record_failure = record_failure
        self.delivered = delivered
        self.now = now
        # Replay: each firing runs the next trading day from ``replay_from`` as --as-of, instead of
        # waiting for real days (trying the daemon out, the soak benchmark); stops after replay_days.
        self._replay_next = (
            replay_from if replay_from is None or is_trading_day(replay_from) else next_trading_day(replay_from)
        )
        self.replay_days = replay_days
        self.days_run = 0
        self.on_child = on_child
        self.reload_schedule = reload_schedule
        self.scheduler: BaseScheduler = BlockingScheduler(job_defaults=job_defaults(schedule), timezone=dt.UTC)
        self.scheduler.add_job(self.daily_job, trigger or cron_trigger(schedule), id=JOB_ID, name="fxbot daily run")
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self._stopping = threading.Event()

    def daily_job(self) -> ChildResult:
        """One daily run in a fresh child process."""
        day = self._replay_next
        if day is not None:
            self._replay_next = next_trading_day(day)
        result = run_child(daily_command(self.config_path, day), self.schedule.job_timeout)
        logger.info(
            "daily child: exit %s, %.1f s, peak RSS %.0f MiB",
            result.exit_code,
            result.wall_seconds,
            result.peak_rss_mib,
        )
        if result.exit_code != 0:
            # Any non-zero exit is news: a crash or hang could not alert; a run that failed on purpose
            # (stale data, a broken ledger, Slack down) may not have reached anyone either.
            when = (day or last_completed_trading_day(self.now())).isoformat()
            message = f"fxbot: {result.describe()} (as of {when}); check the service log."
            logger.error(message)
            if (result.timed_out or result.crashed) and self.record_failure:
                record_failure = self.record_failure
                self._safely(lambda r: record_failure(r, day or last_completed_trading_day(self.now())), result)
            self._safely(self.alert, message)
        self.days_run += 1
        if self.on_child:
            self.on_child(result)
        if self.replay_days is not None and self.days_run >= self.replay_days:
            self.stop()
        return result

    def _safely(self, func: Callable[[Any], None], arg: Any) -> None:
        try:
            func(arg)
        except Exception:  # an alert that fails must not kill the daemon
            logger.exception("could not %s", getattr(func, "__name__", "report"))

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            self._safely(
                self.alert,
                f"fxbot: the daily run due at {event.scheduled_run_time} was missed (the host was down or busy)",
            )
        else:
            self._safely(self.alert, f"fxbot: the daily job failed inside the daemon: {event.exception!r}")

    def catch_up(self) -> dt.date | None:
        """If the last completed trading day has no delivery, run it now (once).

        A ledger that cannot answer is alerted, and the day is run: the child then fails loudly
        (exit 3) or, with a bot token, finds its post in the channel.
        """
        if self.delivered is None or self._replay_next is not None:
            return None
        delivered = self.delivered

        def known_delivered(day: dt.date) -> bool:
            try:
                return delivered(day)
            except Exception as exc:
                self._safely(self.alert, f"fxbot: the daemon cannot read the ledger: {exc}")
                return False

        day = catch_up_day(self.now(), known_delivered)
        if day is not None:
            logger.warning("no delivery recorded for %s: catching up now", day)
            self.daily_job()
        return day

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Stop the scheduler, letting a job in flight finish."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if signum is None:
            logger.warning("stopping: the replay is done")
        else:
            logger.warning("stopping (signal %s); a run in flight is allowed to finish", signum)
        threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    def reload(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """SIGHUP: read the schedule again from the config file and reschedule (in a thread, off the handler).

        The daily children read the whole config at every run anyway; only the schedule lives in the
        daemon. A config that no longer loads is alerted and the old schedule kept.
        """
        threading.Thread(target=self._reload, name="fxbot-reload", daemon=True).start()

    def _reload(self) -> None:
        logger.warning("SIGHUP: reloading the schedule from %s", self.config_path or "the built-in defaults")
        if self.reload_schedule is None:
            logger.warning("nothing to reload: the daemon was started without a config loader")
            return
        try:
            schedule = self.reload_schedule()
            trigger = cron_trigger(schedule)
        except Exception as exc:
            logger.error("the reload failed, keeping the old schedule: %s", exc)
            self._safely(self.alert, f"fxbot: SIGHUP reload failed, the old schedule stays: {exc}")
            return
        self.schedule = schedule
        self.scheduler.reschedule_job(JOB_ID, trigger=trigger)
        job = self.scheduler.get_job(JOB_ID)
        logger.warning(
            "reloaded: %r %s; next run %s", schedule.cron, schedule.timezone, job.next_run_time if job else "?"
        )

    def run(self) -> None:
        """Catch up if needed, then block running the schedule until SIGTERM or SIGINT; SIGHUP reloads."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.reload)
        self.catch_up()
        if self._stopping.is_set():
            return
        job = self.scheduler.get_job(JOB_ID)
        logger.warning("fxbot schedule: next run %s", job.trigger.get_next_fire_time(None, self.now()) if job else "?")
        self.scheduler.start()
