"""`fxbot retrain`: a challenger per pair, trained on the bars up to the last completed month.

Each pair trains in two child processes with what is left of the time budget: one fits the members
(``fxbot retrain --phase fit``), the next exports and checks them (``--phase export``), so no process
holds more than one pair's training graph, nor that graph and the TFLite converter at once (the
1 GiB VM: every process under 800 MB, measured by ``bench/retrain.py``); this process then checks
and stores the version like an import and a crash, a kill or a ``.tflite`` that
disagrees with Keras loses only that pair's attempt: the champion stays, untouched and in use. The
settings are the champion manifest's (members and their seeds, units, epochs, first training day);
batch size, patience, validation share and learning rate come from ``training``.

This module itself imports no TensorFlow: without it (the slim daily install) retraining is
skipped with one log line that says how to get a challenger anyway.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import msgspec

from fxbot.child import fxbot_argv
from fxbot.config import Settings, TrainingSettings
from fxbot.data.bars import Bars, as_date
from fxbot.errors import UsageError
from fxbot.extras import install_hint
from fxbot.model.artifacts import Manifest, read_manifest
from fxbot.model.holdback import (
    HOLDBACK_FILE,
    HeldBack,
    HeldBackDay,
    holdback_binding,
    holdback_cutoff,
    read_holdback,
    write_holdback,
)
from fxbot.model.promotions import By
from fxbot.model.registry import LEGACY, Registry

logger = logging.getLogger(__name__)

NO_TENSORFLOW = (
    "TensorFlow is not installed (the slim daily install). Install `fxbot[train]` "
    f"({install_hint('train')}), or train elsewhere (Docker target `train`: `fxbot train --out DIR`) "
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


class PairOutcome(msgspec.Struct, frozen=True):
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


Phase = Literal["fit", "export", "holdback"]


def staging_folder(registry: Registry, pair: str) -> Path:
    """Where a pair's retrain builds its version folder (hidden: the registry ignores it until it is added)."""
    return registry.root / f".retrain-{pair}"


def retrain_phase(settings: Settings, pair: str, as_of: dt.date, phase: Phase, champion: str | None = None) -> None:
    """One phase of ``pair``'s retrain, in this process (imports TensorFlow): fit, export and check, or the
    held-back walk-forward.

    Every phase reads the same bars (up to the month before ``as_of``) and the settings of the same
    ``champion`` version (default: the current champion).
    """
    # Yield the CPU to the daily run (on a 1-vCPU VM they share the core).
    os.nice(10)
    # TensorFlow imports pandas and matplotlib, if it can, for features fxbot never uses (about 30 and
    # 25 MiB): blocking them keeps every retrain process under 800 MB (bench/retrain.py). fxbot's own
    # training path is numpy only.
    for unused in ("pandas", "matplotlib"):
        if unused not in sys.modules:
            sys.modules[unused] = None  # type: ignore[assignment]
    from fxbot.data.store import PriceStore
    from fxbot.model import training

    registry = Registry(settings.model.dir, min_members=settings.training.members)
    store = PriceStore(settings.data.dir)
    bars = store.load(pair).up_to(last_month_end(as_of))
    champion_folder = registry.version_folder(champion) if champion else registry.champion_folder(pair)
    manifest = read_manifest(champion_folder, pair=pair)
    cfg = champion_training(settings.training, manifest)
    folder = staging_folder(registry, pair)
    if phase == "fit":
        training.fit_to_folder(pair, bars, cfg, folder)
    elif phase == "export":
        training.export_folder(pair, bars, cfg, folder, data_sha256=store.checksum(pair))
    else:
        cutoff = holdback_cutoff(bars.last_date, settings.lifecycle.holdback_months)
        days, buys, ups = training.probe_calls(pair, bars, cfg, cutoff)
        # The champion's calls are added by the parent (``add_champion_calls``): LiteRT beside the
        # training graph would take this process over 800 MB.
        held = [HeldBackDay(day.isoformat(), buy, None, up) for day, buy, up in zip(days, buys, ups, strict=True)]
        cut = bars.up_to(cutoff).last_date.isoformat()
        record = HeldBack(
            pair,
            cut,
            bars.last_date.isoformat(),
            settings.lifecycle.holdback_months,
            manifest.version,
            manifest.train_end,
            held,
        )
        write_holdback(folder, record)


def _held_back_line(folder: Path) -> str:
    held = read_holdback(folder)
    return f" · {held.summary()}" if held is not None and held.days else ""


def add_champion_calls(settings: Settings, registry: Registry, folder: Path) -> None:
    """Fill in the champion's calls of the held-back walk-forward the holdback child wrote into ``folder``."""
    from fxbot.data.store import PriceStore

    held = read_holdback(folder)
    if held is None or held.champion is None:
        return
    champion_folder = registry.version_folder(held.champion)
    manifest = read_manifest(champion_folder, pair=held.pair)
    bars = PriceStore(settings.data.dir).load(held.pair).up_to(dt.date.fromisoformat(held.end))
    days = [dt.date.fromisoformat(d.day) for d in held.days]
    calls = champion_calls(settings, champion_folder, held.pair, bars, days, manifest)
    filled = [msgspec.structs.replace(d, champion_buy=c) for d, c in zip(held.days, calls, strict=True)]
    write_holdback(folder, msgspec.structs.replace(held, days=filled))


def champion_calls(
    settings: Settings, folder: Path, pair: str, bars: Bars, days: list[dt.date], manifest: Manifest
) -> list[bool | None]:
    """The champion's call (BUY: True) on each of ``days``, with its own runtime and scaler, as the daily run
    makes it; None on a day whose outcome it was trained on (on or before its last training bar)."""
    import numpy as np

    from fxbot.features import build_dataset
    from fxbot.model.ensemble import Ensemble
    from fxbot.voting import Direction

    data = build_dataset(bars, manifest.window)
    row = {as_date(d): i for i, d in enumerate(data.dates)}
    ensemble = Ensemble(folder, settings.model.engine, pair=pair)
    try:
        out: list[bool | None] = []
        for day in days:
            if day.isoformat() < manifest.train_end:
                out.append(None)
                continue
            window = manifest.scaler.transform(data.x[row[day] : row[day] + 1])
            out.append(ensemble.predict(np.ascontiguousarray(window)).direction is Direction.BUY)
        return out
    finally:
        ensemble.close()


def retrain(
    settings: Settings,
    pairs: list[str],
    *,
    as_of: dt.date,
    config_path: Path | None,
    by: By,
    timeout: float,
) -> list[PairOutcome]:
    """Train a challenger per pair, each in its own child process within ``timeout`` seconds in all.

    One retrain per registry at a time (``retrain_lock``): a second one is refused (exit 2) naming the holder.
    """
    with retrain_lock(Registry(settings.model.dir).root):
        return _retrain(settings, pairs, as_of=as_of, config_path=config_path, by=by, timeout=timeout)


#: In the registry's root: held (flock) by the one retrain at work; it names its holder.
RETRAIN_LOCK = ".retrain.lock"


@contextlib.contextmanager
def retrain_lock(root: Path) -> Iterator[None]:
    """Hold the registry's retrain lock, or raise UsageError naming the process that holds it.

    Two retrains at once would build the same staging folders and destroy each other's work. The
    lock is an flock: it is released when its holder ends, however it ends (a kill leaves no stale lock).
    """
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    path = root / RETRAIN_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise UsageError(
                f"another retrain is running on {root} ({holder}); wait for it to end (one retrain per "
                f"registry at a time), or stop that process"
            ) from None
        os.ftruncate(fd, 0)
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock


def _retrain(
    settings: Settings,
    pairs: list[str],
    *,
    as_of: dt.date,
    config_path: Path | None,
    by: By,
    timeout: float,
) -> list[PairOutcome]:
    todo, out = [], []
    for pair in pairs:
        _, reason = _plan(settings, pair, as_of)
        if reason:
            out.append(PairOutcome(pair, f"{pair}: nothing to train: {reason}", True))
        else:
            todo.append(pair)
    if todo and not tensorflow_available():
        if by == "user":  # asked for by hand: say it as an error (exit 2), not as a skipped month
            raise UsageError(f"fxbot retrain cannot train {', '.join(todo)}: {NO_TENSORFLOW}")
        logger.warning("retrain skipped: %s", NO_TENSORFLOW)
        return [*out, PairOutcome(",".join(todo), f"retrain skipped: {NO_TENSORFLOW}", True)]
    registry = Registry(settings.model.dir, min_members=settings.training.members)
    deadline = time.monotonic() + timeout
    for pair in todo:
        folder = staging_folder(registry, pair)
        shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left
        try:
            phases: tuple[Phase, ...] = ("fit", "export", "holdback")
            if settings.lifecycle.holdback_months == 0:
                phases = ("fit", "export")
            out.append(_retrain_pair(settings, registry, pair, as_of, config_path, by, deadline, timeout, phases))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return out


def _retrain_pair(
    settings: Settings,
    registry: Registry,
    pair: str,
    as_of: dt.date,
    config_path: Path | None,
    by: By,
    deadline: float,
    timeout: float,
    phases: tuple[Phase, ...],
) -> PairOutcome:
    """Fit in one child process, export in another, walk the recipe forward over the held-back months
    in a third (``phases``), then check and store the version here."""
    from fxbot.errors import FxbotError
    from fxbot.scheduler import run_child  # the daemon's child runner: timeout, peak RSS, stderr tail

    champion = registry.champion(pair)
    if champion is None:  # _plan skipped the pair then; a champion removed since is not retrained from
        return PairOutcome(pair, f"{pair}: not retrained: the pair has no champion to take settings from", False)
    peaks: list[float] = []
    seconds, held_back_lost = 0.0, ""
    folder = staging_folder(registry, pair)
    for phase in phases:  # every phase takes its settings from the same champion, even if one is promoted meanwhile
        left = deadline - time.monotonic()
        if left <= 0 and phase != "holdback":
            return PairOutcome(
                pair, f"{pair}: not retrained: the {timeout:.0f} s budget is spent; the champion stays", False
            )
        if left <= 0:
            held_back_lost = f"the {timeout:.0f} s budget was spent before it"
            break
        argv = fxbot_argv("retrain", "--phase", phase, "--pairs", pair)
        argv += ["--as-of", as_of.isoformat()]
        if champion != LEGACY:  # a flat (unversioned) champion has no version folder to name
            argv += ["--champion", champion]
        if config_path is not None:
            argv += ["--config", str(config_path)]
        result = run_child(argv, left, group=True)  # its own group, killed with this process
        peaks.append(result.peak_rss_mib)
        seconds += result.wall_seconds
        if result.exit_code != 0:
            detail = result.describe().replace("the daily run", f"the {phase} child")
            why = "timed out" if result.timed_out else f"failed ({detail})"
            if phase == "holdback":  # the challenger itself is whole: keep it, judged on its shadow calls alone
                held_back_lost = why
                break
            figures = f"{seconds:.0f} s, peak RSS {max(peaks):.0f} MiB"
            return PairOutcome(
                pair, f"{pair}: retraining ({phase}) {why}; the champion stays ({figures})", False, max(peaks)
            )
    figures = f"{seconds:.0f} s; peak RSS " + ", ".join(
        f"{phase} {peak:.0f} MiB" for phase, peak in zip(phases, peaks, strict=False)
    )
    if not held_back_lost:
        try:
            add_champion_calls(settings, registry, folder)
        except Exception as exc:  # any failure here costs the held-back record only, not the challenger
            held_back_lost = f"the champion's calls failed: {type(exc).__name__}: {exc}"
    if held_back_lost:
        (folder / HOLDBACK_FILE).unlink(missing_ok=True)
    try:
        # The held-back walk-forward's sha256 goes into the log line that adds the version: the gate reads
        # only a file that still has it.
        note = f"retrained on bars up to {last_month_end(as_of)}"
        info = registry.add(folder, by=by, note=note, binding=holdback_binding(folder))
    except FxbotError as exc:
        return PairOutcome(
            pair, f"{pair}: the retrained version was refused ({exc}); the champion stays", False, max(peaks)
        )
    role = (
        "the champion (the pair had none)"
        if info.champion
        else "a challenger: shadow calls start with the next daily run"
    )
    span = f"{info.manifest.train_start}..{info.manifest.train_end}"
    line = f"{pair}: trained {info.version} on bars {span}: {role} ({figures}){_held_back_line(info.folder)}"
    if held_back_lost:
        line += (
            f"; its held-back walk-forward {held_back_lost}: stored without it, "
            "so the gate judges it on its shadow calls alone"
        )
    return PairOutcome(pair, line, not held_back_lost, max(peaks))
