"""The daily trigger from ``schedule.cron``: APScheduler's CronTrigger only, without its schedulers.

`fxbot status` and `fxbot check` show the next run from it; importing the whole scheduler there
would cost them about 50 ms of a command meant for health checks.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from fxbot.config import ScheduleSettings
from fxbot.errors import ConfigError


def cron_trigger(schedule: ScheduleSettings, expression: str | None = None, key: str = "schedule.cron") -> CronTrigger:
    """The trigger of ``expression`` (default ``schedule.cron``; ``key`` names it in errors).

    A bad expression or time zone is a one-line ConfigError.

    Five fields are crontab's (minute hour day month weekday); six put seconds first
    (``*/5 * * * * *``: every five seconds, for trying the daemon out with ``--replay-from``).
    Weekday numbers are refused: APScheduler counts 0 as Monday where crontab counts 0 as Sunday,
    so ``* * * * 1-5`` would silently mean Tuesday-Saturday. Names (``mon-fri``) mean the same in both.
    """
    cron = schedule.cron if expression is None else expression
    fields = cron.split()
    if len(fields) not in (5, 6):
        raise ConfigError(f"{key} {cron!r} needs 5 fields: minute hour day month weekday (or 6, seconds first)")
    if any(ch.isdigit() for ch in fields[-1]):
        raise ConfigError(
            f"{key} weekday field {fields[-1]!r} uses numbers, which APScheduler and crontab read "
            "differently; use names such as mon-fri"
        )
    names = ["minute", "hour", "day", "month", "day_of_week"]
    if len(fields) == 6:
        names.insert(0, "second")
    try:
        return CronTrigger(**dict(zip(names, fields, strict=True)), timezone=schedule.timezone)
    except (ValueError, KeyError, LookupError) as exc:
        raise ConfigError(f"{key}/schedule.timezone: {exc}; e.g. cron '15 22 * * mon-fri', timezone 'UTC'") from None
