"""Shared fixtures: a clean environment, the repo's bundled data and shipped models, tiny models."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fxbot.config import STATE_DIR_ENV
from fxbot.data.bars import Bars
from fxbot.data.store import PriceStore

from .support.env import OWN_PREFIXES, clean_env
from .support.slack_server import SlackStandIn

REPO = Path(__file__).resolve().parents[1]
BUNDLED_DATA = REPO / "data"
SHIPPED_MODELS = REPO / "models"


@pytest.fixture(autouse=True, scope="session")
def _clean_session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for session- and module-scoped fixtures, which are set up before a test's own environment.

    Without it, a module fixture that runs the CLI (a seeded ledger, a replayed site) seeded the checkout's
    ``state/`` (the built-in state_dir inside a checkout), a folder every pytest-xdist worker would share.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(OWN_PREFIXES):
                patch.delenv(name, raising=False)
        patch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("session-state")))
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("session-xdg-state")))
        yield


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's Slack, OANDA or fxbot settings, nor their state folder.

    Each test gets its own empty state folder through FXBOT_STATE_DIR (which ``clean_env`` passes on to child
    processes), and XDG_STATE_HOME in a temporary folder too, so neither the checkout's ``state/`` nor
    ``~/.local/state/fxbot`` is read or written. A test about state_dir itself sets FXBOT_STATE_DIR to "".
    """
    for name in list(os.environ):
        if name.startswith(OWN_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """A Slack Web API and webhook stand-in on 127.0.0.1, stopped after the test."""
    with SlackStandIn() as server:
        yield server


@pytest.fixture(scope="session")
def bundled_store() -> PriceStore:
    """The bundled history (read only)."""
    return PriceStore(BUNDLED_DATA)


@pytest.fixture(scope="session")
def usdjpy(bundled_store: PriceStore) -> Bars:
    """All bundled USD/JPY bars."""
    return bundled_store.load("USDJPY")


def run_fxbot(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the fxbot CLI in a subprocess, as a user would, with a clean environment."""
    base = clean_env(env)
    return subprocess.run(
        [sys.executable, "-m", "fxbot.cli", *args],
        cwd=cwd or REPO,
        env=base,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


#: ``run_fxbot``'s signature: the ``fxbot_cli`` fixture's type.
FxbotCli = Callable[..., subprocess.CompletedProcess[str]]

#: Loggers whose level ``fxbot.cli.main`` sets; restored after an in-process run, as a new process would start.
_CLI_LOGGERS = ("", "fxbot", "urllib3", "slack_sdk")


def invoke_fxbot(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``fxbot.cli.main`` in this process as ``run_fxbot`` runs the CLI in a child: same result, no process.

    The environment is ``clean_env(env)`` (the autouse fixture already cleared the rest), the working folder
    ``cwd`` or the checkout; stdout and stderr are captured, and the root logger starts without handlers, so
    ``main``'s ``logging.basicConfig`` writes its lines to the captured stderr as it does in a child. All of it
    is put back afterwards. For what a process proves (signals, exit by the console script, imports, memory,
    locks held across processes), use ``run_fxbot``. `run-once` and `summary` close their ledger when they end,
    in process as in a child, so a ledger file is whole (its WAL checkpointed) once the call returns.
    """
    from fxbot.cli import main

    root = logging.getLogger()
    handlers, levels = root.handlers[:], {name: logging.getLogger(name).level for name in _CLI_LOGGERS}
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.chdir(cwd or REPO)
        root.handlers = []
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse's usage errors, as the console script would exit
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                    if isinstance(exc.code, str):
                        print(exc.code, file=sys.stderr)
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers = handlers
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
    return subprocess.CompletedProcess(["fxbot", *args], code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def fxbot_cli() -> FxbotCli:
    """``fxbot_cli(*args, cwd=..., env=...)``: the in-process ``run_fxbot`` (``invoke_fxbot``), without an import."""
    return invoke_fxbot
