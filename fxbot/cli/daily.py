"""`fxbot run-once`, `summary`, `alert` and `risk`: the daily commands' arguments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fxbot.cli.arguments import date_arg
from fxbot.commands.daily import cmd_alert, cmd_risk, cmd_run_once, cmd_summary

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_run_once(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot run-once`."""
    p = sub.add_parser(
        "run-once",
        parents=[common],
        help="make today's calls and deliver them",
        description="Make the calls from the latest bars and deliver them.",
    )
    p.add_argument("--dry-run", action="store_true", help="print the calls; post and record nothing")
    p.add_argument(
        "--as-of",
        type=date_arg,
        metavar="DATE",
        help="what the bot would have said after DATE's close (bars up to DATE only)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="post even if the day's calls were already posted (a person's decision; also allows a past --as-of)",
    )
    p.add_argument(
        "--replay",
        action="store_true",
        help="allow a past --as-of to post; the post says it is a replay, and a posted day is not posted again",
    )
    p.add_argument("--no-fetch", action="store_true", help="use the stored bars as they are; fetch nothing first")
    p.add_argument(
        "--supervised",
        action="store_true",
        help="neither ping FXBOT_PING_URL nor write metrics.textfile: the `fxbot schedule` daemon does it for its runs",
    )
    p.set_defaults(handler=cmd_run_once)


def add_alert(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot alert`."""
    p = sub.add_parser(
        "alert",
        parents=[common],
        help="send a message as an alert through the configured notifiers",
        description="Send MESSAGE to the console and, with a Slack credential, to notify.slack.error_channel "
        "(else the channel). systemd's OnFailure= unit (deploy/fxbot-alert@.service) uses it. Exit 4 if a "
        "notifier failed.",
    )
    p.add_argument("message", nargs="+", metavar="MESSAGE", help="the alert text")
    p.set_defaults(handler=cmd_alert)


def add_summary(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot summary`."""
    p = sub.add_parser(
        "summary",
        parents=[common],
        help="the weekly summary: calls, accuracy against always-buy, P/L, drawdown, one chart",
        description="Summarise the week (Monday-Friday) that holds DATE from the ledger, per pair and pooled, "
        "and post it once per week and channel (the daemon does it at schedule.summary_cron).",
    )
    p.add_argument(
        "--week",
        type=date_arg,
        metavar="DATE",
        help="any day of the week (default: the newest week whose Friday has closed)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the summary; post and record nothing")
    p.add_argument("--force", action="store_true", help="post even if this week's summary was posted")
    p.set_defaults(handler=cmd_summary)


def add_risk(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot risk`."""
    p = sub.add_parser(
        "risk",
        parents=[common],
        help="today's book from history: 20-day and 1-day losses, stress windows, leverage within the budget",
        description="Make today's calls (as `run-once --dry-run --no-fetch` does, posting and recording nothing) and "
        "print every loss figure of the book from history: today's positions over every past 20-day window, "
        "the same at today's volatility, following the calls in the walk-forward, the 1-day 99% loss, named "
        "stress windows, and the leverage scale that keeps the posted loss and the worst 20 days within "
        "notify.risk.budget.",
    )
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="the book of the calls after DATE's close")
    p.set_defaults(handler=cmd_risk)
