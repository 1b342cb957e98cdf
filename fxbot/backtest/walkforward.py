"""Walk-forward engine: split the range into retrain periods, train before each, call each day in it.

For each variant, period and pair, a task trains the ensemble on bars before the period's first day
(expanding window; samples whose label reaches into the period are purged and an embargo of at least
the label horizon is kept: ``fxbot.backtest.purge``) and calls every decision day D of the period
from bars up to D. A next-day call is scored against close[D+1] / close[D]; a 5-day target against
close[D+5] / close[D]. A task carries its own bars (numpy, up to the period's end), so it runs the
same in-process, in the local process pool or on a cluster (``fxbot.backtest.executors``; the task
types live in ``fxbot.backtest.tasks``). This
module itself imports neither TensorFlow nor scikit-learn.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec
import numpy as np
import pandas as pd

from fxbot.backtest.results import Choice, TrainingRecord
from fxbot.backtest.tasks import Task, TaskResult
from fxbot.backtest.variants import DEFAULT, Variant
from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars
from fxbot.data.store import atomic_write_text
from fxbot.errors import DataError, UsageError
from fxbot.voting import vote

if TYPE_CHECKING:
    from fxbot.backtest.executors import Executor

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
    next_dates: pd.DatetimeIndex | None = None  # date of D+1 (rollover days); None if unknown
    horizon: int = 1  # the target: close[D+horizon] vs close[D]
    target_close: np.ndarray | None = None  # close[D+horizon]; None means next_close (horizon 1)

    @property
    def vote_up(self) -> np.ndarray:
        """The ensemble's call per day, through the product's one vote function."""
        return np.array([vote(row).direction.sign > 0 for row in self.member_probs], dtype=bool)

    @property
    def actual_up(self) -> np.ndarray:
        """True where the target came true: close[D+horizon] above close[D]."""
        target = self.next_close if self.target_close is None else self.target_close
        return np.asarray(target > self.close, dtype=bool)


@dataclass
class WalkForwardResult:
    """Calls per pair plus what each period's training looked like."""

    calls: dict[str, PairCalls]
    periods: list[Period]
    training: list[TrainingRecord] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    variant: Variant = DEFAULT
    executor: str = "local"
    selection: list[Choice] | None = None  # per period, the variant chosen (fxbot.backtest.selection)


def build_tasks(
    bars_by_pair: dict[str, pd.DataFrame],
    periods: list[Period],
    cfg: TrainingSettings,
    variants: list[Variant] | None = None,
    embargo: int = 0,
) -> list[Task]:
    """One task per variant, period and pair; each carries only the bars up to its period's end."""
    frames = {pair: Bars.from_frame(bars) for pair, bars in bars_by_pair.items()}
    tasks = []
    for variant in variants or [DEFAULT]:
        for period in periods:
            end = pd.Timestamp(period.end)
            day = np.datetime64(period.end, "D")
            cut = {pair: bars.up_to(day) for pair, bars in frames.items()}
            for pair in frames:
                others = tuple(b for p, b in cut.items() if p != pair) if variant.features == "cross" else ()
                tasks.append(
                    Task(
                        pair,
                        period.label,
                        pd.Timestamp(period.start),
                        end,
                        cut[pair],
                        variant.training(cfg),
                        variant,
                        embargo,
                        others,
                    )
                )
    return tasks


def _assemble(pair: str, bars: pd.DataFrame, results: list[TaskResult], horizon: int = 1) -> PairCalls:
    results = sorted(results, key=lambda r: r.dates[0] if len(r.dates) else pd.Timestamp.max)
    results = [r for r in results if len(r.dates)]
    if not results:
        raise DataError(f"{pair}: no calls in the range; widen --from/--to")
    dates = pd.DatetimeIndex(np.concatenate([r.dates.to_numpy() for r in results]))
    probs = np.concatenate([r.member_probs for r in results])
    logistic = np.concatenate([r.logistic_probs for r in results])
    period = np.concatenate([[r.label] * len(r.dates) for r in results])
    pos = bars.index.get_indexer(dates)
    close = bars["close"].to_numpy(dtype="float64")
    scored = pos + horizon < len(close)  # the last stored days have no outcome yet
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
        next_dates=pd.DatetimeIndex(bars.index[pos + 1]),
        horizon=horizon,
        target_close=close[pos + horizon],
    )


def training_log(results: list[TaskResult]) -> list[TrainingRecord]:
    """Each task's training, by pair and period."""
    return [
        TrainingRecord(
            pair=r.pair,
            period=r.label,
            train_start=r.train_start,
            train_end=r.train_end,
            history_bars=r.history_bars,
            samples_train=r.samples_train,
            samples_validation=r.samples_validation,
            purged=r.purged,
            val_accuracy=list(r.val_accuracy),
            epochs_trained=list(r.epochs_trained),
            seconds=round(r.seconds, 2),
            fit_seconds=round(r.fit_seconds, 2),
        )
        for r in sorted(results, key=lambda r: (r.pair, r.label))
    ]


def run_sweep(
    bars_by_pair: dict[str, pd.DataFrame],
    start: dt.date,
    end: dt.date,
    retrain: Retrain,
    cfg: TrainingSettings,
    variants: list[Variant],
    executor: Executor,
    embargo: int = 0,
    progress: Progress | None = stderr_progress,
) -> dict[str, WalkForwardResult]:
    """Train and call every period of [start, end] for every pair and variant, as one task graph on ``executor``."""
    for pair, bars in bars_by_pair.items():
        if bars.index[0].date() >= start:
            raise DataError(f"{pair}: the data start on {bars.index[0].date()}, not before --from {start}")
    periods = make_periods(start, end, retrain)
    tasks = build_tasks(bars_by_pair, periods, cfg, variants, embargo)
    began = time.perf_counter()
    say = progress or (lambda _m: None)
    say(
        f"walk-forward {start}..{end}: {len(variants)} variant(s) x {len(periods)} period(s) x {len(bars_by_pair)} "
        f"pair(s) x {cfg.members} members = {len(tasks) * cfg.members} fits on {executor.describe()}"
    )
    results: list[TaskResult] = []

    def done(result: TaskResult) -> None:
        results.append(result)
        accs = " ".join(f"{a:.3f}" for a in result.val_accuracy)
        name = "" if len(variants) == 1 else f"[{result.variant}] "
        say(
            f"[{len(results)}/{len(tasks)}] {name}{result.pair} {result.label}: trained on {result.train_start}.."
            f"{result.train_end} ({result.history_bars} bars, {result.samples_train} samples, {result.purged} "
            f"purged/embargoed), {len(result.dates)} calls, member val_acc {accs}, {result.seconds:.1f} s "
            f"(elapsed {time.perf_counter() - began:.0f} s)"
        )

    executor.run(tasks, done)
    seconds = time.perf_counter() - began
    out = {}
    for variant in variants:
        mine = [r for r in results if r.variant == variant.name]
        calls = {
            pair: _assemble(pair, bars, [r for r in mine if r.pair == pair], variant.horizon)
            for pair, bars in bars_by_pair.items()
        }
        out[variant.name] = WalkForwardResult(
            calls, periods, training_log(mine), seconds, executor.workers, variant, executor.name
        )
    return out


def run_walk_forward(
    bars_by_pair: dict[str, pd.DataFrame],
    start: dt.date,
    end: dt.date,
    retrain: Retrain,
    cfg: TrainingSettings,
    workers: int = 1,
    progress: Progress | None = stderr_progress,
    embargo: int = 0,
) -> WalkForwardResult:
    """The default variant's walk-forward on the local executor (``workers`` > 1: a process pool)."""
    from fxbot.backtest.executors import local_executor

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    executor = local_executor(workers)
    return run_sweep(bars_by_pair, start, end, retrain, cfg, [DEFAULT], executor, embargo, progress)[DEFAULT.name]


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
        frame["next_date"] = c.next_dates.strftime("%Y-%m-%d") if c.next_dates is not None else ""
        frame["target_close"] = c.next_close if c.target_close is None else c.target_close
        frames.append(frame)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / CALLS_FILE, pd.concat(frames).to_csv(index=False, float_format="%.9g"))
    run = {
        "periods": [{"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()} for p in result.periods],
        "training": msgspec.to_builtins(result.training),
        "seconds": round(result.seconds, 1),
        "workers": result.workers,
        "executor": result.executor,
        "variant": msgspec.to_builtins(result.variant),
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
    variant = msgspec.convert(run["variant"], Variant) if "variant" in run else DEFAULT
    calls = {}
    for pair, rows in frame.groupby("pair", sort=False):
        next_dates = (
            pd.DatetimeIndex(pd.to_datetime(rows["next_date"]))
            if "next_date" in rows and rows["next_date"].notna().all()
            else None
        )
        calls[str(pair)] = PairCalls(
            pair=str(pair),
            dates=pd.DatetimeIndex(pd.to_datetime(rows["date"])),
            member_probs=rows[members].to_numpy(dtype="float64"),
            logistic_probs=rows["logistic"].to_numpy(dtype="float64"),
            period=rows["period"].astype(str).to_numpy(),
            prev_close=rows["prev_close"].to_numpy(dtype="float64"),
            close=rows["close"].to_numpy(dtype="float64"),
            next_close=rows["next_close"].to_numpy(dtype="float64"),
            next_dates=next_dates,
            horizon=variant.horizon,
            target_close=rows["target_close"].to_numpy(dtype="float64") if "target_close" in rows else None,
        )
    periods = [
        Period(p["label"], dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"])) for p in run["periods"]
    ]
    return WalkForwardResult(
        calls,
        periods,
        msgspec.convert(run["training"], list[TrainingRecord]),
        float(run["seconds"]),
        int(run["workers"]),
        variant,
        str(run.get("executor", "local")),
    )
