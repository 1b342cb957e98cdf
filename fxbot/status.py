"""`fxbot status`: last run, next scheduled run, data freshness, model versions, ledger health.

Reads only local state (no network, posts nothing), so it is cheap enough for a health check.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from fxbot import wiring
from fxbot.check import CheckResult, check_data_and_models
from fxbot.config import Settings
from fxbot.cron import cron_trigger
from fxbot.errors import FxbotError


def status_report(settings: Settings, now: dt.datetime | None = None) -> CheckResult:
    """The status lines; the exit code is the worst problem found (3 stale data or models, 2 config)."""
    now = now or dt.datetime.now(dt.UTC)
    result = CheckResult()
    path = settings.ledger.path
    if not path.exists():
        result.lines.append(f"last run: none yet (no ledger at {path})")
    else:
        ledger = wiring.ledger(settings)
        try:
            runs = ledger.runs(1)
            if runs:
                run = runs[0]
                detail = f": {run['error']}" if run["error"] else ""
                result.lines.append(f"last run: {run['started_at']} as of {run['as_of']}, {run['status']}{detail}")
            else:
                result.lines.append("last run: none yet")
            health = ledger.health()
            line = (
                f"ledger: {path}: {health['integrity']}, {health['runs']} runs ({health['failed']} failed), "
                f"{health['pending']} unconfirmed deliveries"
            )
            if health["integrity"] != "ok":
                result.problem(f"{line}; restore the ledger from a backup", 3)
            else:
                result.lines.append(line)
        except (sqlite3.Error, FxbotError) as exc:
            result.problem(f"ledger: {path}: {exc}", 3)
        finally:
            ledger.close()
    try:
        fire = cron_trigger(settings.schedule).get_next_fire_time(None, now)
        when = fire.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if fire else "never"
        result.lines.append(f"next scheduled run: {when} ({settings.schedule.cron!r} {settings.schedule.timezone})")
    except FxbotError as exc:
        result.problem(f"schedule: {exc}", exc.exit_code)
    check_data_and_models(settings, result, now, whole_files=False)
    return result
