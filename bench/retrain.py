"""Benchmark one full monthly retrain of the three pairs, pinned to one core (the 1-vCPU VM).

    .venv/bin/python -m bench.retrain [--cpu 0] [--daily-runs 5]

A registry in a temporary folder gets the shipped champions with their manifests' training end moved
back to 2024-11-29, so that `fxbot retrain --as-of 2025-01-15` trains real challengers on the bars up
to 2024-12-31 with the shipped settings (5 members, LSTM(32), up to 30 epochs, all history). The
retrain runs under ``taskset -c CPU``; each pair is fitted in one child process, exported in
another and walked forward over its held-back months in a third. Printed: the wall time, each
child's peak RSS (from the retrain's own lines) and the largest process's peak RSS (wait4 on the
retrain, which covers every process it waited for). Then the daily run (`run-once --dry-run
--no-fetch`, also pinned to CPU) is timed alone and while a retrain runs on
the same core. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import msgspec
import yaml

from fxbot.model.artifacts import read_manifest, write_manifest
from fxbot.model.registry import Registry
from fxbot.scheduler import run_child

REPO = Path(__file__).resolve().parents[1]
PAIRS = ("USDJPY", "EURJPY", "GBPJPY")


def _setup(root: Path) -> Path:
    registry = Registry(root / "models")
    for pair in PAIRS:
        folder = root / "seed" / pair
        shutil.copytree(REPO / "models" / pair, folder)
        manifest = msgspec.structs.replace(read_manifest(folder, pair=pair), train_end="2024-11-29")
        write_manifest(folder, manifest)
        registry.add(folder)
    config = root / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"dir": str(REPO / "data")},
                "model": {"dir": str(root / "models")},
                "ledger": {"path": str(root / "l.sqlite")},
                "lifecycle": {"max_model_age_days": 3650},
            }
        )
    )
    return config


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OANDA_", "FXBOT_"))}


def _daily(config: Path, cpu: int) -> float:
    argv = ["taskset", "-c", str(cpu), sys.executable, "-m", "fxbot.cli", "run-once", "--dry-run", "--no-fetch"]
    argv += ["--as-of", "2024-12-30", "--config", str(config)]
    began = time.perf_counter()
    subprocess.run(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def main() -> None:
    """Run the retrain once, pinned, and print its figures; then the daily run alone and beside a retrain."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=0, help="the core everything is pinned to (default 0)")
    parser.add_argument("--daily-runs", type=int, default=5, help="daily runs timed alone and during a retrain")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, pinned to core {args.cpu}; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        config = _setup(Path(tmp))
        argv = ["taskset", "-c", str(args.cpu), sys.executable, "-m", "fxbot.cli", "retrain"]
        argv += ["--as-of", "2025-01-15", "--timeout", "7000", "--config", str(config)]
        out = Path(tmp) / "retrain.out"
        with out.open("w") as handle:
            result = run_child(argv, 7200, env=_env(), stdout=handle.fileno())
        text = out.read_text()
        print(text.strip())
        print(
            f"full retrain of {len(PAIRS)} pairs: exit {result.exit_code}, wall {result.wall_seconds:.1f} s, "
            f"largest process peak RSS {result.peak_rss_mib:.0f} MiB (target: every process < 800 MB = 763 MiB)"
        )
        peaks = [float(m) for m in re.findall(r"(?:fit|export|holdback) (\d+) MiB", text)]
        if peaks:
            print(f"child peak RSS (fit, export, holdback per pair): {', '.join(f'{p:.0f}' for p in peaks)} MiB")

        alone = [_daily(config, args.cpu) for _ in range(args.daily_runs)]
        # The same daily runs while a second retrain (a fresh registry state: the challengers removed) runs.
        for pair in PAIRS:
            for version in Registry(Path(tmp) / "models").versions(pair):
                if not version.champion:
                    shutil.rmtree(version.folder)
        busy: list[float] = []
        background = subprocess.Popen(
            argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0
        )
        try:
            time.sleep(8)  # into the training, past TensorFlow's import
            thread = threading.Thread(
                target=lambda: busy.extend(_daily(config, args.cpu) for _ in range(args.daily_runs))
            )
            thread.start()
            thread.join()
        finally:
            os.killpg(background.pid, 9)  # the retrain and its pair child
            background.wait()
        print(
            f"daily run (run-once --dry-run, 3 pairs) pinned to core {args.cpu}: "
            f"median {statistics.median(alone):.2f} s alone, {statistics.median(busy):.2f} s while a retrain runs "
            "on the same core (the retrain is niced)"
        )


if __name__ == "__main__":
    main()
