"""The ``schedule`` and ``heartbeat`` sections: the daemon's timetable and its signs of life."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from fxbot.config.schema import Section


class ScheduleSettings(Section, frozen=True):
    """The `fxbot schedule` daemon."""

    cron: Annotated[str, Meta(description="Crontab expression (minute hour day month weekday).")] = "15 22 * * mon-fri"
    timezone: Annotated[str, Meta(description="Time zone of the cron expression.")] = "UTC"
    job_timeout: Annotated[
        float, Meta(gt=0, le=3600, description="Seconds before a daily job's child process is killed (at most 3600).")
    ] = 600.0
    misfire_grace_time: Annotated[
        int, Meta(gt=0, le=86400, description="Seconds a late job may still start (at most 86400, a day).")
    ] = 3600
    summary_cron: Annotated[
        str, Meta(description="When the weekly summary is posted (crontab fields, in `timezone`); empty: never.")
    ] = "30 22 * * fri"
    retrain_cron: Annotated[
        str,
        Meta(description="Crontab expression of `fxbot retrain` in the daemon (monthly, a quiet hour); empty: off."),
    ] = "30 3 2 * *"
    retrain_timeout: Annotated[
        float,
        Meta(ge=60, le=86400, description="Seconds before the retrain child process is killed (60-86400)."),
    ] = 7200.0


class HeartbeatSettings(Section, frozen=True):
    """Signs of life: the FXBOT_PING_URL pings and the daemon's liveness file (`fxbot status --health`)."""

    timeout_seconds: Annotated[
        float, Meta(gt=0, le=30, description="HTTP timeout of one FXBOT_PING_URL ping, seconds (at most 30).")
    ] = 5.0
    max_age_seconds: Annotated[
        float,
        Meta(
            ge=30, le=3600, description="`status --health` fails when the daemon's liveness file is older (30-3600 s)."
        ),
    ] = 120.0
