"""Benchmark the daily path against its floor (``bench/floor.py``), pinned to one core like the 1-vCPU VM.

Prints medians and ratios measured in one run; asserts nothing (targets and figures: docs/benchmarks.md):

    run-once --dry-run --no-fetch   <= 1.5x the floor's time, <= 1.25x its peak RSS
    a recording run (ledger, no Slack) <= 1.8x the floor's time
    the daemon's idle RSS           <= 45 MiB
    fxbot status                    <= 0.2 s

    .venv/bin/python -m bench.daily_path [--repeats 7] [--engines] [--training]

``--engines`` also times the `tensorflow` inference engine; ``--training`` one member's fit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.env import clean_env

REPO = Path(__file__).resolve().parents[1]


PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []


def measure(
    argv: list[str], env: dict[str, str], cwd: Path | None = None, ok: tuple[int, ...] = (0,)
) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one run; a failure stops the bench.

    A blocking ``os.wait4`` gives the exact end and the child's rusage. (The daemon's ``run_child``
    polls every 50 ms, which would round every figure here to 50 ms steps.)
    """
    began = time.perf_counter()
    proc = subprocess.Popen([*PIN, *argv], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here; tell Popen
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if code not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {code}: {stderr.strip().splitlines()[-1:] or ''}")
    return wall, usage.ru_maxrss / 1024


def medians(argv: list[str], env: dict[str, str], repeats: int, cwd: Path | None = None) -> tuple[float, float]:
    """Median wall time and peak RSS over ``repeats`` runs after one warm-up."""
    measure(argv, env, cwd)
    runs = [measure(argv, env, cwd) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def interleaved(commands: dict[str, Callable[[], tuple[float, float]]], repeats: int) -> dict[str, tuple[float, float]]:
    """Run each command once per round, ``repeats`` rounds, so machine noise hits them alike; medians."""
    for run in commands.values():
        run()  # warm the page cache
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, run in commands.items():
            samples[name].append(run())
    return {
        name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
        for name, runs in samples.items()
    }


def write_config(folder: Path, engine: str = "litert") -> Path:
    """A config on the bundled data and shipped models with its ledger in ``folder``."""
    config = folder / f"{engine}.yaml"
    config.write_text(
        f"model:\n  engine: {engine}\n  dir: {REPO / 'models'}\n"
        f"data:\n  dir: {REPO / 'data'}\n"
        f"ledger:\n  path: {folder / 'state' / 'fxbot.sqlite'}\n"
        # the daemon must not fire while it is measured: a yearly minute
        "schedule:\n  cron: '0 3 1 1 mon-fri'\n"
    )
    return config


def daemon_idle_rss(config: Path, env: dict[str, str], settle: float = 3.0) -> tuple[float, float]:
    """(RSS MiB after start-up and its catch-up day, RSS MiB after ``settle`` more seconds) of `fxbot schedule`."""
    proc = subprocess.Popen(
        [*PIN, sys.executable, "-m", "fxbot.cli", "schedule", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        for line in proc.stderr:  # the daemon logs its next run once the catch-up child is done
            if "next run" in line or time.monotonic() > deadline:
                break
        first = _rss_mib(proc.pid)
        time.sleep(settle)
        return first, _rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fxbot_command() -> list[str]:
    """The `fxbot` console script beside this Python (what cron and systemd run), else `python -m fxbot.cli`."""
    script = Path(sys.executable).with_name("fxbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fxbot.cli"]


def compile_bytecode() -> None:
    """Write fxbot's .pyc files first, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (as in
    this workplace and many images) an editable checkout would otherwise compile every module on
    every run, about 60 ms that a deployed install never pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "fxbot")], check=True)


def bench_daily_path(repeats: int) -> None:
    compile_bytecode()
    env = clean_env()
    python = sys.executable
    fxbot = fxbot_command()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder)
        commands = {
            "floor (numpy + LiteRT)": lambda: measure([python, str(REPO / "bench" / "floor.py")], env),
            # the command as written: the built-in defaults (bundled data and shipped models, relative
            # to the working directory), no config file
            "run-once --dry-run --no-fetch": lambda: measure(
                [*fxbot, "run-once", "--dry-run", "--no-fetch"], env, REPO
            ),
            # the same with a YAML config file, as a deployment has: PyYAML's import is about 14 ms of this
            "  ... with --config FILE": lambda: measure(
                [*fxbot, "run-once", "--dry-run", "--no-fetch", "--config", str(config)], env
            ),
            "run-once recording (ledger)": lambda: measure(
                [
                    python,
                    "-m",
                    "fxbot.cli",
                    "run-once",
                    "--no-fetch",
                    "--as-of",
                    "2024-12-31",
                    "--force",
                    *["--config", str(config)],
                ],
                env,
            ),
            # exit 3: the bundled data are stale by today's date, which status reports
            "fxbot status": lambda: measure([*fxbot, "status", "--config", str(config)], env, ok=(0, 3)),
        }
        print(f"pinned to one core ({' '.join(PIN) or 'taskset missing: not pinned'}); medians of {repeats} rounds")
        figures = interleaved(commands, repeats)
        floor_wall, floor_rss = figures["floor (numpy + LiteRT)"]
        print(f"{'':<34}{'wall s':>8}{'x floor':>9}{'peak RSS MiB':>14}{'x floor':>9}")
        for name, (wall, rss) in figures.items():
            print(f"{name:<34}{wall:>8.3f}{wall / floor_wall:>9.2f}{rss:>14.1f}{rss / floor_rss:>9.2f}")
        first, later = daemon_idle_rss(config, env)
        print(f"daemon (fxbot schedule) idle RSS: {first:.1f} MiB after its catch-up day, {later:.1f} MiB 3 s later")


def bench_engines(repeats: int) -> None:
    env = clean_env()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"run-once --dry-run --no-fetch per engine, medians of {repeats}")
        for engine in ("litert", "tensorflow"):
            config = write_config(Path(tmp), engine)
            wall, rss = medians(
                [sys.executable, "-m", "fxbot.cli", "run-once", "--dry-run", "--no-fetch", "--config", str(config)],
                env,
                repeats,
            )
            print(f"  {engine:<12}{wall:>8.2f} s{rss:>10.1f} MiB")


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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--engines", action="store_true", help="also time the tensorflow engine")
    parser.add_argument("--training", action="store_true", help="also time one member's training")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    bench_daily_path(args.repeats)
    if args.engines:
        bench_engines(args.repeats)
    if args.training:
        bench_training()


if __name__ == "__main__":
    main()
