"""fxbot's children run the parent's fxbot, whatever folder the parent was started from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fxbot
from fxbot.child import fxbot_argv
from fxbot.scheduler import daily_command

from .support.env import clean_env


def _decoy(tmp_path: Path) -> Path:
    """A folder holding a checkout-like ``fxbot/`` that is not the installed package (as ``~`` holds ``~/fxbot``)."""
    (tmp_path / "fxbot").mkdir()
    (tmp_path / "fxbot" / "__init__.py").write_text('raise ImportError("the wrong fxbot")\n')
    return tmp_path


def test_a_child_started_beside_a_folder_named_fxbot_runs_the_installed_fxbot(tmp_path: Path) -> None:
    folder = _decoy(tmp_path)
    plain = [sys.executable, "-m", "fxbot.cli", "--version"]  # what the daemon ran before: the decoy wins
    assert subprocess.run(plain, cwd=folder, env=clean_env(), capture_output=True, check=False).returncode != 0
    done = subprocess.run(
        fxbot_argv("--version"), cwd=folder, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert fxbot.__version__ in done.stdout


def test_the_daemons_children_use_it() -> None:
    assert daily_command(None)[:4] == fxbot_argv()
