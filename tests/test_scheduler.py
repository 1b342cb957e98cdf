"""Scheduler configuration with a frozen clock, and the child-process runner."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from fxbot.config import ScheduleSettings
from fxbot.cron import cron_trigger
from fxbot.errors import ConfigError
from fxbot.scheduler import ChildResult, catch_up_day, job_defaults, run_child

UTC = dt.UTC


def _next(schedule: ScheduleSettings, now: dt.datetime) -> dt.datetime:
    fire = cron_trigger(schedule).get_next_fire_time(None, now)
    assert fire is not None
    return fire.astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2024, 12, 27, 22, 0, tzinfo=UTC), dt.datetime(2024, 12, 27, 22, 15, tzinfo=UTC)),  # Friday
        (dt.datetime(2024, 12, 27, 22, 16, tzinfo=UTC), dt.datetime(2024, 12, 30, 22, 15, tzinfo=UTC)),  # -> Monday
        (dt.datetime(2024, 7, 6, 12, 0, tzinfo=UTC), dt.datetime(2024, 7, 8, 22, 15, tzinfo=UTC)),  # Saturday
    ],
)
def test_default_trigger_is_weekdays_after_new_york_close(now: dt.datetime, expected: dt.datetime) -> None:
    assert _next(ScheduleSettings(), now) == expected


def test_default_time_is_after_the_close_in_summer_and_winter() -> None:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    for now in (dt.datetime(2024, 1, 15, 12, tzinfo=UTC), dt.datetime(2024, 7, 15, 12, tzinfo=UTC)):
        local = _next(ScheduleSettings(), now).astimezone(ny)
        assert local.hour >= 17  # 17:15 in winter (EST), 18:15 in summer (EDT)


def test_cron_and_timezone_from_config() -> None:
    schedule = ScheduleSettings(cron="15 7 * * tue-sat", timezone="Asia/Tokyo")
    fire = _next(schedule, dt.datetime(2024, 12, 27, 0, 0, tzinfo=UTC))  # Friday 09:00 in Tokyo
    assert fire == dt.datetime(2024, 12, 27, 22, 15, tzinfo=UTC)  # Saturday 07:15 in Tokyo


@pytest.mark.parametrize(
    ("cron", "timezone", "message"),
    [
        ("15 22 * * 1-5", "UTC", "use names such as mon-fri"),
        ("15 22 * *", "UTC", "needs 5 fields"),
        ("75 22 * * mon-fri", "UTC", "schedule.cron"),
        ("15 22 * * mon-fri", "Mars/Olympus", "schedule.cron/schedule.timezone"),
    ],
)
def test_bad_schedule_is_a_config_error(cron: str, timezone: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cron_trigger(ScheduleSettings(cron=cron, timezone=timezone))


def test_job_defaults_allow_late_runs_and_one_instance() -> None:
    import threading

    from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    defaults = job_defaults(ScheduleSettings(misfire_grace_time=900))
    assert defaults == {"misfire_grace_time": 900, "coalesce": True, "max_instances": 1}
    # What the defaults do to a scheduler's jobs: late runs within the grace time run, older ones are missed, a
    # backlog of missed runs runs once, and a run that comes due while the last one still runs is skipped.
    events: list[tuple[str, int]] = []
    seen = threading.Condition()

    def record(event: JobEvent) -> None:
        with seen:
            events.append((event.job_id, event.code))
            seen.notify_all()

    running, release = threading.Event(), threading.Event()

    def busy() -> None:
        running.set()
        release.wait(30)

    now = dt.datetime.now(UTC)
    scheduler = BackgroundScheduler(job_defaults=defaults, timezone=UTC)
    scheduler.add_listener(record, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    scheduler.add_job(lambda: None, DateTrigger(now - dt.timedelta(seconds=600)), id="late")  # 10 min late
    scheduler.add_job(lambda: None, DateTrigger(now - dt.timedelta(seconds=1200)), id="too-late")  # 20 min late
    backlog = now - dt.timedelta(seconds=299)  # five runs due, one a minute
    scheduler.add_job(lambda: None, IntervalTrigger(minutes=1), id="backlog", next_run_time=backlog)
    scheduler.add_job(busy, IntervalTrigger(hours=1), id="busy", next_run_time=now)
    scheduler.start()
    try:
        assert running.wait(10)
        scheduler.modify_job("busy", next_run_time=dt.datetime.now(UTC))  # due again while it runs
        with seen:
            assert seen.wait_for(lambda: ("busy", EVENT_JOB_MAX_INSTANCES) in events, 10), events
            assert seen.wait_for(lambda: len(events) >= 4, 10), events
    finally:
        release.set()
        scheduler.shutdown(wait=True)
    assert sorted(events) == [
        ("backlog", EVENT_JOB_EXECUTED),
        ("busy", EVENT_JOB_EXECUTED),
        ("busy", EVENT_JOB_MAX_INSTANCES),
        ("late", EVENT_JOB_EXECUTED),
        ("too-late", EVENT_JOB_MISSED),
    ]


def test_catch_up_decision() -> None:
    monday_morning = dt.datetime(2024, 12, 30, 8, 0, tzinfo=UTC)  # Friday's bar is the latest
    assert catch_up_day(monday_morning, lambda day: False) == dt.date(2024, 12, 27)
    assert catch_up_day(monday_morning, lambda day: day == dt.date(2024, 12, 27)) is None


def test_run_child_reports_exit_code_rss_and_timeout() -> None:
    ok = run_child([sys.executable, "-c", "import sys; sys.stderr.write('fine\\n'); sys.exit(3)"], timeout=30)
    assert ok.exit_code == 3 and not ok.timed_out and not ok.crashed and ok.stderr_tail == "fine"
    assert ok.peak_rss_mib > 1
    hung = run_child([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    assert hung.timed_out and hung.wall_seconds < 10 and "hung" in hung.describe()
    killed = run_child([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], timeout=30)
    assert killed.crashed and "signal 9" in killed.describe()


def test_child_result_classification() -> None:
    assert ChildResult(1, 1.0, 10.0, "boom").crashed
    assert not ChildResult(4, 1.0, 10.0, "slack").crashed


def test_the_status_line_after_a_job_needs_no_scheduler_lock() -> None:
    """A SIGTERM during a run: shutdown(wait=True) holds the job-store lock while it waits for the job,
    and the job's last step writes the systemd status line. That step must not need the lock, or the
    daemon never exits (seen in CI as a daemon that outlived SIGTERM by a minute)."""
    import threading

    from fxbot.scheduler import Daemon

    daemon = Daemon(ScheduleSettings(cron="15 22 * * mon-fri"), None, alert=lambda message: None)
    lines: list[str] = []
    with daemon.scheduler._jobstores_lock:  # what a shutdown in progress holds
        worker = threading.Thread(target=lambda: lines.append(daemon._waiting_status()), daemon=True)
        worker.start()
        worker.join(timeout=5)
    assert not worker.is_alive(), "the status line waited for the scheduler's lock"
    assert lines and lines[0].startswith("next run ") and "UTC" in lines[0]
