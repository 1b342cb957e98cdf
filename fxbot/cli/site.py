"""`fxbot site`: the track-record page's arguments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fxbot.commands.site import cmd_site

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_site(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot site`."""
    p = sub.add_parser(
        "site",
        parents=[common],
        help="write the track-record page: DIR/index.html, self-contained (opens from disk)",
        description="Write one self-contained page (inline SVG charts, no outside asset): the verdict on the edge, "
        "the live P/L of following the calls against always-buy, the rolling accuracy with its random band, a "
        "per-pair table, the walk-forward (labelled a backtest), the risk figures and their exceedances, the "
        "models and the promotions log. Every run rewrites it when site.dir is set.",
    )
    p.add_argument("dir", nargs="?", metavar="DIR", help="the folder (default: site.dir)")
    p.add_argument(
        "--report",
        default="reports/backtest-2008-2024",
        metavar="DIR",
        help="the walk-forward report whose calls.csv is shown as the backtest (default reports/backtest-2008-2024)",
    )
    p.add_argument("--locale", choices=("en", "ja"), default=None, help="the page's language (default notify.locale)")
    p.set_defaults(handler=cmd_site)
