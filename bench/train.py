"""Benchmark training: the five USD/JPY members with the old (sequential) and the new (fused) path.

    .venv/bin/python -m bench.train [--rounds 3] [--pair USDJPY] [--until 2024-12-31]
    .venv/bin/python -m bench.train --whole [--rounds 2]

``--whole`` times a whole `fxbot train` of the three pairs, each round in fresh processes: the old
way (one process, the pairs one after another, each pair's members one after another) against the
command as it is now (members fused, pairs side by side in their own processes), alternately.

What `fxbot train` does for one pair, with the shipped training settings (configs/default.yaml's
defaults): prepare the data once, then per round fit the members with each strategy and export them
(.keras, SavedModel, .tflite checked against Keras) into a temporary folder. The two strategies run
alternately in the same process (old first in odd rounds, new first in even ones) so that load from
other work on the machine falls on both; medians are printed with their ratio, then each member's
validation accuracy and epochs old vs new. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from fxbot.config import TrainingSettings
from fxbot.data.store import PriceStore

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Parse arguments, time both strategies alternately, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pair", default="USDJPY")
    parser.add_argument("--until", default="2024-12-31", help="last bar used (default: the bundled data's end)")
    parser.add_argument("--whole", action="store_true", help="time a whole `fxbot train` of the three pairs")
    args = parser.parse_args()
    if args.whole:
        whole(args.rounds, args.until)
        return

    from tensorflow import keras

    from fxbot.model.fitting import FittedMember, Strategy, fit_members, prepare_training_data
    from fxbot.model.training import export_member

    cfg = TrainingSettings()
    bars = PriceStore(REPO / "data").load(args.pair).up_to(args.until)
    data = prepare_training_data(bars, cfg.validation_fraction)
    seeds = cfg.seeds[: cfg.members]
    labels = [f"member {i + 1}" for i in range(len(seeds))]
    strategies: tuple[Strategy, Strategy] = ("sequential", "fused")
    times: dict[str, list[tuple[float, float]]] = {s: [] for s in strategies}
    first: dict[str, list[FittedMember]] = {}
    print(
        f"{args.pair} {bars.first_date}..{bars.last_date}: {len(data.y_train)} training and {len(data.y_val)} "
        f"validation samples; {len(seeds)} members, LSTM({cfg.units}), batch {cfg.batch_size}, up to {cfg.epochs} "
        f"epochs, patience {cfg.patience}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
    )
    for r in range(args.rounds):
        for strategy in strategies if r % 2 == 0 else strategies[::-1]:
            began = time.perf_counter()
            members = fit_members(data, seeds, cfg, labels, None, strategy=strategy)
            fitted = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                for i, member in enumerate(members):
                    export_member(member, Path(tmp), i, data.x_val[:32])
            exported = time.perf_counter()
            times[strategy].append((fitted - began, exported - fitted))
            first.setdefault(strategy, members)
            epochs = sum(m.epochs_trained for m in members)
            print(
                f"round {r + 1} {strategy:>10}: fit {fitted - began:6.1f} s ({epochs} member-epochs), "
                f"export {exported - fitted:5.1f} s, load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            keras.backend.clear_session()

    def median(strategy: str, part: int | None) -> float:
        return statistics.median(t[part] if part is not None else t[0] + t[1] for t in times[strategy])

    print(f"\nmedians over {args.rounds} rounds (seconds)")
    print(f"{'':>22}{'old (sequential)':>18}{'new (fused)':>13}{'ratio':>8}")
    for name, part in (("fit", 0), ("export", 1), ("fit + export (train)", None)):
        old, new = median("sequential", part), median("fused", part)
        print(f"{name:>22}{old:>18.1f}{new:>13.1f}{old / new:>7.1f}x")
    print("\nper member (first round of each): validation accuracy and epochs trained, old vs new")
    print(f"{'member':>8}{'seed':>6}{'val_acc old':>13}{'val_acc new':>13}{'epochs old':>12}{'epochs new':>12}")
    for i, (old_m, new_m) in enumerate(zip(first["sequential"], first["fused"], strict=True)):
        print(
            f"{i + 1:>8}{old_m.seed:>6}{old_m.val_accuracy:>13.3f}{new_m.val_accuracy:>13.3f}"
            f"{old_m.epochs_trained:>12}{new_m.epochs_trained:>12}"
        )
    old_mean = statistics.mean(m.val_accuracy for m in first["sequential"])
    new_mean = statistics.mean(m.val_accuracy for m in first["fused"])
    print(f"{'mean':>14}{old_mean:>13.3f}{new_mean:>13.3f}")


OLD_WAY = """
import sys
from pathlib import Path
from fxbot.config import TrainingSettings
from fxbot.data.store import PriceStore
from fxbot.model.training import train_pair
store, cfg, out = PriceStore(Path(sys.argv[1])), TrainingSettings(), Path(sys.argv[2])
for pair in ("USDJPY", "EURJPY", "GBPJPY"):
    bars = store.load(pair).up_to(sys.argv[3])
    train_pair(pair, bars, cfg, out, data_sha256=store.checksum(pair), progress=None, strategy="sequential")
"""


def whole(rounds: int, until: str) -> None:
    """Old and new `fxbot train` of the three pairs, alternately, in fresh processes; medians and ratio."""
    import subprocess
    import sys

    from tests.support.env import clean_env

    env = clean_env()
    times: dict[str, list[float]] = {"old": [], "new": []}
    print(f"whole `fxbot train` of USDJPY, EURJPY, GBPJPY up to {until}; {os.cpu_count()} cores", flush=True)
    for r in range(rounds):
        for way in ("old", "new") if r % 2 == 0 else ("new", "old"):
            with tempfile.TemporaryDirectory() as tmp:
                if way == "old":
                    argv = [sys.executable, "-c", OLD_WAY, str(REPO / "data"), tmp, until]
                else:
                    config = Path(tmp) / "c.yaml"
                    config.write_text(f"data:\n  dir: {REPO / 'data'}\n")
                    argv = [sys.executable, "-m", "fxbot.cli", "train", "--until", until, "--out", tmp]
                    argv += ["--config", str(config)]
                began = time.perf_counter()
                subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[way].append(time.perf_counter() - began)
            print(f"round {r + 1} {way}: {times[way][-1]:.1f} s, load average {os.getloadavg()[0]:.2f}", flush=True)
    old, new = statistics.median(times["old"]), statistics.median(times["new"])
    print(f"medians over {rounds} rounds: old {old:.1f} s, new {new:.1f} s: {old / new:.1f}x faster")


if __name__ == "__main__":
    main()
