"""A tiny variant sweep end to end: the local pool, a private local Ray cluster, and a Ray head the test starts.

Two variants (today's features next day; momentum and volatility over 5 days with another size), two
pairs, two months of 2008, tiny members (2-3 units, one epoch). Training is deterministic, so every
executor must produce the very same calls.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import BUNDLED_DATA, REPO, run_fxbot

pytestmark = pytest.mark.slow

TINY = {"units": 2, "epochs": 1, "members": 3, "seeds": [1, 2, 3]}
VARIANTS = {
    "variants": [
        {"name": "base"},
        {"name": "momentum-5d", "features": "momentum_vol", "target": "5_days", "units": 3},
    ]
}
ARGS = ["--from", "2008-01-02", "--to", "2008-02-29", "--retrain", "quarterly", "--pairs", "USDJPY", "EURJPY"]


def _ray_env() -> dict[str, str]:
    # Ray >= 2.5x authenticates with a token; a throwaway one keeps the test out of ~/.ray.
    return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Config, variants file and trials file of the sweep."""
    root = tmp_path_factory.mktemp("sweep")
    trials = root / "trials.jsonl"
    config = root / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"dir": str(BUNDLED_DATA)},
                "training": TINY,
                "backtest": {"rates_dir": str(REPO / "data" / "rates"), "trials_file": str(trials)},
            }
        )
    )
    variants = root / "variants.yaml"
    variants.write_text(yaml.safe_dump(VARIANTS))
    return config, variants, trials


@pytest.fixture(scope="module")
def local(setup: tuple[Path, Path, Path]) -> Path:
    """The sweep on the local process pool (2 workers), with a look-ahead check of one call per variant."""
    config, variants, _ = setup
    report = config.parent / "local"
    run = run_fxbot(
        "backtest", *ARGS, "--variants", str(variants), "--workers", "2", "--check-lookahead", "--samples", "1",
        "--report", str(report), "--config", str(config), timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "[4/4]" in run.stderr and "2 variant(s) x 1 period(s) x 2 pair(s)" in run.stderr
    assert "trials on record: 2" in run.stdout and "(this run added #1, #2)" in run.stdout
    return report


def _calls(report: Path, variant: str) -> pd.DataFrame:
    return pd.read_csv(report / variant / "calls.csv")


def test_local_sweep_reports_ranks_and_records_every_variant(local: Path, setup: tuple[Path, Path, Path]) -> None:
    _, _, trials = setup
    ranking = json.loads((local / "variants.json").read_text())["ranking"]
    assert sorted(r["variant"] for r in ranking) == ["base", "momentum-5d"]
    edges = [r["edge_vs_always_buy"] for r in ranking]
    assert edges == sorted(edges, reverse=True)
    text = (local / "variants.md").read_text()
    assert "| 1 | [" in text and ("beats always-buy" in text or "None of the 2 variants beats always-buy" in text)
    for name, horizon in (("base", 1), ("momentum-5d", 5)):
        metrics = json.loads((local / name / "metrics.json").read_text())
        assert metrics["variant"]["target_days"] == horizon
        assert metrics["lookahead"][0]["same"] is True  # purged data, same function, no leak
        assert metrics["trials"]["on_record"] == 2
        for entry in metrics["walk_forward"]["training"]:
            assert entry["purged"] == 4 * horizon  # purge + embargo at the test and the validation boundary
            assert entry["history_bars"] > 350  # 2006-06-16 .. 2007-12-31
        calls = _calls(local, name)
        assert calls["date"].min() == "2008-01-02" and calls["date"].max() == "2008-02-29"
        if horizon == 5:  # scored against the close 5 trading days later
            usd = calls[calls.pair == "USDJPY"].reset_index(drop=True)
            assert usd["target_close"].iloc[0] == pytest.approx(usd["close"].iloc[5])
        assert "Trials on record: **2**" in (local / name / "report.md").read_text()
    records = [json.loads(line) for line in trials.read_text().splitlines()]
    assert [r["variant"] for r in records] == ["base", "momentum-5d"]
    assert records[1]["features"]["USDJPY"][-5:] == ["mom5", "mom20", "mom60", "vol5", "vol20"]
    assert records[0]["config_hash"] != records[1]["config_hash"]
    listed = run_fxbot("trials", "--config", str(setup[0]))
    assert listed.stdout.strip().splitlines()[-1] == f"2 trial(s) on record in {trials}"


def _same_calls(a: Path, b: Path) -> None:
    for name in ("base", "momentum-5d"):
        left, right = _calls(a, name), _calls(b, name)
        members = [c for c in left.columns if c.startswith("member_")]
        assert (left["date"] == right["date"]).all()
        pd.testing.assert_frame_equal(left[members], right[members], atol=1e-6, rtol=0)


def test_the_same_sweep_on_a_private_local_ray_cluster(
    local: Path, setup: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    pytest.importorskip("ray")
    config, variants, trials = setup
    before = trials.read_bytes()
    report = tmp_path / "ray"
    run = run_fxbot(
        "backtest", *ARGS, "--variants", str(variants), "--executor", "ray", "--workers", "2",
        "--report", str(report), "--config", str(config), env=_ray_env(), timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "on a local Ray cluster (2 task(s) at a time)" in run.stderr
    _same_calls(local, report)
    assert trials.read_bytes().startswith(before)  # appended, never rewritten
    assert json.loads((report / "base" / "metrics.json").read_text())["walk_forward"]["executor"] == "ray"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A Ray head on 127.0.0.1 with 2 CPUs, in its own process group, stopped (that group only) afterwards."""
    pytest.importorskip("ray")
    port = _free_port()
    env = {**os.environ, **_ray_env()}
    ray = Path(sys.executable).with_name("ray")
    proc = subprocess.Popen(
        [str(ray), "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
         "--include-dashboard=false", "--disable-usage-stats"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        yield f"127.0.0.1:{port}", _ray_env() | {"RAY_AUTH_TOKEN": env["RAY_AUTH_TOKEN"]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of this head's group is left
        proc.wait(10)


def test_the_same_sweep_on_a_ray_cluster_joined_by_address(
    local: Path, setup: tuple[Path, Path, Path], ray_head: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    config, variants, _ = setup
    address, env = ray_head
    report = tmp_path / "cluster"
    run = run_fxbot(
        "backtest", *ARGS, "--variants", str(variants), "--executor", "ray", "--ray-address", address,
        "--report", str(report), "--config", str(config), env=env, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"on the Ray cluster at {address} (one task per cluster CPU)" in run.stderr
    assert json.loads((report / "base" / "metrics.json").read_text())["walk_forward"]["workers"] == 2  # its CPUs
    _same_calls(local, report)
