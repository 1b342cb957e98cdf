"""The commands: what each `fxbot` subcommand does, between the command line and the composition root.

    cli -> commands -> wiring -> library

``fxbot.cli`` parses the arguments, loads the settings and maps errors to exit codes; it calls one
handler here with the parsed arguments and the settings. A handler asks ``fxbot.wiring`` (or
``fxbot.sources``) for what its command talks to, calls the library, prints, and returns the exit
code. Nothing below ``fxbot.wiring`` imports this package. One module per command group:

    daily     run-once, summary, alert, risk: the day's calls, the week's summary, an alert, the book's risk
    service   schedule, slack-app: the long-running processes
    inspect   status, check, history: reports on the local state (check also tries the network)
    data      fetch, import-csv: the stored bars
    models    train, retrain, models, evidence: training and the model registry
    research  backtest, trials: walk-forward backtests and the trial ledger
    site      site: the track-record page

A handler imports what its command needs when it runs, so `fxbot run-once` loads no training,
backtest or Slack-app code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from fxbot.config import Settings
from fxbot.pairs import get_pair

#: A command's handler: the parsed arguments and the loaded settings in, the exit code out.
Handler = Callable[[argparse.Namespace, Settings], int]


def selected_pairs(args: argparse.Namespace, settings: Settings) -> list[str]:
    """The pairs ``--pairs`` names (checked, as codes), else every configured pair."""
    return [get_pair(p).code for p in args.pairs] if args.pairs else list(settings.pairs)


def prepare_state(settings: Settings) -> None:
    """Seed ``state_dir`` from the bundled data and shipped models where it lacks them (first use, upgrades)."""
    from fxbot.state import prepare_state as prepare

    prepare(settings)
