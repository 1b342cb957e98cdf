"""Command line: parse arguments, call the command's handler, map errors to exit codes. Nothing else.

Exit codes: 0 ok, 2 usage or configuration error, 3 data or model error, 4 delivery error,
1 anything unexpected. Errors print as one line; ``--verbose`` adds the traceback.

    cli -> commands -> wiring -> library

``fxbot.cli.parser`` builds the parser (only the command being run's, from its group's module:
``daily``, ``service``, ``inspect``, ``data``, ``models``, ``research``, ``site``), with the
argument types of ``fxbot.cli.arguments``; each command's handler is in ``fxbot.commands``.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence

from fxbot.cli.parser import build_parser, command_in
from fxbot.commands import prepare_state
from fxbot.config import Secrets, load_settings
from fxbot.errors import FxbotError
from fxbot.redaction import install_log_filter

__all__ = ["build_parser", "command_in", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fxbot`` console script."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(command_in(arguments))
    except LookupError:  # not a command: the whole parser, to list the commands in its error
        parser = build_parser()
    args = parser.parse_args(arguments)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # urllib3 logs every retry as a warning; the provider's one-line error says what finally went wrong.
    logging.getLogger("urllib3").setLevel(logging.INFO if args.verbose else logging.ERROR)
    # slack_sdk logs at INFO only when it retries; below that only errors, which fxbot reports itself.
    logging.getLogger("slack_sdk").setLevel(logging.INFO if args.verbose else logging.CRITICAL)
    # Once, on the root handlers: every record from every logger passes it (slack_sdk logs request URLs).
    secrets = Secrets.from_env()
    install_log_filter(secrets.values())
    try:
        settings = load_settings(args.config)
        if args.command not in ("schedule", "alert") and not getattr(args, "health", False):
            # First use (and after an upgrade): seed state_dir; the daemon leaves it to its children.
            prepare_state(settings)
        return int(args.handler(args, settings))
    except FxbotError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"fxbot: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fxbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fxbot history | head`: the reader left; not an error worth a line
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: one line, the traceback on request
        if args.verbose:
            traceback.print_exc()
        print(
            f"fxbot: unexpected error: {type(exc).__name__}: {exc} (run with --verbose for the traceback)",
            file=sys.stderr,
        )
        return 1
