"""Walk-forward engine: split the range into retrain periods, train before each, call each day in it.

For each period and pair, a worker trains the ensemble on bars strictly before the period's first
day (expanding window) and calls every decision day D of the period from bars up to D; the call is
for D+1 and is scored against close[D+1] / close[D]. Tasks run in-process (``workers=1``) or in a
pool of spawned processes that import TensorFlow once each. This module itself imports neither
TensorFlow nor scikit-learn.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from fxbot.config import TrainingSettings
from fxbot.data.store import atomic_write_text
from fxbot.errors import DataError, UsageError
from fxbot.voting import vote

TASKS_PER_WORKER = 8
Retrain = Literal["yearly", "quarterly", "none"]
Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    """Default progress display: one line per event on stderr."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Period:
    """Decision days ``start``..``end`` (inclusive) served by one retrained ensemble."""

    label: str
    start: dt.date
    end: dt.date


def make_periods(start: dt.date, end: dt.date, retrain: Retrain) -> list[Period]:
    """Calendar years or quarters clipped to [start, end], or the whole range as one period."""
    if end < start:
        raise UsageError(f"--to {end} is before --from {start}; swap them")
    if retrain == "none":
        return [Period(f"{start}..{end}", start, end)]
    periods = []
    step = 12 if retrain == "yearly" else 3
    year, month = start.year, 1 if retrain == "yearly" else 3 * ((start.month - 1) // 3) + 1
    while dt.date(year, month, 1) <= end:
        first = dt.date(year, month, 1)
        nyear, nmonth = (year + 1, 1) if month + step > 12 else (year, month + step)
        last = dt.date(nyear, nmonth, 1) - dt.timedelta(days=1)
        label = str(year) if retrain == "yearly" else f"{year}Q{(month - 1) // 3 + 1}"
        periods.append(Period(label, max(first, start), min(last, end)))
        year, month = nyear, nmonth
    return periods


@dataclass(frozen=True)
class Task:
    """Train on ``bars`` strictly before ``start``; call each bar day in [start, end]."""

    pair: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    bars: pd.DataFrame  # history up to ``end`` at most; later bars are never sent
    cfg: TrainingSettings


@dataclass(frozen=True)
class TaskResult:
    """Member and baseline outputs for the decision days of one period of one pair."""

    pair: str
    label: str
    dates: pd.DatetimeIndex  # decision day D: the call is for the next trading day
    member_probs: np.ndarray  # (days, members) P(up) per member
    logistic_probs: np.ndarray  # (days,) logistic-regression baseline
    train_start: str
    train_end: str
    samples_train: int
    samples_validation: int
    val_accuracy: tuple[float, ...]
    epochs_trained: tuple[int, ...]
    seconds: float
    fit_seconds: float  # inside fit_member: what the benchmark attributes to training


@dataclass
class PairCalls:
    """Every scored call of one pair, in date order."""

    pair: str
    dates: pd.DatetimeIndex  # decision day D
    member_probs: np.ndarray  # (n, members)
    logistic_probs: np.ndarray  # (n,)
    period: np.ndarray  # (n,) period label of each call
    prev_close: np.ndarray  # close[D-1]
    close: np.ndarray  # close[D]
    next_close: np.ndarray  # close[D+1]

    @property
    def vote_up(self) -> np.ndarray:
        """The ensemble's call per day, through the product's one vote function."""
        return np.array([vote(row).direction.sign > 0 for row in self.member_probs], dtype=bool)

    @property
    def actual_up(self) -> np.ndarray:
        """True where D+1 closed above D."""
        return self.next_close > self.close


@dataclass
class WalkForwardResult:
    """Calls per pair plus what each period's training looked like."""

    calls: dict[str, PairCalls]
    periods: list[Period]
    training: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1


def _init_worker(threads: int) -> None:
    # Runs once in each spawned worker: the TensorFlow import and its settings happen here.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from fxbot.backtest.worker import configure_tensorflow

    configure_tensorflow(threads)


def _run_in_worker(task: Task) -> TaskResult:
    from fxbot.backtest.worker import run_task

    return run_task(task)


def build_tasks(bars_by_pair: dict[str, pd.DataFrame], periods: list[Period], cfg: TrainingSettings) -> list[Task]:
    """One task per period and pair; each carries only the bars up to its period's end."""
    tasks = []
    for period in periods:
        for pair, bars in bars_by_pair.items():
            end = pd.Timestamp(period.end)
            tasks.append(Task(pair, period.label, pd.Timestamp(period.start), end, bars.loc[bars.index <= end], cfg))
    return tasks


def _assemble(pair: str, bars: pd.DataFrame, results: list[TaskResult]) -> PairCalls:
    results = sorted(results, key=lambda r: r.dates[0] if len(r.dates) else pd.Timestamp.max)
    results = [r for r in results if len(r.dates)]
    dates = pd.DatetimeIndex(np.concatenate([r.dates.to_numpy() for r in results]))
    probs = np.concatenate([r.member_probs for r in results])
    logistic = np.concatenate([r.logistic_probs for r in results])
    period = np.concatenate([[r.label] * len(r.dates) for r in results])
    pos = bars.index.get_indexer(dates)
    close = bars["close"].to_numpy(dtype="float64")
    scored = pos + 1 < len(close)  # the last stored day has no outcome yet
    pos = pos[scored]
    return PairCalls(
        pair=pair,
        dates=dates[scored],
        member_probs=probs[scored],
        logistic_probs=logistic[scored],
        period=period[scored],
        prev_close=close[pos - 1],
        close=close[pos],
        next_close=close[pos + 1],
    )


def run_walk_forward(
    bars_by_pair: dict[str, pd.DataFrame],
    start: dt.date,
    end: dt.date,
    retrain: Retrain,
    cfg: TrainingSettings,
    workers: int = 1,
    progress: Progress | None = stderr_progress,
) -> WalkForwardResult:
    """Train and call every period of [start, end] for every pair; ``workers`` > 1 uses a process pool."""
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    for pair, bars in bars_by_pair.items():
        if bars.index[0].date() >= start:
            raise DataError(f"{pair}: the data start on {bars.index[0].date()}, not before --from {start}")
    periods = make_periods(start, end, retrain)
    tasks = build_tasks(bars_by_pair, periods, cfg)
    began = time.perf_counter()
    say = progress or (lambda _m: None)
    say(
        f"walk-forward {start}..{end}: {len(periods)} period(s) x {len(bars_by_pair)} pair(s) x "
        f"{cfg.members} members = {len(tasks) * cfg.members} fits on {workers} worker(s)"
    )
    results: list[TaskResult] = []

    def done(result: TaskResult) -> None:
        results.append(result)
        accs = " ".join(f"{a:.3f}" for a in result.val_accuracy)
        say(
            f"[{len(results)}/{len(tasks)}] {result.pair} {result.label}: trained on {result.train_start}.."
            f"{result.train_end} ({result.samples_train} samples), {len(result.dates)} calls, "
            f"member val_acc {accs}, {result.seconds:.1f} s (elapsed {time.perf_counter() - began:.0f} s)"
        )

    if workers == 1:
        _init_worker(0)
        for task in tasks:
            done(_run_in_worker(task))
    else:
        threads = max(1, (os.cpu_count() or 1) // workers)
        ctx = multiprocessing.get_context("spawn")  # TensorFlow is not fork-safe
        # Keras leaves ~50 MB per task behind even after clear_session; a fresh worker every
        # TASKS_PER_WORKER tasks keeps each under ~1.3 GB at the cost of one TensorFlow import (~5 s).
        with ProcessPoolExecutor(
            workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(threads,),
            max_tasks_per_child=TASKS_PER_WORKER,
        ) as pool:
            futures = [pool.submit(_run_in_worker, t) for t in tasks]
            try:
                for future in as_completed(futures):
                    done(future.result())
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    calls = {pair: _assemble(pair, bars, [r for r in results if r.pair == pair]) for pair, bars in bars_by_pair.items()}
    training = [
        {
            "pair": r.pair,
            "period": r.label,
            "train_start": r.train_start,
            "train_end": r.train_end,
            "samples_train": r.samples_train,
            "samples_validation": r.samples_validation,
            "val_accuracy": list(r.val_accuracy),
            "epochs_trained": list(r.epochs_trained),
            "seconds": round(r.seconds, 2),
            "fit_seconds": round(r.fit_seconds, 2),
        }
        for r in sorted(results, key=lambda r: (r.pair, r.label))
    ]
    return WalkForwardResult(calls, periods, training, time.perf_counter() - began, workers)


CALLS_FILE = "calls.csv"
RUN_FILE = "walkforward.json"


def save_result(result: WalkForwardResult, folder: Path) -> None:
    """Write every call (calls.csv) and the periods and training log (walkforward.json) to ``folder``."""
    frames = []
    for pair, c in result.calls.items():
        frame = pd.DataFrame(
            {"pair": pair, "date": c.dates.strftime("%Y-%m-%d"), "period": c.period},
        )
        for j in range(c.member_probs.shape[1]):
            frame[f"member_{j}"] = c.member_probs[:, j]
        frame["logistic"] = c.logistic_probs
        frame["prev_close"], frame["close"], frame["next_close"] = c.prev_close, c.close, c.next_close
        frames.append(frame)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / CALLS_FILE, pd.concat(frames).to_csv(index=False, float_format="%.9g"))
    run = {
        "periods": [{"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()} for p in result.periods],
        "training": result.training,
        "seconds": round(result.seconds, 1),
        "workers": result.workers,
    }
    atomic_write_text(folder / RUN_FILE, json.dumps(run, indent=1))


def load_result(folder: Path) -> WalkForwardResult:
    """Read a walk-forward written by ``save_result`` (to re-report it without retraining)."""
    try:
        frame = pd.read_csv(folder / CALLS_FILE)
        run = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{exc.filename} is missing; run `fxbot backtest --report {folder}` first") from None
    members = sorted(c for c in frame.columns if c.startswith("member_"))
    calls = {}
    for pair, rows in frame.groupby("pair", sort=False):
        calls[str(pair)] = PairCalls(
            pair=str(pair),
            dates=pd.DatetimeIndex(pd.to_datetime(rows["date"])),
            member_probs=rows[members].to_numpy(dtype="float64"),
            logistic_probs=rows["logistic"].to_numpy(dtype="float64"),
            period=rows["period"].astype(str).to_numpy(),
            prev_close=rows["prev_close"].to_numpy(dtype="float64"),
            close=rows["close"].to_numpy(dtype="float64"),
            next_close=rows["next_close"].to_numpy(dtype="float64"),
        )
    periods = [
        Period(p["label"], dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"])) for p in run["periods"]
    ]
    return WalkForwardResult(calls, periods, run["training"], float(run["seconds"]), int(run["workers"]))
