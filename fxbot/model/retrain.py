"""`fxbot retrain`: a challenger per pair, trained on the bars up to the last completed month.

Each pair trains in its own child process (``fxbot retrain --in-process``) with what is left of the
time budget, so no process holds more than one pair's TensorFlow graph (the 1 GiB VM: about
600-700 MB each, measured by ``bench/retrain.py``) and a crash, a kill or a ``.tflite`` that
disagrees with Keras loses only that pair's attempt: the champion stays, untouched and in use. The
settings are the champion manifest's (members and their seeds, units, epochs, first training day);
batch size, patience, validation share and learning rate come from ``training``.

This module itself imports no TensorFlow: without it (the slim daily install) retraining is
skipped with one log line that says how to get a challenger anyway.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from fxbot.config import Settings, TrainingSettings
from fxbot.model.artifacts import Manifest, read_manifest
from fxbot.model.registry import By, Registry

logger = logging.getLogger(__name__)

NO_TENSORFLOW = (
    "retrain skipped: TensorFlow is not installed (the slim daily install). Install `fxbot[train]` "
    "(`pip install -e '.[train]'`), or train elsewhere (Docker target `train`: `fxbot train --out DIR`) "
    "and copy the version folder in with `fxbot models import DIR`"
)


def last_month_end(day: dt.date) -> dt.date:
    """The last day of the month before ``day``'s: retraining uses bars up to it (a completed month)."""
    return day.replace(day=1) - dt.timedelta(days=1)


def champion_training(cfg: TrainingSettings, manifest: Manifest) -> TrainingSettings:
    """``cfg`` with the champion's own members, seeds, units, epochs and first training day."""
    seeds = [m.seed for m in manifest.members]
    return msgspec.structs.replace(
        cfg,
        members=len(seeds),
        seeds=seeds,
        units=manifest.units,
        epochs=manifest.epochs,
        start=dt.date.fromisoformat(manifest.train_start),
    )


@dataclass(frozen=True)
class PairOutcome:
    """What retraining did for one pair."""

    pair: str
    line: str
    ok: bool
    peak_rss_mib: float = 0.0


def skip_reason(registry: Registry, pair: str, last_bar: dt.date) -> str | None:
    """Why ``pair`` needs no new challenger trained to ``last_bar``, or None."""
    champion = registry.champion(pair)
    if champion is None:
        return f"no champion to take the training settings from; `fxbot train --pairs {pair}` first"
    manifest = read_manifest(registry.champion_folder(pair), pair=pair)
    if manifest.train_end >= last_bar.isoformat():
        return f"the champion {manifest.version} is trained to {manifest.train_end} already"
    same = [v.version for v in registry.versions(pair) if v.manifest.train_end == last_bar.isoformat()]
    if same:
        return f"{same[-1]} is trained to {last_bar.isoformat()} already"
    return None


def tensorflow_available() -> bool:
    """True if TensorFlow can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # ValueError: a blocked or half-imported module in sys.modules
        return False


def _plan(settings: Settings, pair: str, as_of: dt.date) -> tuple[Registry, str | None]:
    from fxbot.data.store import PriceStore

    registry = Registry(settings.model.dir, min_members=settings.training.members)
    bars = PriceStore(settings.data.dir).load(pair).up_to(last_month_end(as_of))
    if bars.empty:
        return registry, f"no bars up to {last_month_end(as_of).isoformat()}"
    return registry, skip_reason(registry, pair, bars.last_date)


def retrain_in_process(settings: Settings, pair: str, as_of: dt.date, by: By) -> str:
    """Train ``pair``'s challenger here (imports TensorFlow) and store it; the line to print."""
    registry, reason = _plan(settings, pair, as_of)
    if reason:
        return f"{pair}: nothing to train: {reason}"
    from fxbot.data.store import PriceStore
    from fxbot.model.training import train_version

    store = PriceStore(settings.data.dir)
    bars = store.load(pair).up_to(last_month_end(as_of))
    manifest = read_manifest(registry.champion_folder(pair), pair=pair)
    cfg = champion_training(settings.training, manifest)
    info = train_version(pair, bars, cfg, registry, data_sha256=store.checksum(pair), by=by, progress=None)
    role = "champion (the pair had none)" if info.champion else "challenger: shadow calls start with the next daily run"
    return f"{pair}: trained {info.version} on bars {info.manifest.train_start}..{info.manifest.train_end}: the {role}"


def retrain(
    settings: Settings,
    pairs: list[str],
    *,
    as_of: dt.date,
    config_path: Path | None,
    by: By,
    timeout: float,
) -> list[PairOutcome]:
    """Train a challenger per pair, each in its own child process within ``timeout`` seconds in all."""
    todo, out = [], []
    for pair in pairs:
        _, reason = _plan(settings, pair, as_of)
        if reason:
            out.append(PairOutcome(pair, f"{pair}: nothing to train: {reason}", True))
        else:
            todo.append(pair)
    if todo and not tensorflow_available():
        logger.warning("%s", NO_TENSORFLOW)
        return [*out, PairOutcome(",".join(todo), NO_TENSORFLOW, True)]
    from fxbot.scheduler import run_child  # the daemon's child runner: timeout, peak RSS, stderr tail

    deadline = time.monotonic() + timeout
    for pair in todo:
        left = deadline - time.monotonic()
        if left <= 0:
            out.append(PairOutcome(pair, f"{pair}: not retrained: the {timeout:.0f} s budget is spent", False))
            continue
        argv = [sys.executable, "-m", "fxbot.cli", "retrain", "--in-process", "--pairs", pair]
        argv += ["--as-of", as_of.isoformat()] + (["--scheduled"] if by == "schedule" else [])
        if config_path is not None:
            argv += ["--config", str(config_path)]
        result = run_child(argv, left)  # the child prints its own line (what it trained) to our stdout
        figures = f"{result.wall_seconds:.0f} s, peak RSS {result.peak_rss_mib:.0f} MiB"
        if result.exit_code == 0:
            out.append(PairOutcome(pair, f"{pair}: retrain child done ({figures})", True, result.peak_rss_mib))
        else:
            why = "timed out" if result.timed_out else f"failed ({result.describe()})"
            out.append(
                PairOutcome(
                    pair, f"{pair}: retraining {why}; the champion stays ({figures})", False, result.peak_rss_mib
                )
            )
    return out
