"""A fetch killed (SIGKILL) while writing leaves every stored file byte for byte as it was.

The pause that gives the test its moment to kill lives here, in a runner script that wraps the
real ``fxbot.cli.main``: product code has no test hook.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fxbot.data.store import PriceStore

from .conftest import REPO, SHIPPED_MODELS
from .support.env import clean_env
from .support.market_servers import OANDA_TOKEN, MarketServer, serve

PAIRS = ["USDJPY", "EURJPY", "GBPJPY"]

RUNNER = r"""
import os, sys, time
from pathlib import Path

signal_file = Path(sys.argv[1])
where = sys.argv[2]

def pause(note):
    signal_file.write_text(note)
    time.sleep(120)  # the test kills us long before this ends

if where == "before-rename":
    real_replace = os.replace
    def paused_replace(src, dst):
        pause(f"temp file {src} complete, not yet renamed")
        real_replace(src, dst)
    os.replace = paused_replace
else:  # mid-write: half of the new file's text is on disk
    real_fdopen = os.fdopen
    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)
        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            os.fsync(self.handle.fileno())
            pause("half the temp file written")
        def __getattr__(self, name):
            return getattr(self.handle, name)
    os.fdopen = lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k))

from fxbot.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture
def server(bundled_store: PriceStore) -> Iterator[MarketServer]:
    with serve({p: bundled_store.load(p) for p in PAIRS}) as srv:
        yield srv


@pytest.mark.parametrize("where", ["mid-write", "before-rename"])
def test_killed_fetch_leaves_the_store_as_it_was(
    tmp_path: Path, server: MarketServer, bundled_store: PriceStore, where: str
) -> None:
    store = PriceStore(tmp_path / "data")
    for pair in PAIRS:
        store.save(pair, bundled_store.load(pair).up_to("2024-12-13"))
    before = {p: store.path(p).read_bytes() for p in PAIRS}
    config = tmp_path / "config.yaml"
    # The models elsewhere than under state_dir: the first write the runner breaks is the store's, not seeding's.
    config.write_text(
        yaml.safe_dump({"data": {"dir": str(store.directory), "retries": 0}, "model": {"dir": str(SHIPPED_MODELS)}})
    )
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    signal_file = tmp_path / "paused"
    env = clean_env({"OANDA_API_TOKEN": OANDA_TOKEN, "FXBOT_OANDA_API_URL": server.url})
    child = subprocess.Popen(
        [sys.executable, str(runner), str(signal_file), where, "fetch", "--config", str(config)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not signal_file.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert signal_file.exists(), child.communicate(timeout=10)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert {p: store.path(p).read_bytes() for p in PAIRS} == before  # byte for byte
    for pair in PAIRS:
        store.load(pair)  # and every file still loads and validates
    leftovers = list(store.directory.glob(".*.tmp"))
    assert len(leftovers) == 1  # the killed writer's temporary file, never read as data

    partial = leftovers[0].read_bytes()
    assert leftovers[0].name.startswith(".USDJPY.csv.")  # killed while writing the first pair

    # The next fetch completes the job and clears the (aged) leftover.
    old = time.time() - 3600
    os.utime(leftovers[0], (old, old))
    result = subprocess.run(
        [sys.executable, "-m", "fxbot.cli", "fetch", "--config", str(config)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert list(store.directory.glob(".*.tmp")) == []
    for pair in PAIRS:
        assert store.load(pair).to_frame().index[-1] == pd.Timestamp("2024-12-31")
    final = store.path("USDJPY").read_bytes()
    if where == "mid-write":  # the kill really hit a half-written temporary file
        assert final.startswith(partial) and len(partial) == len(final.decode()) // 2
    else:
        assert partial == final
