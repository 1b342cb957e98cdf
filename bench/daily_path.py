"""Benchmark the daily path: wall time and peak RSS of `fxbot run-once --dry-run` per engine,
and the time to train one member. Prints figures; asserts nothing (targets are in the README).

    .venv/bin/python bench/daily_path.py [--repeats 5] [--skip-training]

Targets on a 2-core machine: litert peak RSS <= 150 MB and wall <= 2 s; tensorflow inside 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from fxbot.scheduler import run_child

REPO = Path(__file__).resolve().parents[1]


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one run, by the daemon's own child runner."""
    result = run_child(args, timeout=600, env=env, stdout=subprocess.DEVNULL)
    return result.wall_seconds, result.peak_rss_mib, -1 if result.exit_code is None else result.exit_code


def daily_path_command(config: Path) -> list[str]:
    """The command the daily job runs, without fetching (that would need a provider)."""
    base = [sys.executable, "-m", "fxbot.cli", "run-once"]
    help_text = subprocess.run([*base, "--help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    flags = ["--dry-run"] + (["--no-fetch"] if "--no-fetch" in help_text else [])
    return [*base, *flags, "--config", str(config)]


def bench_engines(repeats: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OANDA_", "FXBOT_"))}
    print(f"run-once --dry-run on the bundled data and shipped models, median of {repeats} (after 1 warm-up)")
    print(f"{'engine':<12}{'wall s':>9}{'min s':>8}{'max s':>8}{'peak RSS MiB':>15}{'max MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("litert", "tensorflow"):
            config = Path(tmp) / f"{engine}.yaml"
            config.write_text(
                yaml.safe_dump(
                    {"model": {"engine": engine, "dir": str(REPO / "models")}, "data": {"dir": str(REPO / "data")}}
                )
            )
            command = daily_path_command(config)
            measure(command, env)  # warm the page cache
            walls, rss = [], []
            for _ in range(repeats):
                wall, peak, code = measure(command, env)
                if code != 0:
                    raise SystemExit(f"{engine}: run-once exited {code}")
                walls.append(wall)
                rss.append(peak)
            print(
                f"{engine:<12}{statistics.median(walls):>9.2f}{min(walls):>8.2f}{max(walls):>8.2f}"
                f"{statistics.median(rss):>15.1f}{max(rss):>9.1f}"
            )


def bench_training() -> None:
    import msgspec

    from fxbot.config import TrainingSettings
    from fxbot.data.store import PriceStore
    from fxbot.model.training import fit_member, prepare_training_data

    cfg = TrainingSettings()
    data = prepare_training_data(PriceStore(REPO / "data").load("USDJPY"), cfg.validation_fraction)
    for patience, label in ((cfg.patience, "with early stopping (as shipped)"), (cfg.epochs, "all 30 epochs")):
        start = time.perf_counter()
        member = fit_member(data, cfg.seeds[0], msgspec.structs.replace(cfg, patience=patience), "bench", None)
        elapsed = time.perf_counter() - start
        print(
            f"train one member, USDJPY {len(data.y_train)} samples, {label}: "
            f"{elapsed:.1f} s for {member.epochs_trained} epochs ({elapsed / member.epochs_trained:.2f} s/epoch)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    bench_engines(args.repeats)
    if not args.skip_training:
        bench_training()


if __name__ == "__main__":
    main()
