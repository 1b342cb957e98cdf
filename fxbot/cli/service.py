"""`fxbot schedule` and `fxbot slack-app`: the long-running commands' arguments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fxbot.cli.arguments import count_arg, date_arg
from fxbot.commands.service import cmd_schedule, cmd_slack_app

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_schedule(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot schedule`."""
    p = sub.add_parser(
        "schedule",
        parents=[common],
        help="run the daily job on schedule.cron until stopped (the daemon)",
        description="Run `fxbot run-once` in a fresh child process at schedule.cron; SIGTERM stops cleanly.",
    )
    p.add_argument(
        "--replay-from",
        type=date_arg,
        metavar="DATE",
        help="replay: each firing runs the next trading day from DATE (as run-once --as-of) instead of today",
    )
    p.add_argument("--replay-days", type=count_arg, metavar="N", help="with --replay-from: stop after N days")
    p.add_argument(
        "--replay-retrain",
        action="store_true",
        help="with --replay-from: retrain monthly as the schedule would (`fxbot retrain --as-of` before the first "
        "replayed day of each month); challengers are shadowed and judged by the replayed runs",
    )
    p.set_defaults(handler=cmd_schedule)


def add_slack_app(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot slack-app`."""
    p = sub.add_parser(
        "slack-app",
        parents=[common],
        help="answer /fxbot in Slack and keep the App Home (Socket Mode; its own long-running process)",
        description="Connect to Slack over Socket Mode (SLACK_APP_TOKEN, xapp-) and answer /fxbot status, "
        "history [N], week and help, read-only and visible only to the asker, to the users and channels in "
        "slack_app.allowed_*; publish the App Home. Exit 4 when the connection goes stale (systemd restarts it).",
    )
    p.set_defaults(handler=cmd_slack_app)
