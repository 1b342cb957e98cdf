"""The daily commands: `fxbot run-once` (the day's calls), `summary` (the week's), `alert` and `risk`."""

from __future__ import annotations

import argparse
import os

from fxbot import wiring
from fxbot.config import Secrets, Settings


def cmd_run_once(args: argparse.Namespace, settings: Settings) -> int:
    """Make today's calls and deliver them (or only print them with --dry-run)."""
    from contextlib import nullcontext

    from fxbot.pipeline import RunOptions, run_once

    options = RunOptions(
        as_of=args.as_of, dry_run=args.dry_run, force=args.force, fetch=not args.no_fetch, replay=args.replay
    )
    secrets = Secrets.from_env()
    # On its own (by hand, cron, a timer) the run pings FXBOT_PING_URL and writes the metrics itself; under
    # the daemon (--supervised) the parent does both; a dry run reports nothing.
    monitor = None if args.dry_run or args.supervised else wiring.job_monitor(settings, secrets)
    with monitor.job() if monitor is not None else nullcontext():
        dependencies = wiring.daily_dependencies(settings, secrets)
        try:
            run_once(settings, dependencies, options)
        finally:  # the ledger's connection ends with the run, not at exit or garbage collection (in-process callers)
            dependencies.ledger.close()
    if settings.site.dir and not args.dry_run:  # after the post: the page in a child process (matplotlib)
        wiring.refresh_site(settings, args.config or os.environ.get("FXBOT_CONFIG"))
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    """Build the weekly summary and post it once per week (or only print it with --dry-run)."""
    from fxbot.weekly import SummaryOptions, run_summary

    options = SummaryOptions(week=args.week, dry_run=args.dry_run, force=args.force)
    dependencies = wiring.summary_dependencies(settings, Secrets.from_env())
    try:
        run_summary(settings, dependencies, options)
    finally:
        dependencies.ledger.close()
    return 0


def cmd_alert(args: argparse.Namespace, settings: Settings) -> int:
    """Send MESSAGE as an alert through the configured notifiers (systemd's OnFailure= unit uses it)."""

    delivered = wiring.alerter(settings, Secrets.from_env())(" ".join(args.message))
    return 0 if delivered else 4


def cmd_risk(args: argparse.Namespace, settings: Settings) -> int:
    """Print today's book from history: every loss view, the stress windows, the leverages within the budget."""
    from fxbot.pipeline import build_report, load_bars, resolve_as_of
    from fxbot.risk_text import risk_lines

    deps = wiring.daily_dependencies(settings, Secrets.from_env())
    as_of = resolve_as_of(args.as_of, deps.now)
    report = build_report(settings, deps, load_bars(settings, deps.store), as_of, explicit=args.as_of)
    print("\n".join(risk_lines(report)))
    return 0
