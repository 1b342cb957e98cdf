"""`fxbot backtest`: walk-forward, statistics, optional calibration and look-ahead check, report.

The glue between the CLI and the pure parts: loads the bars, runs (or reloads) the walk-forward,
analyses it, writes the report and returns the lines the CLI prints.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fxbot.backtest.analysis import Analysis, Options, analyze
from fxbot.backtest.calibrate import calibrate
from fxbot.backtest.stats import daily_pnl
from fxbot.backtest.walkforward import (
    Progress,
    Retrain,
    WalkForwardResult,
    load_result,
    run_walk_forward,
    save_result,
    stderr_progress,
)
from fxbot.config import Settings
from fxbot.data.store import PriceStore
from fxbot.errors import UsageError
from fxbot.pairs import get_pair


@dataclass(frozen=True)
class BacktestOptions:
    """Switches of `fxbot backtest`."""

    start: dt.date
    end: dt.date | None
    retrain: Retrain
    workers: int
    report_dir: Path
    pairs: list[str]
    calibrate: bool = False
    max_loss: float = 0.25
    horizon: int = 20
    confidence: float = 0.999
    check_lookahead: bool = False
    samples: int = 5
    reuse: bool = False


def validate(opts: BacktestOptions) -> None:
    """Reject option values that make no sense, with the flag's name."""
    if opts.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {opts.workers}")
    if not 0 < opts.max_loss < 1:
        raise UsageError(f"--max-loss is a fraction of equity between 0 and 1 (e.g. 0.25), got {opts.max_loss}")
    if opts.horizon < 2:
        raise UsageError(f"--horizon must be at least 2 trading days, got {opts.horizon}")
    if not 0.5 < opts.confidence < 1:
        raise UsageError(f"--confidence must be between 0.5 and 1 (e.g. 0.999), got {opts.confidence}")
    if opts.samples < 1:
        raise UsageError(f"--samples must be at least 1, got {opts.samples}")
    if opts.end is not None and opts.end < opts.start:
        raise UsageError(f"--to {opts.end} is before --from {opts.start}; swap them")


def unit_pnl_matrix(result: WalkForwardResult, settings: Settings) -> tuple[np.ndarray, list[str]]:
    """Each pair's daily P/L of the vote at leverage 1, net of cost, on the union of days (0 = no call)."""
    cols = {}
    for pair, c in result.calls.items():
        direction = np.where(c.vote_up, 1.0, -1.0)
        pnl = daily_pnl(direction, c.close, c.next_close, 1.0, settings.backtest.cost_pips, get_pair(pair).pip_size)
        cols[pair] = pd.Series(pnl, index=c.dates)
    frame = pd.DataFrame(cols).fillna(0.0)
    return frame.to_numpy(), list(frame.columns)


def run_backtest(settings: Settings, opts: BacktestOptions, progress: Progress | None = stderr_progress) -> Analysis:
    """Run the whole backtest described by ``opts`` and write its report; return the analysis."""
    validate(opts)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TF's C++ chatter would drown the progress lines
    store = PriceStore(settings.data.dir)
    bars = {p: store.load(p).to_frame() for p in opts.pairs}
    end = opts.end or min(b.index[-1].date() for b in bars.values())
    if opts.reuse:
        result = load_result(opts.report_dir)
        missing = [p for p in opts.pairs if p not in result.calls]
        if missing:
            raise UsageError(f"{opts.report_dir} has no calls for {', '.join(missing)}; rerun without --reuse")
        result.calls = {p: result.calls[p] for p in opts.pairs}
    else:
        # each task gets only the bars up to its period's end; the next bar after a call only scores it
        result = run_walk_forward(bars, opts.start, end, opts.retrain, settings.training, opts.workers, progress)
        save_result(result, opts.report_dir)
    analysis = analyze(
        result,
        Options(
            leverage={p: settings.leverage_for(p) for p in opts.pairs},
            pip_size={p: get_pair(p).pip_size for p in opts.pairs},
            cost_pips=settings.backtest.cost_pips,
            horizon=opts.horizon,
            confidence=opts.confidence,
        ),
    )
    if opts.calibrate:
        unit, names = unit_pnl_matrix(result, settings)
        cal = calibrate(
            unit, names, {p: settings.leverage_for(p) for p in names}, opts.max_loss, opts.horizon, opts.confidence
        )
        analysis.metrics["calibration"] = cal.as_dict()
    if opts.check_lookahead:
        from fxbot.backtest.lookahead import check_lookahead

        checked = check_lookahead(result, bars, settings.training, opts.samples, progress)
        analysis.metrics["lookahead"] = [
            {"pair": c.pair, "day": c.day, "period": c.period, "max_difference": c.max_difference, "same": c.same_call}
            for c in checked
        ]
    from fxbot.backtest.report import write_report

    write_report(analysis, opts.report_dir)
    return analysis


def summary_lines(analysis: Analysis, report_dir: Path) -> list[str]:
    """What the CLI prints: accuracy and p-value per pair, the portfolio's blocks, calibration, check."""
    m = analysis.metrics
    out = []
    for pair, p in m["pairs"].items():
        v = p["vote"]
        out.append(
            f"{pair}: vote {v['accuracy']:.1%} of {v['calls']} calls (p={v['p_value']:.3g}; random 99% band "
            f"{v['band'][0]:.1%}..{v['band'][1]:.1%}); always buy {p['baselines']['always_buy']['accuracy']:.1%}, "
            f"repeat yesterday {p['baselines']['repeat_yesterday']['accuracy']:.1%}, "
            f"logistic {p['baselines']['logistic']['accuracy']:.1%}"
        )
    b = m["portfolio"]["pnl"]["blocks"]
    out.append(
        f"portfolio {m['options']['horizon_days']}-day P/L over {b['count']} blocks: mean {b['mean']:+.2%}, "
        f"std {b['std']:.2%}, min {b['min']:+.2%}, max {b['max']:+.2%}, "
        f"interval {b['low']:+.2%}..{b['high']:+.2%}; Sharpe {m['portfolio']['pnl']['sharpe']:.2f}"
    )
    cal = m.get("calibration")
    if cal:
        prop = ", ".join(
            f"{k} {cal['configured'][k]:.2f} -> {'no limit' if v is None else f'{v:.2f}'}"
            for k, v in cal["proposed"].items()
        )
        warn = " (a risk ceiling only: the mean P/L is negative)" if cal["configured_mean"] <= 0 else ""
        out.append(f"calibration (max loss {cal['max_loss']:.0%} at {cal['confidence']:.1%}): {prop}{warn}")
    if "lookahead" in m:
        worst = max(c["max_difference"] for c in m["lookahead"])
        out.append(f"look-ahead check passed: {len(m['lookahead'])} sampled calls identical (max |diff| {worst:.1e})")
    out.append(f"report: {report_dir / 'report.md'}")
    return out
