"""The parser of `fxbot`: the options every command takes, and each command's parser from its group's module.

The subcommands are listed once, in ``COMMANDS`` (in `fxbot --help`'s order), with the module of
``fxbot.cli`` that adds each one's parser (``add_<command>``): ``daily``, ``service``, ``inspect``,
``data``, ``models``, ``research`` and ``site``, as the handlers are grouped in ``fxbot.commands``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from fxbot import __version__
from fxbot.cli.arguments import Parser

#: Every subcommand, in `fxbot --help`'s order, and the module of ``fxbot.cli`` that builds its parser.
COMMANDS: dict[str, str] = {
    "run-once": "daily",
    "fetch": "data",
    "check": "inspect",
    "schedule": "service",
    "slack-app": "service",
    "status": "inspect",
    "alert": "daily",
    "history": "inspect",
    "train": "models",
    "retrain": "models",
    "models": "models",
    "backtest": "research",
    "trials": "research",
    "summary": "daily",
    "risk": "daily",
    "site": "site",
    "evidence": "models",
    "import-csv": "data",
}


def command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is neither an option nor --config's value)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand, or with ``command`` only that one.

    Every subcommand's parser costs argparse a HelpFormatter and gettext look-ups per argument, and
    its module an import: building all of them was about 7 ms of every run, of which a run needs its
    own command's. Raises LookupError if ``command`` is not a subcommand (``main`` then builds them
    all, for the usual "invalid choice" message)."""
    if command is not None and command not in COMMANDS:
        raise LookupError(command)
    # --config and --verbose work before or after the command; the copy on each subcommand must
    # not reset a value given before it, hence SUPPRESS there.
    top = argparse.ArgumentParser(add_help=False)
    common = argparse.ArgumentParser(add_help=False)
    for target, default in ((top, None), (common, argparse.SUPPRESS)):
        target.add_argument(
            "--config",
            metavar="PATH",
            default=default,
            help="YAML config (default: $FXBOT_CONFIG, else built-in defaults)",
        )
        target.add_argument(
            "--verbose",
            "-v",
            action="store_true",
            default=default or False,
            help="log more and show tracebacks on errors",
        )

    parser = Parser(prog="fxbot", description="Daily FX signal bot for USD/JPY, EUR/JPY and GBP/JPY.", parents=[top])
    parser.add_argument("--version", action="version", version=f"fxbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, group in COMMANDS.items():
        if command is None or name == command:
            module = importlib.import_module(f"fxbot.cli.{group}")
            getattr(module, "add_" + name.replace("-", "_"))(sub, common)
    return parser
