"""`fxbot train` over several pairs: one process per pair, as many at once as the machine holds.

A pair's five members already train together in one graph (``fit_members``), which keeps about
one core busy; the pairs are independent, so on a machine with more cores they train side by side
in spawned processes, each with its own TensorFlow and a thread budget of its share of the cores.
How many at once: at most one per pair, one per core, and one per GiB of memory (a training
process peaks near 0.7 GiB), so a 1-vCPU or 1-GiB machine trains one pair after another, in this
process, exactly as before. Each pair's new version is stored only once complete and checked
(``train_version``; with ``--out``, a flat folder swapped in whole), so a pair that fails leaves the
models as they were, and the others still finish.

This module does not import TensorFlow: only the processes that train do.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import msgspec

from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars
from fxbot.errors import FxbotError, ModelError
from fxbot.model.artifacts import Manifest
from fxbot.model.registry import Registry

TRAINING_PROCESS_BYTES = 1 << 30  # a training process's peak (~0.7 GiB) with headroom


class PairJob(msgspec.Struct, frozen=True):
    """One pair to train: its bars (already cut at --until) and their checksum for the manifest."""

    pair: str
    bars: Bars
    data_sha256: str


class Trained(msgspec.Struct, frozen=True):
    """A pair's new models: the manifest, and where they went (for the line `fxbot train` prints)."""

    manifest: Manifest
    where: str


def default_workers(pairs: int) -> int:
    """Processes at once: one per pair, at most one per core and one per GiB of physical memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = TRAINING_PROCESS_BYTES
    return max(1, min(pairs, cores, memory // TRAINING_PROCESS_BYTES))


def _init_worker(threads: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def train_one(job: PairJob, cfg: TrainingSettings, destination: Registry | Path) -> Trained:
    """Train ``job``'s pair into the registry (a new version: the champion if the pair has none, else a
    challenger) or, given a folder, as a flat ``<folder>/<PAIR>/`` to import elsewhere."""
    from fxbot.model.training import train_pair, train_version

    if isinstance(destination, Registry):
        info = train_version(job.pair, job.bars, cfg, destination, data_sha256=job.data_sha256)
        role = "champion" if info.champion else f"challenger; `fxbot models promote {info.version}` makes it champion"
        return Trained(info.manifest, f"{info.folder} ({role})")
    manifest = train_pair(job.pair, job.bars, cfg, destination, data_sha256=job.data_sha256)
    return Trained(manifest, f"{destination / job.pair} (import it with `fxbot models import`)")


def train_pairs(
    jobs: list[PairJob],
    cfg: TrainingSettings,
    destination: Registry | Path,
    workers: int,
    done: Callable[[Trained], None] | None = None,
) -> list[Trained]:
    """Train every job's pair (``train_one``); ``done`` hears of each in job order.

    The first failure is raised once every other pair has finished (their models are kept).
    """
    if workers <= 1 or len(jobs) <= 1:
        trained: list[Trained] = []
        for job in jobs:
            trained.append(train_one(job, cfg, destination))
            if done:
                done(trained[-1])
        return trained
    workers = min(workers, len(jobs))
    threads = max(1, (os.cpu_count() or 1) // workers)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no TensorFlow state is forked
    trained = []
    failure: FxbotError | None = None
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_init_worker, initargs=(threads,)) as pool:
        futures = [pool.submit(train_one, job, cfg, destination) for job in jobs]
        for job, future in zip(jobs, futures, strict=True):
            try:
                trained.append(future.result())
            except BrokenProcessPool:
                failure = failure or ModelError(
                    f"{job.pair}: a training process died (killed for memory?); that pair keeps its previous "
                    "models. Retry with `fxbot train --jobs 1`"
                )
                continue
            except FxbotError as exc:
                failure = failure or exc
                continue
            if done:
                done(trained[-1])
    if failure is not None:
        raise failure
    return trained
