"""Research: `fxbot backtest` (walk-forward, needs fxbot[train]) and `fxbot trials` (the trial ledger)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fxbot.commands import selected_pairs
from fxbot.config import Settings
from fxbot.errors import UsageError
from fxbot.extras import install_hint


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    """Walk-forward backtest and risk report (needs fxbot[train])."""
    try:
        from fxbot.backtest.run import BacktestOptions, run_backtest, summary_lines
    except ImportError as exc:
        raise UsageError(
            f"backtesting needs fxbot[train] ({exc.name} is missing); install with {install_hint('train')}"
        ) from None
    opts = BacktestOptions(
        start=args.start,
        end=args.end,
        retrain=args.retrain,
        workers=args.workers,
        report_dir=Path(args.report),
        pairs=selected_pairs(args, settings),
        calibrate=args.calibrate,
        max_loss=args.max_loss,
        horizon=args.horizon,
        confidence=args.confidence,
        check_lookahead=args.check_lookahead,
        samples=args.samples,
        reuse=args.reuse,
        variants_file=Path(args.variants) if args.variants else None,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    outcome = run_backtest(settings, opts)
    print("\n".join(summary_lines(outcome, opts.report_dir)))
    return 0


def cmd_trials(args: argparse.Namespace, settings: Settings) -> int:
    """List the trial ledger, one line per walk-forward run, and count it."""
    from fxbot.backtest.trials import corrected_view, correction_line, read_trials, registration_line, trial_line

    path = Path(args.file) if args.file else settings.backtest.trials_file
    ledger = read_trials(path)
    for record in ledger.records:
        if "correction" in record:
            print(correction_line(record))
        elif "registration" in record:
            print(registration_line(record))
        else:
            print(trial_line(record))
    for number, reason in ledger.bad_lines:
        print(f"line {number} of {path}: {reason}; kept as it is, not counted", file=sys.stderr)
    trials = [r for r in ledger.records if "correction" not in r and "registration" not in r]
    corrections = sum("correction" in r for r in ledger.records)
    if corrections:
        view = corrected_view(ledger.records)
        print(
            f"{len(trials)} trial(s) on record in {path}; {corrections} correction(s): "
            f"{len(view)} in the corrected view (the Deflated Sharpe counts these)"
        )
    else:
        print(f"{len(trials)} trial(s) on record in {path}")
    return 0
