"""Two checkouts' daily paths against one floor, interleaved in one run (a before/after that means something).

Each checkout needs its own venv (`make .venv/.run-installed` in it); fxbot's bytecode is compiled first in
both, as `pip install .` does. Prints medians and ratios to the floor (``bench/floor.py`` of this checkout):

    .venv/bin/python -m bench.daily_path_versus BEFORE_CHECKOUT AFTER_CHECKOUT [--repeats 9]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.daily_path import REPO, interleaved, measure, write_config
from tests.support.env import clean_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs=2, type=Path, metavar="CHECKOUT")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    env = clean_env()
    for tree in args.checkouts:
        subprocess.run([str(tree / ".venv/bin/python"), "-m", "compileall", "-q", str(tree / "fxbot")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp))
        # the floor with the after checkout's interpreter: a venv with more packages (the dev one) starts heavier
        floor = [str(args.checkouts[1] / ".venv/bin/python"), str(REPO / "bench" / "floor.py")]
        commands: dict[str, Callable[[], tuple[float, float]]] = {"floor (numpy + LiteRT)": lambda: measure(floor, env)}
        recording = ["run-once", "--no-fetch", "--as-of", "2024-12-31", "--force", "--config", str(config)]
        for label, tree in zip(("before", "after"), args.checkouts, strict=True):
            fxbot = str(tree / ".venv/bin/fxbot")
            commands[f"{label}: run-once --dry-run --no-fetch"] = lambda f=fxbot, t=tree: measure(
                [f, "run-once", "--dry-run", "--no-fetch"], env, t
            )
            commands[f"{label}: run-once recording (ledger)"] = lambda f=fxbot, t=tree: measure([f, *recording], env, t)
            commands[f"{label}: fxbot status"] = lambda f=fxbot: measure(
                [f, "status", "--config", str(config)], env, ok=(0, 3)
            )
        print(f"before {args.checkouts[0]}, after {args.checkouts[1]}; medians of {args.repeats} interleaved rounds")
        figures = interleaved(commands, args.repeats)
        floor_wall, floor_rss = figures["floor (numpy + LiteRT)"]
        print(f"{'':<40}{'wall s':>8}{'x floor':>9}{'peak RSS MiB':>14}{'x floor':>9}")
        for name, (wall, rss) in figures.items():
            print(f"{name:<40}{wall:>8.3f}{wall / floor_wall:>9.2f}{rss:>14.1f}{rss / floor_rss:>9.2f}")


if __name__ == "__main__":
    main()
