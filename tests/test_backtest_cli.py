"""`fxbot backtest` as a user runs it: a short walk-forward with tiny models, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import BUNDLED_DATA, FxbotCli, run_fxbot

TINY = {"units": 4, "epochs": 2, "members": 3, "seeds": [1, 2, 3], "start": "2018-01-01"}


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "pairs": ["USDJPY", "EURJPY"],
                "data": {"dir": str(BUNDLED_DATA)},
                "training": TINY,
                "backtest": {"trials_file": str(tmp_path / "trials.jsonl")},  # never the project's ledger
            }
        )
    )
    return config


def test_bad_backtest_options_exit_2_with_one_line(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    run = fxbot_cli("backtest", "--max-loss", "25", "--report", str(tmp_path / "r"))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "fxbot: error: --max-loss is a fraction of equity between 0 and 1 (e.g. 0.25), got 25.0"
    ]
    assert not (tmp_path / "r").exists()
    missing = fxbot_cli("backtest", "--reuse", "--report", str(tmp_path / "none"))
    assert missing.returncode == 3 and "run `fxbot backtest --report" in missing.stderr


@pytest.mark.slow
def test_short_walk_forward_report_calibration_and_lookahead_check(tmp_path: Path) -> None:
    config, report = _config(tmp_path), tmp_path / "report"
    args = ["--from", "2021-01-04", "--to", "2021-05-31", "--retrain", "quarterly", "--report", str(report)]
    run = run_fxbot(
        "backtest", *args, "--workers", "2", "--calibrate", "--check-lookahead", "--samples", "1",
        "--config", str(config), timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "[4/4]" in run.stderr and "look-ahead check 1/1" in run.stderr  # progress display
    assert "look-ahead check passed: 1 sampled calls identical" in run.stdout
    assert "calibration (max loss 25%, 99.9% 20-day loss from history): USDJPY 1.79 ->" in run.stdout
    assert "calibration (max loss 25%, worst 20 days from history): USDJPY 1.79 ->" in run.stdout
    assert "VaR backtest 1-day 99%:" in run.stdout
    for name in ("report.md", "metrics.json", "calls.csv", "equity.png", "pnl_blocks.png", "rolling_accuracy.png"):
        assert (report / name).stat().st_size > 100, name
    metrics = json.loads((report / "metrics.json").read_text())
    assert [p["label"] for p in metrics["periods"]] == ["2021Q1", "2021Q2"]
    # the VaR backtest of the posted figures and the named stress windows (none inside this short run)
    one_day = metrics["var_backtest"]["one_day"]
    assert {"kupiec", "christoffersen", "traffic_light"} <= set(one_day) and one_day["observations"] > 90
    assert metrics["stress_windows"][0]["name"] == "2008-10 carry unwind"
    assert all(w["calls_pnl"] is None for w in metrics["stress_windows"])
    calls = pd.read_csv(report / "calls.csv")
    assert calls["date"].min() == "2021-01-04" and calls["date"].max() == "2021-05-31"
    # each period's models were trained on bars before it only
    for entry in metrics["walk_forward"]["training"]:
        start = next(p["start"] for p in metrics["periods"] if p["label"] == entry["period"])
        assert entry["train_end"] < start
    assert metrics["pairs"]["USDJPY"]["vote"]["calls"] == len(calls[calls.pair == "USDJPY"])
    assert metrics["trials"]["on_record"] == 1 and "trials on record: 1" in run.stdout

    # re-report without retraining: same figures
    again = run_fxbot("backtest", *args, "--reuse", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:2] == run.stdout.splitlines()[:2]
    assert "trials on record: 1 in" in again.stdout  # a re-report is not a new trial

    # a walk-forward whose calls do not follow from the data cut at their day must fail loudly
    members = [c for c in calls.columns if c.startswith("member_")]
    calls[members] = 1.0 - calls[members]
    calls.to_csv(report / "calls.csv", index=False)
    leaked = run_fxbot(
        "backtest", *args, "--reuse", "--check-lookahead", "--samples", "1", "--config", str(config), timeout=600
    )
    assert leaked.returncode == 3
    assert "look-ahead check FAILED on 1 of 1 sampled call(s)" in leaked.stderr
