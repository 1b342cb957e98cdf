"""The model registry: `fxbot train`, `retrain`, `models` (list, show, promote, rollback, import), `evidence`."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
from pathlib import Path
from typing import Literal

from fxbot import wiring
from fxbot.commands import selected_pairs
from fxbot.config import Settings
from fxbot.errors import UsageError
from fxbot.extras import install_hint
from fxbot.pairs import get_pair

#: Named as before the commands left ``fxbot.cli``: a failed retrain's stderr line, which the daemon's alert
#: quotes, reads "ERROR fxbot.cli: ..." as it always has.
logger = logging.getLogger("fxbot.cli")


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train the ensembles: into the model registry (a challenger, or the first champion), or flat into --out."""
    import importlib.util

    from fxbot.model.train_pairs import PairJob, Trained, default_workers, train_pairs

    if importlib.util.find_spec("tensorflow") is None:
        raise UsageError(f"training needs TensorFlow (tensorflow is missing); install with {install_hint('train')}")
    cfg = settings.training
    if args.epochs is not None:
        import msgspec

        cfg = msgspec.structs.replace(cfg, epochs=args.epochs)
    store = wiring.store(settings)
    jobs = []
    for code in selected_pairs(args, settings):
        bars = store.load(code)
        jobs.append(PairJob(code, bars.up_to(args.until) if args.until else bars, store.checksum(code)))

    def done(trained: Trained) -> None:
        manifest = trained.manifest
        accs = ", ".join(f"{m.val_accuracy:.3f}" for m in manifest.members)
        print(
            f"{manifest.pair}: trained {manifest.train_start}..{manifest.train_end}, validation from "
            f"{manifest.validation_start}; member val_acc {accs} -> {trained.where}",
            flush=True,
        )

    if args.out:
        from fxbot.safefiles import PAIR_NAME, claim_folder

        def owns(folder: Path) -> bool:  # flat <PAIR>/ folders with a manifest, as `train --out` writes them
            return all(
                p.name.startswith(".") or (PAIR_NAME.fullmatch(p.name) is not None and (p / "manifest.json").is_file())
                for p in folder.iterdir()
            )

        claim_folder(Path(args.out), owns, "--out", "give a new or empty folder, or one `fxbot train --out` wrote")
    destination = Path(args.out) if args.out else wiring.registry(settings)
    train_pairs(jobs, cfg, destination, args.jobs or default_workers(len(jobs)), done)
    return 0


def cmd_retrain(args: argparse.Namespace, settings: Settings) -> int:
    """Train a challenger per pair on the bars up to the last completed month (each pair in its own process)."""
    from fxbot.model.retrain import retrain, retrain_phase

    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    by: Literal["schedule", "user"] = "schedule" if args.scheduled else "user"
    if args.phase:  # one phase of one pair, here: the children `fxbot retrain` starts per pair
        for code in selected_pairs(args, settings):
            retrain_phase(settings, code, as_of, args.phase, args.champion)
        return 0
    chosen = args.config or os.environ.get("FXBOT_CONFIG")
    outcomes = retrain(
        settings,
        selected_pairs(args, settings),
        as_of=as_of,
        config_path=Path(chosen).resolve() if chosen else None,
        by=by,
        timeout=args.timeout if args.timeout is not None else settings.schedule.retrain_timeout,
    )
    print("\n".join(o.line for o in outcomes))
    for failed in [o for o in outcomes if not o.ok]:
        logger.error("%s", failed.line)  # on stderr: the daemon's alert quotes the last line
    return 0 if all(o.ok for o in outcomes) else 3


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """`fxbot models list | show | promote | rollback | import`: the model registry of model.dir."""
    from fxbot.model import catalog

    registry = wiring.registry(settings)
    if args.action == "list":
        lines = catalog.list_lines(registry, selected_pairs(args, settings))
    elif args.action == "show":
        lines = catalog.show_lines(registry, args.version)
    elif args.action == "promote":
        lines = [catalog.promote(registry, args.version)]
    elif args.action == "rollback":
        lines = catalog.rollback(registry, [get_pair(p).code for p in args.pair])
    else:
        lines = [catalog.import_folder(registry, Path(args.path))]
    print("\n".join(lines))
    return 0


def cmd_evidence(args: argparse.Namespace, settings: Settings) -> int:
    """Write each pair's evidence.json beside its models from a committed walk-forward report."""
    from fxbot.model.evidence import write_evidence

    registry = wiring.registry(settings)  # beside the champion each pair's posts are made with
    folders = {code: registry.champion_folder(code) for code in selected_pairs(args, settings)}
    for path in write_evidence(Path(args.report), folders):
        print(f"wrote {path}")
    return 0
