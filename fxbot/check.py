"""`fxbot check`: the config, the data, the models and the Slack credentials, without posting anything."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from fxbot import wiring
from fxbot.calendar import last_completed_trading_day, trading_days_between
from fxbot.config import Secrets, Settings
from fxbot.data.freshness import last_bar_day, store_file
from fxbot.errors import DeliveryError, FxbotError
from fxbot.model.artifacts import read_manifest

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class CheckResult:
    """The lines to print and the exit code (the worst problem found)."""

    lines: list[str] = dataclasses.field(default_factory=list)
    exit_code: int = 0

    def problem(self, line: str, code: int) -> None:
        """Record a failed check."""
        self.lines.append(f"PROBLEM {line}")
        self.exit_code = max(self.exit_code, code)


def run_checks(settings: Settings, secrets: Secrets, now: dt.datetime | None = None) -> CheckResult:
    """Check everything a daily run needs; Slack is called (auth.test, conversations.info) but not posted to."""
    from fxbot.data.providers import describe_provider

    result = CheckResult(["config: ok"])
    try:
        result.lines.extend(describe_provider(settings.data, secrets))
    except FxbotError as exc:
        result.problem(f"data provider: {exc}", exc.exit_code)
    check_data_and_models(settings, result, now)
    try:
        from fxbot.cron import cron_trigger

        fire = cron_trigger(settings.schedule).get_next_fire_time(None, now or dt.datetime.now(dt.UTC))
        result.lines.append(f"schedule: {settings.schedule.cron!r} {settings.schedule.timezone}; next run {fire}")
    except FxbotError as exc:
        result.problem(f"schedule: {exc}", exc.exit_code)
    try:
        notifier = wiring.slack_notifier(settings, secrets)
        if notifier is None:
            result.lines.append("slack: no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL; calls go to the console only")
        else:
            result.lines.extend(notifier.check())
    except DeliveryError as exc:
        result.problem(f"slack: {exc}", exc.exit_code)
    except FxbotError as exc:
        result.problem(f"slack: {exc}", exc.exit_code)
    ledger = settings.ledger.path
    result.lines.append(f"ledger: {ledger}" + ("" if ledger.exists() else " (created by the first run)"))
    return result


def check_data_and_models(
    settings: Settings, result: CheckResult, now: dt.datetime | None = None, *, whole_files: bool = True
) -> None:
    """Add each pair's data freshness and model version to ``result`` (no network).

    ``whole_files``: parse and validate every bar (`fxbot check`); otherwise only the last bar, and
    count the rest (`fxbot status`, a health check that runs often).
    """
    due = last_completed_trading_day(now or dt.datetime.now(dt.UTC))
    for code in settings.pairs:
        try:
            if whole_files:
                bars = wiring.store(settings).load(code)
                count, last = len(bars), bars.last_date
            else:
                last, count = last_bar_day(store_file(settings.data.dir, code))
            lag = trading_days_between(last, due)
            line = f"data: {code}: {count} bars, last {last.isoformat()}"
            if lag > settings.data.max_staleness_days:
                result.problem(f"{line}, {lag} trading day(s) behind {due.isoformat()} (stale)", 3)
            else:
                result.lines.append(f"{line}, up to date")
        except FxbotError as exc:
            result.problem(f"data: {exc}", exc.exit_code)
        try:
            manifest = read_manifest(settings.model.dir / code)
            result.lines.append(
                f"model: {code}: {manifest.version}, {len(manifest.members)} members, trained to {manifest.train_end}"
            )
        except FxbotError as exc:
            result.problem(f"model: {exc}", exc.exit_code)
