"""Benchmark the walk-forward: wall time of `fxbot backtest` per executor and worker count, and what dominates.

    .venv/bin/python -m bench.backtest [--from 2008-01-01] [--to 2024-12-31] [--workers 1 2]
        [--executors local ray] [--variants FILE.yaml] [--config PATH] [--keep DIR]

Default: a yearly walk-forward 2008-01-01..2024-12-31 (17 retrains x 3 pairs x 5 members) with
--workers 1 and --workers 2 on the local pool. Target (issue 9): at most 10 minutes with 2 workers on
a 2-core machine, and the Ray executor (a private local cluster) within 1.2x of the local pool:
``--workers 2 --executors local ray`` runs them alternately. Prints figures; asserts nothing. The
time inside the workers' tasks (training + batch prediction + logistic baseline) is read from each
run's metrics.json. Each run appends its trials to a trials file inside the report folder, not to the
project's ledger: a benchmark is not a research trial.
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

import yaml

from tests.support.env import clean_env

REPO = Path(__file__).resolve().parents[1]


def run(start: str, end: str, workers: int, executor: str, report: Path, extra: list[str]) -> tuple[float, dict]:
    """Run one backtest in a child process; return its wall time and (the first variant's) metrics.json."""
    env = clean_env()
    report.mkdir(parents=True, exist_ok=True)
    config = report / "bench.yaml"
    base = yaml.safe_load(Path(extra[extra.index("--config") + 1]).read_text()) if "--config" in extra else {}
    base = base or {}
    base.setdefault("backtest", {})["trials_file"] = str(report / "trials.jsonl")
    config.write_text(yaml.safe_dump(base))
    rest = [a for i, a in enumerate(extra) if a != "--config" and (i == 0 or extra[i - 1] != "--config")]
    cmd = [sys.executable, "-m", "fxbot.cli", "backtest", "--from", start, "--to", end, "--retrain", "yearly"]
    cmd += ["--workers", str(workers), "--executor", executor, "--report", str(report), "--config", str(config)]
    began = time.perf_counter()
    proc = subprocess.run(cmd + rest, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"backtest ({executor}, {workers} worker(s)) failed ({proc.returncode}): {proc.stderr[-2000:]}")
    print(proc.stdout.strip())
    metrics = report / "metrics.json"
    if not metrics.exists():  # a sweep: every variant has its folder; the timing is shared
        metrics = next(report.glob("*/metrics.json"))
    return wall, json.loads(metrics.read_text())


def main() -> None:
    """Parse arguments, run each executor and worker count, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", default="2008-01-01")
    parser.add_argument("--to", dest="end", default="2024-12-31")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--executors", nargs="+", choices=["local", "ray"], default=["local"])
    parser.add_argument("--variants", metavar="FILE.yaml", help="run a sweep instead of the default variant")
    parser.add_argument("--config", metavar="PATH", help="fxbot config (e.g. tiny models for a quick comparison)")
    parser.add_argument("--keep", metavar="DIR", help="keep the reports under DIR (default: a temporary folder)")
    args = parser.parse_args()
    extra = (["--variants", args.variants] if args.variants else []) + (
        ["--config", args.config] if args.config else []
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        for workers in args.workers:
            for executor in args.executors:  # alternately, so load drifts hit both alike
                wall, metrics = run(args.start, args.end, workers, executor, root / f"{executor}-{workers}", extra)
                training = metrics["walk_forward"]["training"]
                task_seconds = sum(t["seconds"] for t in training)
                fit_seconds = sum(t.get("fit_seconds", 0.0) for t in training)
                fits = sum(len(t["epochs_trained"]) for t in training)
                epochs = sum(sum(t["epochs_trained"]) for t in training)
                wf = metrics["walk_forward"]["seconds"]
                rows.append((executor, workers, wall, wf, task_seconds, fit_seconds, len(training), fits, epochs))
    print(f"\nyearly walk-forward {args.start}..{args.end} on {os.cpu_count()} cores")
    print(f"{'executor':>9}{'workers':>8}{'wall s':>9}{'wall min':>9}{'walk-fwd s':>11}{'task s':>9}{'fit s':>8}"
          f"{'tasks':>7}{'fits':>6}{'epochs':>8}{'s/fit':>7}")  # fmt: skip
    for executor, workers, wall, wf, task_s, fit_s, tasks, fits, epochs in rows:
        print(
            f"{executor:>9}{workers:>8}{wall:>9.0f}{wall / 60:>9.1f}{wf:>11.0f}{task_s:>9.0f}{fit_s:>8.0f}{tasks:>7}"
            f"{fits:>6}{epochs:>8}{fit_s / fits:>7.1f}"
        )
    print("(tasks, fits and epochs of the first variant of a sweep; walk-fwd s covers every variant)")
    print("task s: time inside the workers' tasks, summed over tasks; fit s: the part inside fit_members (training);")
    print("the rest of a task is batch prediction and the logistic baseline. wall - walk-fwd s: start-up, analysis,")
    print("charts and the report.")


if __name__ == "__main__":
    main()
