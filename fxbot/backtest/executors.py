"""Where walk-forward tasks run: in-process, a local process pool (default), or a Ray cluster.

Every executor runs the same task graph (``walkforward.build_tasks``: one task per variant, period
and pair; tasks are independent and carry their own bars) and hands each ``TaskResult`` to
``done`` as it finishes. Each keeps TensorFlow's memory bounded the same way: a worker process is
replaced after ``TASKS_PER_WORKER`` tasks (a fresh local pool per chunk of tasks, ``max_calls`` in
Ray), because Keras leaves ~50 MB per task behind even after ``clear_session``.

Ray (``pip install -e '.[cluster]'``): ``address=None`` starts a private local cluster with
``workers`` CPUs for this run and stops it after; ``address="auto"`` or ``"HOST:PORT"`` joins a
running cluster (``ray start --head`` on one machine, ``ray start --address HOST:PORT`` on the
others, each with fxbot[train,cluster] installed at the same version). No data directory is
needed on the workers: the bars travel with the tasks.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from fxbot.backtest.tasks import Task, TaskResult
from fxbot.errors import UsageError
from fxbot.extras import install_hint

TASKS_PER_WORKER = 8
Done = Callable[[TaskResult], None]


def init_worker(threads: int) -> None:
    """Runs once in each worker process: the TensorFlow import and its settings happen here, not in the parent."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from fxbot.backtest.worker import configure_tensorflow

    configure_tensorflow(threads)


def run_in_worker(task: Task) -> TaskResult:
    """One task in a worker; a module-level function so the pool pickles it without importing TensorFlow."""
    from fxbot.backtest.worker import run_task

    return run_task(task)


class Executor(Protocol):
    """Runs tasks and reports each result as it arrives."""

    name: str
    workers: int

    def describe(self) -> str:
        """One phrase for the progress line, e.g. '2 local worker(s)'."""

    def run(self, tasks: list[Task], done: Done) -> None:
        """Run every task; call ``done`` with each result; raise the first task's error."""


class InProcess:
    """Tasks one after another in this process (TensorFlow imported here once)."""

    name = "local"
    workers = 1

    def describe(self) -> str:
        """See ``Executor``."""
        return "1 worker (in-process)"

    def run(self, tasks: list[Task], done: Done) -> None:
        """See ``Executor``."""
        init_worker(0)
        for task in tasks:
            done(run_in_worker(task))


class LocalPool:
    """A pool of spawned processes, each importing TensorFlow once and replaced every few tasks."""

    name = "local"

    def __init__(self, workers: int, tasks_per_worker: int = TASKS_PER_WORKER) -> None:
        self.workers = workers
        self.tasks_per_worker = tasks_per_worker

    def describe(self) -> str:
        """See ``Executor``."""
        return f"{self.workers} local worker(s)"

    def run(self, tasks: list[Task], done: Done) -> None:
        """See ``Executor``.

        Workers are replaced by running the tasks in chunks of ``tasks_per_worker``, each in a fresh
        pool, not with ``max_tasks_per_child``: on Python 3.11 a pool whose workers reach that limit at
        the same moment stops starting new ones and hangs (CPython gh-115634; seen here with 2 workers
        after exactly 16 tasks). So no worker runs more than ``tasks_per_worker`` tasks.
        """
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        ctx = multiprocessing.get_context("spawn")  # TensorFlow is not fork-safe
        chunk = self.tasks_per_worker
        for first in range(0, len(tasks), chunk):
            with ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=init_worker, initargs=(threads,)
            ) as pool:
                futures = [pool.submit(run_in_worker, t) for t in tasks[first : first + chunk]]
                try:
                    for future in as_completed(futures):
                        done(future.result())
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise


def local_executor(workers: int) -> InProcess | LocalPool:
    """The default: in-process for one worker, else a local pool."""
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    return InProcess() if workers == 1 else LocalPool(workers)


_CONFIGURED = False


def _ray_task(task: Task, threads: int) -> TaskResult:
    # Ray reuses a worker process for up to max_calls tasks: configure TensorFlow on its first one.
    global _CONFIGURED
    if not _CONFIGURED:
        init_worker(threads)
        _CONFIGURED = True
    return run_in_worker(task)


class RayExecutor:
    """Tasks as Ray remote functions (one CPU each), workers recycled after ``max_calls`` tasks."""

    name = "ray"

    def __init__(
        self, address: str | None = None, workers: int | None = None, tasks_per_worker: int = TASKS_PER_WORKER
    ) -> None:
        self.address = address
        self.requested = workers
        self.workers = workers or 0
        self.tasks_per_worker = tasks_per_worker

    def describe(self) -> str:
        """See ``Executor``."""
        where = f"the Ray cluster at {self.address}" if self.address else "a local Ray cluster"
        return f"{where} ({self.workers} task(s) at a time)" if self.workers else f"{where} (one task per cluster CPU)"

    def _connect(self) -> Any:
        try:
            import ray
        except ImportError:
            raise UsageError(f"--executor ray needs Ray; install with {install_hint('cluster')}") from None
        env = {"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "3"}}
        if self.address:
            try:
                ray.init(address=self.address, runtime_env=env, log_to_driver=False, logging_level=logging.ERROR)
            except (ConnectionError, RuntimeError) as exc:
                raise UsageError(f"cannot join the Ray cluster at {self.address}: {exc}") from None
        else:
            ray.init(
                address="local",  # a new private cluster, even if a `ray start` one runs on this machine
                num_cpus=self.requested or os.cpu_count() or 1,
                include_dashboard=False,
                runtime_env=env,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        if not self.workers:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
        return ray

    def run(self, tasks: list[Task], done: Done) -> None:
        """See ``Executor``; at most ``workers`` tasks are in flight (all cluster CPUs if not given)."""
        ray = self._connect()
        try:
            remote = ray.remote(num_cpus=1, max_calls=self.tasks_per_worker, max_retries=0)(_ray_task)
            pending = list(tasks)
            running: list[Any] = []
            while pending or running:
                while pending and len(running) < self.workers:
                    running.append(remote.remote(pending.pop(0), 1))
                ready, running = ray.wait(running, num_returns=1)
                try:
                    done(ray.get(ready[0]))
                except ray.exceptions.RayTaskError as exc:
                    for ref in running:
                        ray.cancel(ref, force=True)
                    raise exc.as_instanceof_cause() from None
        finally:
            ray.shutdown()


def make_executor(kind: str, workers: int | None, address: str | None = None) -> InProcess | LocalPool | RayExecutor:
    """The executor behind ``--executor``/``--workers``/``--ray-address``."""
    if kind == "local":
        if address:
            raise UsageError("--ray-address needs --executor ray")
        return local_executor(workers or 1)
    if kind == "ray":
        if workers is not None and workers < 1:
            raise UsageError(f"--workers must be at least 1, got {workers}")
        return RayExecutor(address, workers)
    raise UsageError(f"unknown executor {kind!r}; use local or ray")
