"""`fxbot fetch` and `fxbot import-csv`: the stored bars' commands' arguments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fxbot.cli.arguments import TOLERANCE_BOUNDS, bounded, config_number
from fxbot.commands.data import cmd_fetch, cmd_import_csv
from fxbot.config import DataSettings

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_fetch(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot fetch`."""
    p = sub.add_parser(
        "fetch",
        parents=[common],
        help="bring the stored bars up to date from the data provider",
        description="Fetch the bars after the last stored one (with a few days of overlap to catch revisions), "
        "check them and merge them into the store. data.provider picks the source.",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to fetch (default: all configured)")
    p.set_defaults(handler=cmd_fetch)


def add_import_csv(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot import-csv`."""
    p = sub.add_parser(
        "import-csv",
        parents=[common],
        help="import a broker CSV export into the store",
        description="Import a MetaTrader, generic or Japanese broker CSV export.",
    )
    p.add_argument("path", metavar="PATH", help="the CSV file")
    p.add_argument("--pair", required=True, help="which pair the file holds, e.g. USDJPY")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument(
        "--tolerance",
        type=bounded(float, TOLERANCE_BOUNDS, "a relative difference"),
        default=1e-4,
        help="relative difference that counts as disagreeing (default 0.0001)",
    )
    p.add_argument(
        "--only-new",
        action="store_true",
        help="append only the bars after the last stored one; the seam (data.overlap_days) is checked as a "
        "fetch's overlap is, the rest of the file's history is ignored",
    )
    p.add_argument(
        "--day-boundary",
        choices=["new-york", "utc"],
        default="new-york",
        help="where the file's days end: new-york (17:00, fxbot's bars; a file with Sunday bars is refused) or "
        "utc (midnight GMT/UTC: each Sunday bar is folded into its Monday, with a warning)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="let the file's bars replace stored bars that differ from them (refused otherwise when more than "
        "a few differ); the old file is kept in <data dir>/backup/",
    )
    p.add_argument(
        "--max-jump",
        type=config_number(DataSettings, "data.max_jump"),
        default=None,
        metavar="FRACTION",
        help="refuse a close this far from the previous close (default: data.max_jump, 0.15)",
    )
    p.set_defaults(handler=cmd_import_csv)
