"""Run the sizing trial registered in reports/trials.jsonl (registration 3, issue 19) and judge it as registered.

    .venv/bin/python -m bench.sizing_trial [--record]

The registration (hypothesis, criterion, data: ``fxbot.backtest.sizing``) was committed before this
file first ran. Volatility-targeted sizing against the fixed leverage on the committed 2008-2024
walk-forward calls: the empirical 99.9 % rolling 20-day loss, the worst 20 days and the Sharpe ratio
of each, and the paired moving-block bootstrap of the criterion. ``--record`` appends the trial's
record, naming its registration, and writes ``bench/results/sizing_trial.json``. A few seconds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fxbot.backtest.sizing import NAME, run_trial
from fxbot.backtest.trials import append_trial, read_trials
from fxbot.config import Settings

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "reports" / "backtest-2008-2024"
TRIALS = REPO / "reports" / "trials.jsonl"
RESULT = REPO / "bench" / "results" / "sizing_trial.json"


def main() -> None:
    """Compute the registered trial, print its verdict, and with --record append it to the ledger."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append the trial's record to reports/trials.jsonl")
    args = parser.parse_args()
    records = read_trials(TRIALS).records
    registration = next((r["registration"] for r in records if r.get("name") == NAME and "registration" in r), None)
    if registration is None:
        raise SystemExit(f"{TRIALS} registers no trial named {NAME!r}: register it before running it")
    if any(r.get("registered") == registration for r in records if "trial" in r):
        raise SystemExit(f"registration {registration} ({NAME}) was run and recorded already: a trial runs once")
    settings = Settings()
    leverage = {p: settings.leverage_for(p) for p in settings.pairs}
    costs = {p: settings.backtest.cost_for(p) for p in settings.pairs}
    r = run_trial(REPORT, REPO / "data", REPO / "data" / "rates", leverage, costs, settings.backtest.rollover_markup)
    for name in ("fixed", "vol_target"):
        f = r[name]
        print(
            f"{name}: 99.9% 20-day loss {f['loss_999_20d']:.1%} of equity, worst 20 days {f['worst_20d']:.1%}, "
            f"Sharpe {f['sharpe']:.3f}"
        )
    b = r["bootstrap"]
    print(
        f"mean scale {', '.join(f'{p} {v:.2f}' for p, v in r['mean_scale'].items())}; vol_target's loss lower in "
        f"{b['share_vol_target_loss_lower']:.1%} of resamples; Sharpe difference 90% interval "
        f"{b['sharpe_difference_90'][0]:+.3f}..{b['sharpe_difference_90'][1]:+.3f} ({b['method']})"
    )
    print(f"verdict (registration {registration}): {r['verdict']}")
    if args.record:
        record = append_trial(
            TRIALS,
            {
                "variant": NAME,
                "registered": registration,
                "feature_set": "sizing rule on the default variant's calls",
                "target": "next_day",
                "target_days": 1,
                "periods": {"from": r["first_day"], "to": r["last_day"], "retrain": "none"},
                "report": "bench/sizing_trial.py",
                "metrics": {"sharpe": r["vol_target"]["sharpe"], "calls": r["days"], **r},
            },
        )
        RESULT.write_text(json.dumps(r, indent=1, default=str) + "\n")
        print(f"recorded as trial #{record['trial']} (registration {registration}); {RESULT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
