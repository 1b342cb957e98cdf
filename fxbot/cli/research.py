"""`fxbot backtest` and `fxbot trials`: the research commands' arguments."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from fxbot.cli.arguments import date_arg
from fxbot.commands.research import cmd_backtest, cmd_trials

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_backtest(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot backtest`."""
    p = sub.add_parser(
        "backtest",
        parents=[common],
        help="walk-forward backtest and risk report (needs fxbot[train])",
        description="Retrain the ensembles before each period, call each day of it from earlier bars only, "
        "and write report.md, metrics.json and charts.",
    )
    p.add_argument(
        "--from",
        dest="start",
        type=date_arg,
        default=dt.date(2008, 1, 1),
        metavar="DATE",
        help="first decision day (default 2008-01-01: the 2008 crash is inside the test)",
    )
    p.add_argument("--to", dest="end", type=date_arg, metavar="DATE", help="last decision day (default: last bar)")
    p.add_argument(
        "--retrain",
        choices=["yearly", "quarterly", "none"],
        default="yearly",
        help="how often the ensembles are retrained (default yearly)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="training processes (default 1); with --executor ray, tasks at a time (default: every cluster CPU)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="local: this machine's process pool (default); ray: a Ray cluster (needs fxbot[cluster])",
    )
    p.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="join this running Ray cluster ('auto' finds a local one); default: start a private local cluster",
    )
    p.add_argument(
        "--variants",
        metavar="FILE.yaml",
        help="run every variant of FILE over the same periods (a sweep); each is a trial on record",
    )
    p.add_argument(
        "--report", default="reports/backtest", metavar="DIR", help="report folder (default reports/backtest)"
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to test (default: all configured)")
    p.add_argument("--calibrate", action="store_true", help="propose leverages within the risk budget")
    p.add_argument(
        "--max-loss",
        type=float,
        default=0.25,
        metavar="F",
        help="risk budget, fraction of equity (0.25)",
    )
    p.add_argument(
        "--horizon",
        type=int,
        default=20,
        metavar="DAYS",
        help="P/L horizon in trading days (20)",
    )
    p.add_argument(
        "--confidence",
        type=float,
        default=0.999,
        metavar="C",
        help="interval confidence (0.999)",
    )
    p.add_argument(
        "--check-lookahead",
        action="store_true",
        help="retrain sampled calls with the data cut at their day; fail if any differs",
    )
    p.add_argument("--samples", type=int, default=5, metavar="N", help="calls the look-ahead check recomputes (5)")
    p.add_argument(
        "--reuse", action="store_true", help="re-report the calls already in DIR (calls.csv) without retraining"
    )
    p.set_defaults(handler=cmd_backtest)


def add_trials(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot trials`."""
    p = sub.add_parser(
        "trials",
        parents=[common],
        help="list the trial ledger: every walk-forward run on record",
        description="List backtest.trials_file, one line per trial (variant, periods, accuracy vs always-buy, "
        "Sharpe), and count them. Nothing is ever deleted from it.",
    )
    p.add_argument("--file", metavar="PATH", help="another trials file (default: backtest.trials_file)")
    p.set_defaults(handler=cmd_trials)
