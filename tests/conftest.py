"""Shared fixtures: a clean environment, the repo's bundled data and shipped models, tiny models."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
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
