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

Signs of life (each optional, built by ``fxbot.wiring``): the parent pings ``FXBOT_PING_URL``
before it spawns a child and after the child exits, with its exit code (``fxbot.heartbeat``; the
child runs ``--supervised`` and does not ping), and writes the Prometheus textfile with the child's
peak RSS (``fxbot.metrics``). Under systemd (``Type=notify``) it sends READY=1 once set up, STATUS
lines (next run, last result) and WATCHDOG=1 (``fxbot.sdnotify``). A tick job runs every
``TICK_SECONDS`` inside APScheduler; the watchdog thread beats (WATCHDOG=1, and touches the liveness
file that ``fxbot status --health`` reads) only while the ticks keep coming and no child has
outlived its timeout, so a wedged scheduler goes quiet and systemd restarts it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import msgspec
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from fxbot.calendar import is_trading_day, last_completed_trading_day, next_trading_day
from fxbot.child import fxbot_argv
from fxbot.config import ScheduleSettings
from fxbot.cron import cron_trigger
from fxbot.heartbeat import exit_code_of, new_run_id
from fxbot.sdnotify import SystemdNotifier, Watchdog

if TYPE_CHECKING:
    from fxbot.health import AliveFile
    from fxbot.heartbeat import Pinger
    from fxbot.metrics import MetricsWriter

logger = logging.getLogger(__name__)

JOB_ID = "fxbot-daily"
SUMMARY_JOB_ID = "fxbot-weekly-summary"
RETRAIN_JOB_ID = "fxbot-retrain"
TICK_JOB_ID = "fxbot-tick"
#: The scheduler's tick: the watchdog beats only while ticks arrive (at most ``MISSED_TICKS`` late).
TICK_SECONDS = 10.0
MISSED_TICKS = 3
#: How long past ``schedule.job_timeout`` a child may still be running before the daemon counts as wedged
#: (``run_child`` kills it at the timeout; longer means the supervision itself is stuck).
CHILD_GRACE_SECONDS = 60.0


class _HideTicks(logging.Filter):
    """APScheduler logs every job it runs at INFO: the tick every 10 s would drown the daily lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fxbot tick" not in record.getMessage()


_HIDE_TICKS = _HideTicks()
logging.getLogger("apscheduler.executors.default").addFilter(_HIDE_TICKS)
logging.getLogger("apscheduler.scheduler").addFilter(_HIDE_TICKS)


def wedged(
    now: float, last_tick: float, scheduler_running: bool, job_started: float | None, job_timeout: float
) -> str | None:
    """Why the daemon should stop feeding the watchdog, or None while it is healthy.

    ``now``, ``last_tick`` and ``job_started`` are monotonic seconds. Before the scheduler runs (the
    catch-up at start) only the child's age counts.
    """
    if job_started is not None and now - job_started > job_timeout + CHILD_GRACE_SECONDS:
        return f"the daily child has run {now - job_started:.0f} s, past its {job_timeout:.0f} s timeout"
    if scheduler_running and now - last_tick > TICK_SECONDS * MISSED_TICKS:
        return f"the scheduler has not ticked for {now - last_tick:.0f} s"
    return None


def job_defaults(schedule: ScheduleSettings) -> dict[str, Any]:
    """Job defaults: one instance at a time, missed runs coalesced, late runs allowed within the grace time."""
    return {"misfire_grace_time": schedule.misfire_grace_time, "coalesce": True, "max_instances": 1}


def catch_up_day(now: dt.datetime, delivered: Callable[[dt.date], bool]) -> dt.date | None:
    """The trading day to catch up on at start, or None if its calls were already delivered."""
    day = last_completed_trading_day(now)
    return None if delivered(day) else day


class ChildResult(msgspec.Struct, frozen=True):
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


def _die_with(parent: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child is killed (SIGKILL) when ``parent`` dies, however it dies (Linux prctl)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above: nobody would kill us
            os._exit(137)

    return arm


def run_child(
    argv: list[str],
    timeout: float,
    env: dict[str, str] | None = None,
    stdout: int | None = None,
    *,
    group: bool = False,
) -> ChildResult:
    """Run ``argv`` as a fresh process; kill it after ``timeout`` seconds; measure its peak RSS.

    ``stdout`` is inherited by default (the daemon's journal); benchmarks pass ``subprocess.DEVNULL``.
    ``group``: the child leads its own process group, which is killed whole on timeout, and it is
    killed when this process dies (SIGKILL included): a retrain's TensorFlow children never outlive it.
    """
    start = time.monotonic()
    extra: dict[str, Any] = {}
    if group and sys.platform.startswith("linux"):
        extra = {"process_group": 0, "preexec_fn": _die_with(os.getpid())}
    proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, **extra)
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
            if extra:  # SIGKILL to the whole group: anything it started too (os.killpg does not reap it)
                os.killpg(proc.pid, signal.SIGKILL)
            else:
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


def daily_command(config_path: Path | None, as_of: dt.date | None = None, *, supervised: bool = False) -> list[str]:
    """The child's command line: the same `fxbot run-once` a person runs by hand.

    ``supervised``: the daemon pings and writes the metrics for this child, so the child does neither.
    """
    argv = fxbot_argv("run-once")
    if config_path is not None:
        argv += ["--config", str(config_path)]
    if as_of is not None:  # a replayed day: marked as such in its post, still posted at most once
        argv += ["--as-of", as_of.isoformat(), "--replay"]
    if supervised:
        argv.append("--supervised")
    return argv


def summary_command(config_path: Path | None) -> list[str]:
    """The weekly child's command line: the same `fxbot summary` a person runs by hand (the week just closed)."""
    argv = fxbot_argv("summary")
    if config_path is not None:
        argv += ["--config", str(config_path)]
    return argv


def retrain_command(config_path: Path | None, as_of: dt.date | None = None) -> list[str]:
    """The retrain child's command line: `fxbot retrain --scheduled` (each pair then trains in a child of its own)."""
    argv = fxbot_argv("retrain", "--scheduled")
    if config_path is not None:
        argv += ["--config", str(config_path)]
    if as_of is not None:  # a replay: train on the bars up to the month before this replayed day
        argv += ["--as-of", as_of.isoformat()]
    return argv


def retrain_trigger(schedule: ScheduleSettings) -> BaseTrigger | None:
    """The monthly retrain trigger from ``schedule.retrain_cron`` (None when it is empty: off)."""
    if not schedule.retrain_cron.strip():
        return None
    return cron_trigger(schedule, schedule.retrain_cron, "schedule.retrain_cron")


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
        replay_retrain: bool = False,
        trigger: BaseTrigger | None = None,
        on_child: Callable[[ChildResult], None] | None = None,
        reload_schedule: Callable[[], ScheduleSettings] | None = None,
        pinger: Pinger | None = None,
        metrics: MetricsWriter | None = None,
        systemd: SystemdNotifier | None = None,
        alive_file: AliveFile | None = None,
        clock: Callable[[], float] = time.monotonic,
        summary_trigger: BaseTrigger | None = None,
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
        # Replay with retraining: the first replayed day of each month runs `fxbot retrain` first (as of that day).
        self.replay_retrain = replay_retrain
        self._retrained_month: tuple[int, int] | None = None
        self.days_run = 0
        self.on_child = on_child
        self.reload_schedule = reload_schedule
        self.scheduler: BaseScheduler = BlockingScheduler(job_defaults=job_defaults(schedule), timezone=dt.UTC)
        self._trigger: BaseTrigger = trigger or cron_trigger(schedule)
        self.scheduler.add_job(self.daily_job, self._trigger, id=JOB_ID, name="fxbot daily run")
        # The weekly summary: its own cron (schedule.summary_cron; empty: none), its own child process.
        if summary_trigger is None and schedule.summary_cron.strip():
            summary_trigger = cron_trigger(schedule, schedule.summary_cron, "schedule.summary_cron")
        if summary_trigger is not None:
            self.scheduler.add_job(self.summary_job, summary_trigger, id=SUMMARY_JOB_ID, name="fxbot weekly summary")
        # Monthly retraining in a child of its own, in parallel with (never before) the daily job; not in a replay,
        # whose retraining follows the replayed days instead.
        retrain = retrain_trigger(schedule) if replay_from is None else None
        if retrain is not None:
            self.scheduler.add_job(
                self.retrain_job, retrain, id=RETRAIN_JOB_ID, name="fxbot monthly retrain", max_instances=1
            )
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self.scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        self._stopping = threading.Event()
        # Signs of life: pings around each child, metrics after it, systemd's notify socket, the liveness file.
        self.pinger = pinger
        self.metrics = metrics
        self.systemd = systemd or SystemdNotifier(None)
        self.alive_file = alive_file
        self.clock = clock
        self._last_tick = clock()
        self._job_started: float | None = None
        self._last_result = "no run yet"
        self.scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=TICK_SECONDS),
            id=TICK_JOB_ID,
            name="fxbot tick",
            misfire_grace_time=int(TICK_SECONDS),
            coalesce=True,
            max_instances=1,
        )
        watchdog = self.systemd.watchdog_seconds
        self.watchdog = Watchdog(min(TICK_SECONDS, watchdog / 2) if watchdog else TICK_SECONDS, self.wedged, self._beat)

    def retrain_job(self, as_of: dt.date | None = None) -> ChildResult:
        """`fxbot retrain` in a fresh child process with ``schedule.retrain_timeout``; a failure is alerted.

        Never call scheduler methods here: it runs as a job (a SIGTERM's shutdown holds the job-store lock).
        """
        result = run_child(retrain_command(self.config_path, as_of), self.schedule.retrain_timeout, group=True)
        logger.info(
            "retrain child: exit %s, %.1f s, peak RSS %.0f MiB",
            result.exit_code,
            result.wall_seconds,
            result.peak_rss_mib,
        )
        if result.exit_code != 0:
            what = result.describe().replace("the daily run", "the monthly retrain")
            message = f"fxbot: {what}; the champions stay in use. Check the service log."
            logger.error(message)
            self._safely(self.alert, message)
        return result

    def daily_job(self) -> ChildResult:
        """One daily run in a fresh child process, with a heartbeat ping before and after it and metrics after."""
        day = self._replay_next
        if day is not None:
            self._replay_next = next_trading_day(day)
            if self.replay_retrain and (day.year, day.month) != self._retrained_month:
                self._retrained_month = (day.year, day.month)
                self.retrain_job(day)  # a replay may wait for it: its days are not due anywhere
        rid = new_run_id()
        if self.pinger is not None:
            self.pinger.start(rid, wait=False)  # the child does not wait for the ping
        self.systemd.status(f"running the daily job{f' for {day.isoformat()}' if day else ''}; {self._last_result}")
        self._job_started = self.clock()
        try:
            result = run_child(daily_command(self.config_path, day, supervised=True), self.schedule.job_timeout)
        except BaseException:
            if self.pinger is not None:  # the child never ran (or the daemon was interrupted): a failure
                self.pinger.end(1, rid)
            raise
        finally:
            self._job_started = None
        code = exit_code_of(result.exit_code)
        if self.pinger is not None:  # first: whatever happens next, the dead-man's switch hears of this run
            self.pinger.end(code, rid)
        if self.metrics is not None:
            from fxbot.metrics import RunOutcome

            self.metrics.write(
                RunOutcome(code, result.wall_seconds, self.now(), peak_rss_bytes=result.peak_rss_mib * 1024 * 1024)
            )
        finished = self.now().astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        self._last_result = f"last run {finished}: {'ok' if code == 0 else f'exit {code}'}"
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
        else:
            self.systemd.status(self._waiting_status())
        return result

    def summary_job(self) -> ChildResult:
        """The weekly summary in a fresh child process; a non-zero exit is alerted (the child alerts Slack's too).

        Never calls scheduler methods: it runs inside the scheduler (see ``_waiting_status``).
        """
        self._job_started = self.clock()
        try:
            result = run_child(summary_command(self.config_path), self.schedule.job_timeout)
        finally:
            self._job_started = None
        logger.info(
            "weekly summary child: exit %s, %.1f s, peak RSS %.0f MiB",
            result.exit_code,
            result.wall_seconds,
            result.peak_rss_mib,
        )
        if result.exit_code != 0:
            message = f"fxbot: the weekly summary failed: {result.describe().replace('daily run', 'summary run')}"
            logger.error(message)
            self._safely(self.alert, message)
        return result

    def _waiting_status(self) -> str:
        # From the trigger itself, never scheduler.get_job(): this runs at the end of the daily job, and a
        # SIGTERM's shutdown(wait=True) holds the job-store lock while it waits for that job (a deadlock).
        fire = self._trigger.get_next_fire_time(None, self.now())
        when = fire.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if fire else "?"
        return f"next run {when}; {self._last_result}"

    def _tick(self) -> None:
        """A job inside the scheduler: the watchdog beats only while these keep running."""
        self._last_tick = self.clock()

    def wedged(self) -> str | None:
        """Why the daemon is stuck (a stalled scheduler, a child past its timeout), or None if it is healthy."""
        return wedged(
            self.clock(), self._last_tick, self.scheduler.running, self._job_started, self.schedule.job_timeout
        )

    def _beat(self) -> None:
        self.systemd.watchdog()
        if self.alive_file is not None:
            self.alive_file.touch()

    def _safely(self, func: Callable[[Any], None], arg: Any) -> None:
        try:
            func(arg)
        except Exception:  # an alert that fails must not kill the daemon
            logger.exception("could not %s", getattr(func, "__name__", "report"))

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.job_id == TICK_JOB_ID:  # a late tick is the watchdog's business, not an alert
            return
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
        self.systemd.stopping(f"stopping; {self._last_result}")
        threading.Thread(target=self._shutdown, daemon=True).start()

    def _shutdown(self) -> None:
        # Not running yet: the stop came before the scheduler started, and _on_started shuts it down once it runs.
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=True)

    def _on_started(self, event: SchedulerEvent) -> None:
        # A signal between run()'s last look at _stopping and the scheduler's start would otherwise be lost.
        if self._stopping.is_set():
            threading.Thread(target=self._shutdown, daemon=True).start()

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
        self._trigger = trigger
        self.scheduler.reschedule_job(JOB_ID, trigger=trigger)
        self._reload_summary(schedule)
        job = self.scheduler.get_job(JOB_ID)
        logger.warning(
            "reloaded: %r %s; next run %s", schedule.cron, schedule.timezone, job.next_run_time if job else "?"
        )
        if self._job_started is None:
            self.systemd.status(self._waiting_status())

    def _reload_summary(self, schedule: ScheduleSettings) -> None:
        """Follow a changed schedule.summary_cron: reschedule, add or remove the weekly job."""
        try:
            trigger = (
                cron_trigger(schedule, schedule.summary_cron, "schedule.summary_cron")
                if schedule.summary_cron.strip()
                else None
            )
        except Exception as exc:
            self._safely(self.alert, f"fxbot: SIGHUP reload: the weekly summary keeps its old schedule: {exc}")
            return
        job = self.scheduler.get_job(SUMMARY_JOB_ID)
        if trigger is None:
            if job is not None:
                self.scheduler.remove_job(SUMMARY_JOB_ID)
        elif job is None:
            self.scheduler.add_job(self.summary_job, trigger, id=SUMMARY_JOB_ID, name="fxbot weekly summary")
        else:
            self.scheduler.reschedule_job(SUMMARY_JOB_ID, trigger=trigger)

    def run(self) -> None:
        """Catch up if needed, then block running the schedule until SIGTERM or SIGINT; SIGHUP reloads.

        READY=1 goes out before the catch-up (which may take up to ``schedule.job_timeout``): the
        watchdog thread covers it, and stops beating if the catch-up's child outlives its timeout.
        """
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.reload)
        if self.alive_file is not None:
            self.alive_file.begin()
        self.systemd.ready(self._waiting_status())
        self.watchdog.start()
        try:
            self.catch_up()
            if self._stopping.is_set():
                return
            job = self.scheduler.get_job(JOB_ID)
            logger.warning(
                "fxbot schedule: next run %s", job.trigger.get_next_fire_time(None, self.now()) if job else "?"
            )
            self._last_tick = self.clock()
            self.systemd.status(self._waiting_status())
            self.scheduler.start()
        finally:
            self.watchdog.stop()
