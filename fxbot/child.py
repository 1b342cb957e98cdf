"""How fxbot starts itself in a child process (the daemon's days, the retrain's phases, the page after a run).

``python -P -m fxbot.cli``: ``-P`` (Python 3.11+) keeps the working directory off the import path, so a
child runs the same installed fxbot as its parent. Without it, a daemon started from the folder that holds
a checkout named ``fxbot`` imported that folder as the package and every day failed, and a daemon running in
its checkout (``WorkingDirectory=/opt/fxbot``) ran the checkout's source, changed by a `git pull`, beside
its parent's installed code.
"""

from __future__ import annotations

import sys


def fxbot_argv(*arguments: str) -> list[str]:
    """The command line that runs ``fxbot ARGUMENTS...`` with this interpreter and this fxbot."""
    return [sys.executable, "-P", "-m", "fxbot.cli", *arguments]
