"""Benchmark the walk-forward: wall time of `fxbot backtest` per worker count, and what dominates.

    .venv/bin/python -m bench.backtest [--from 2013-01-01] [--to 2024-12-31] [--workers 1 2] [--keep DIR]

Default: a yearly walk-forward 2013-01-01..2024-12-31 (12 retrains x 3 pairs x 5 members) with
--workers 1 and --workers 2. Target: under 20 minutes with 2 workers on a 2-core machine. Prints
figures; asserts nothing. The time inside the workers' tasks (training + batch prediction +
logistic baseline) is read from each run's metrics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.env import clean_env

REPO = Path(__file__).resolve().parents[1]


def run(start: str, end: str, workers: int, report: Path) -> tuple[float, dict]:
    """Run one backtest in a child process; return its wall time and metrics.json."""
    env = clean_env()
    cmd = [sys.executable, "-m", "fxbot.cli", "backtest", "--from", start, "--to", end, "--retrain", "yearly"]
    cmd += ["--workers", str(workers), "--report", str(report)]
    began = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"backtest with {workers} worker(s) failed ({proc.returncode}): {proc.stderr[-2000:]}")
    print(proc.stdout.strip())
    return wall, json.loads((report / "metrics.json").read_text())


def main() -> None:
    """Parse arguments, run each worker count, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", default="2013-01-01")
    parser.add_argument("--to", dest="end", default="2024-12-31")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", metavar="DIR", help="keep the reports under DIR (default: a temporary folder)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        for workers in args.workers:
            wall, metrics = run(args.start, args.end, workers, root / f"workers-{workers}")
            training = metrics["walk_forward"]["training"]
            task_seconds = sum(t["seconds"] for t in training)
            fit_seconds = sum(t.get("fit_seconds", 0.0) for t in training)
            fits = sum(len(t["epochs_trained"]) for t in training)
            epochs = sum(sum(t["epochs_trained"]) for t in training)
            rows.append(
                (
                    workers,
                    wall,
                    metrics["walk_forward"]["seconds"],
                    task_seconds,
                    fit_seconds,
                    len(training),
                    fits,
                    epochs,
                )
            )
    print(f"\nyearly walk-forward {args.start}..{args.end} on {os.cpu_count()} cores")
    print(f"{'workers':>8}{'wall s':>9}{'wall min':>9}{'walk-fwd s':>11}{'task s':>9}{'fit s':>8}{'tasks':>7}"
          f"{'fits':>6}{'epochs':>8}{'s/fit':>7}")  # fmt: skip
    for workers, wall, wf, task_s, fit_s, tasks, fits, epochs in rows:
        print(
            f"{workers:>8}{wall:>9.0f}{wall / 60:>9.1f}{wf:>11.0f}{task_s:>9.0f}{fit_s:>8.0f}{tasks:>7}{fits:>6}"
            f"{epochs:>8}{fit_s / fits:>7.1f}"
        )
    print("task s: time inside the workers' tasks, summed over tasks; fit s: the part inside fit_member (training);")
    print("the rest of a task is batch prediction and the logistic baseline. wall - walk-fwd s: start-up, analysis,")
    print("charts and the report.")


if __name__ == "__main__":
    main()
