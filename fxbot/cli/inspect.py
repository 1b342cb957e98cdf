"""`fxbot check`, `status` and `history`: the reports' arguments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fxbot.cli.arguments import count_arg
from fxbot.commands.inspect import cmd_check, cmd_history, cmd_status

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_check(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot check`."""
    p = sub.add_parser(
        "check",
        parents=[common],
        help="check config, data, models and Slack without posting",
        description="Validate the config, call Slack's auth.test and check the channel, report data and models.",
    )
    p.set_defaults(handler=cmd_check)


def add_status(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot status`."""
    p = sub.add_parser(
        "status",
        parents=[common],
        help="last run, next run, data freshness, models, ledger health",
        description="Report local state without network access; exit 3 if data are stale or models missing.",
    )
    p.add_argument(
        "--health",
        action="store_true",
        help="only whether the `fxbot schedule` daemon is alive (its liveness file is fresh): exit 0 or 1 "
        "(the Docker HEALTHCHECK)",
    )
    p.set_defaults(handler=cmd_status)


def add_history(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot history`."""
    p = sub.add_parser(
        "history",
        parents=[common],
        help="the ledger: calls, realized moves, deliveries, accuracy",
        description="Show recorded calls with their realized outcome and delivery status, and accuracy per pair.",
    )
    p.add_argument("--days", type=count_arg, metavar="N", help="only the latest N bar days (default: all)")
    p.set_defaults(handler=cmd_history)
