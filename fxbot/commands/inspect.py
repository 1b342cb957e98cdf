"""The read-only reports: `fxbot status` and `fxbot history` (local state), `fxbot check` (and the network)."""

from __future__ import annotations

import argparse
import os

from fxbot import wiring
from fxbot.config import Secrets, Settings


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check config, data, models and Slack; post nothing."""
    from fxbot.check import run_checks

    result = run_checks(settings, Secrets.from_env(), config_source=args.config or os.environ.get("FXBOT_CONFIG"))
    print("\n".join(result.lines))
    return result.exit_code


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print last run, next run, data freshness, models and ledger health."""
    if args.health:  # Docker's HEALTHCHECK: the daemon's liveness only, exit 0 or 1
        from fxbot.health import alive_file_for, health_check

        code, line = health_check(alive_file_for(settings.ledger.path), settings.heartbeat.max_age_seconds)
        print(line)
        return code
    from fxbot.status import status_report

    result = status_report(settings)
    print("\n".join(result.lines))
    return result.exit_code


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """Print the ledger: calls, outcomes, deliveries, accuracy."""
    from fxbot.history import format_history

    if not settings.ledger.path.exists():
        print(f"no ledger at {settings.ledger.path} yet; `fxbot run-once` creates it")
        return 0
    ledger = wiring.ledger(settings)
    store = wiring.store(settings)
    ledger.update_outcomes({code: store.load_or_empty(code) for code in settings.pairs})
    print(format_history(ledger, args.days))
    return 0
