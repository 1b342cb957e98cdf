"""`fxbot train`, `retrain`, `models` and `evidence`: the model commands' arguments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from msgspec import Meta

from fxbot.cli.arguments import bounded, config_number, count_arg, date_arg
from fxbot.commands.models import cmd_evidence, cmd_models, cmd_retrain, cmd_train
from fxbot.config import ScheduleSettings, TrainingSettings, key_bounds

if TYPE_CHECKING:
    from fxbot.cli.arguments import Subcommands


def add_train(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot train`."""
    p = sub.add_parser(
        "train",
        parents=[common],
        help="train each pair's ensemble (training.members members; needs fxbot[train])",
        description="Train the ensembles on the stored bars and store each as a new version in model.dir "
        "(the champion if the pair has none, else a challenger), or flat folders in --out.",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to train (default: all configured)")
    p.add_argument("--until", type=date_arg, metavar="DATE", help="last bar used for training (default: all)")
    p.add_argument(
        "--epochs",
        type=config_number(TrainingSettings, "training.epochs"),
        metavar="N",
        help="maximum epochs (default: training.epochs)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="write flat <PAIR>/ folders here instead of the registry (to import elsewhere)"
    )
    p.add_argument(
        "--jobs",
        type=count_arg,
        metavar="N",
        help="pairs trained at once, each in its own process (default: one per pair, core and GiB of memory)",
    )
    p.set_defaults(handler=cmd_train)


def add_retrain(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot retrain`."""
    p = sub.add_parser(
        "retrain",
        parents=[common],
        help="train a challenger per pair on the bars up to the last completed month (needs fxbot[train])",
        description="Train each pair's challenger with its champion's settings, each pair in its own child "
        "process; the daily run then makes its shadow calls and the gate decides. Without TensorFlow it is "
        "skipped with one line saying what to do instead.",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to retrain (default: all configured)")
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="train on bars up to the month before DATE's")
    p.add_argument(
        "--timeout",
        type=bounded(float, Meta(gt=0, le=key_bounds(ScheduleSettings, "retrain_timeout")[1].le), "seconds"),
        metavar="S",
        help="seconds for all pairs (default: schedule.retrain_timeout)",
    )
    p.add_argument("--scheduled", action="store_true", help="log the new versions as made by the schedule")
    p.add_argument("--phase", choices=["fit", "export", "holdback"], help=argparse.SUPPRESS)
    p.add_argument("--champion", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_retrain)


def add_models(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot models`."""
    p = sub.add_parser(
        "models",
        parents=[common],
        help="the model registry: list, show, promote, rollback, import versions",
        description="Each pair keeps immutable model versions in model.dir/<PAIR>/<version>/, a champion pointer "
        "(the version the daily run uses) and a promotions log (model.dir/promotions.jsonl).",
    )
    models = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = models.add_parser("list", parents=[common], help="every pair's versions; champion and challenger marked")
    q.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to list (default: all configured)")
    q = models.add_parser("show", parents=[common], help="one version's manifest and log records")
    q.add_argument("version", metavar="VERSION", help="e.g. USDJPY-20241231-1a2b3c4d")
    q = models.add_parser("promote", parents=[common], help="make VERSION its pair's champion (checked, logged)")
    q.add_argument("version", metavar="VERSION", help="a stored version (`fxbot models list`)")
    q = models.add_parser("rollback", parents=[common], help="restore PAIR's previous champion (logged)")
    q.add_argument("pair", nargs="+", metavar="PAIR", help="the pair(s) to roll back")
    q = models.add_parser(
        "import",
        parents=[common],
        help="check a version folder trained elsewhere and store it (a challenger, or the champion of a new pair)",
    )
    q.add_argument("path", metavar="DIR", help="the version folder (manifest.json and member files)")
    p.set_defaults(handler=cmd_models)


def add_evidence(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    """The parser of `fxbot evidence`."""
    p = sub.add_parser(
        "evidence",
        parents=[common],
        help="store a walk-forward's evidence with the models (models/<PAIR>/evidence.json)",
        description="Read DIR/metrics.json (written by `fxbot backtest`) and write each pair's evidence.json "
        "into model.dir: the vote's accuracy against always-buy on the same calls, the p-value, and the "
        "20-day loss from history of following the calls (99.9% quantile, shortfall, worst window). Every post "
        "quotes it.",
    )
    p.add_argument(
        "--report",
        default="reports/backtest-2008-2024",
        metavar="DIR",
        help="walk-forward report folder (default reports/backtest-2008-2024)",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to write (default: all configured)")
    p.set_defaults(handler=cmd_evidence)
