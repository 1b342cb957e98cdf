"""The long-running commands: `fxbot schedule` (the daemon) and `fxbot slack-app` (Socket Mode)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from fxbot import wiring
from fxbot.config import Secrets, Settings
from fxbot.errors import UsageError


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Run the daemon until SIGTERM or SIGINT."""

    # The daemon's own lines (each child's exit code, time and peak RSS) belong in the journal.
    logging.getLogger("fxbot").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    chosen = args.config or os.environ.get("FXBOT_CONFIG")
    if args.replay_days is not None and args.replay_from is None:
        raise UsageError("--replay-days needs --replay-from DATE")
    if args.replay_retrain and args.replay_from is None:
        raise UsageError("--replay-retrain needs --replay-from DATE")
    daemon = wiring.build_daemon(
        settings,
        Path(chosen).resolve() if chosen else None,
        Secrets.from_env(),
        replay_from=args.replay_from,
        replay_days=args.replay_days,
        replay_retrain=args.replay_retrain,
    )
    daemon.run()
    return 0


def cmd_slack_app(args: argparse.Namespace, settings: Settings) -> int:
    """Answer /fxbot commands and keep the App Home over Socket Mode until stopped (or stale: exit 4)."""

    logging.getLogger("fxbot").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    return wiring.slack_app(settings, Secrets.from_env()).run()
