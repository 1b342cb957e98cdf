"""Run the two trials registered in reports/trials.jsonl for issue 20 and judge them as registered.

    .venv/bin/python -m bench.registered_trials [--record]

The registrations (``reports/trials.jsonl``, registrations 1 and 2, committed before this file) say
what each rule is, the data and the criterion; this script only carries them out:
- carry-trend-long: long base/JPY when the month's 3-month rate of the base currency is above JPY's
  and the close is above its close 60 trading days earlier, flat otherwise (a month without a rate:
  flat, the carry is unknown);
- vote-4of5: the walk-forward members' stored probabilities (reports/backtest-2008-2024/calls.csv);
  the majority's direction when 4 or 5 members agree, flat on 3/5.
Both against always-buy on the same pair-days: P/L at the shipped leverages, costs on position
changes, rollover with spot value dates (a flat day earns and pays nothing). Then the family-wise
tests of the registration: Newey-West (lag 5) one-sided P/L difference per trial and, for the vote,
the date-clustered accuracy difference on the days it trades, Holm over those p-values at 0.01; the
studentized SPA of both P/L series against always-buy; the Deflated Sharpe over the corrected trials
on record with these two. ``--record`` appends each trial's record (naming its registration).
Prints figures; a few seconds.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from fxbot.backtest.rollover import load_rates, pair_rollover
from fxbot.backtest.skill.paired import newey_west_sum
from fxbot.backtest.skill.pooled import clustered_mean_test, holm
from fxbot.backtest.skill.sharpe import deflated_sharpe, sharpe_with_se, spa_test
from fxbot.backtest.stats import daily_pnl
from fxbot.backtest.trials import append_trial, corrected_view, read_trials
from fxbot.config import Settings
from fxbot.data.store import PriceStore
from fxbot.pairs import get_pair

REPO = Path(__file__).resolve().parents[1]
CALLS = REPO / "reports" / "backtest-2008-2024" / "calls.csv"
TRIALS = REPO / "reports" / "trials.jsonl"
TREND_DAYS = 60
NW_LAGS = 5
ALPHA, SPA_LEVEL, DSR_MIN = 0.01, 0.05, 0.95


def directions(pair: str, calls: pd.DataFrame, rates: Any, store: PriceStore) -> dict[str, np.ndarray]:
    """Each rule's position on each call day of ``pair`` (+1 long, -1 short, 0 flat)."""
    bars = store.load(pair).to_frame()["close"]
    lagged = bars.shift(TREND_DAYS)  # the close 60 trading days (bars) earlier
    days = pd.DatetimeIndex(calls["date"])
    trend_up = (bars.loc[days].to_numpy() > lagged.loc[days].to_numpy()) & np.isfinite(lagged.loc[days].to_numpy())
    meta = get_pair(pair)
    carry = rates.monthly(meta.base, days.to_numpy()) - rates.monthly(meta.quote, days.to_numpy())
    carry_positive = np.where(np.isfinite(carry), carry > 0, False)
    ups = (calls[[f"member_{i}" for i in range(5)]].to_numpy() > 0.5).sum(axis=1)
    vote = np.where(ups >= 4, 1.0, np.where(ups <= 1, -1.0, 0.0))
    return {
        "carry-trend-long": np.where(carry_positive & trend_up, 1.0, 0.0),
        "vote-4of5": vote,
        "always-buy": np.ones(len(calls)),
    }


def pnl(pair: str, calls: pd.DataFrame, direction: np.ndarray, settings: Settings, rates: Any) -> np.ndarray:
    """Daily P/L (fraction of equity): price at the pair's leverage, costs on position changes, rollover."""
    leverage = settings.leverage_for(pair)
    price = daily_pnl(
        direction,
        calls["close"].to_numpy(),
        calls["next_close"].to_numpy(),
        leverage,
        settings.backtest.cost_for(pair),
        get_pair(pair).pip_size,
        "on_change",
    )
    meta = get_pair(pair)
    roll = pair_rollover(
        rates,
        meta.base,
        meta.quote,
        direction,
        pd.DatetimeIndex(calls["date"]).to_numpy(),
        pd.DatetimeIndex(calls["next_date"]).to_numpy(),
        settings.backtest.rollover_markup,
        leverage,
    )
    return price + np.where(np.isnan(roll), 0.0, roll)


def newey_west_greater(diff: np.ndarray, lags: int) -> float:
    """One-sided p that the mean of ``diff`` (one value a day) is above 0, Newey-West variance."""
    centred = diff - diff.mean()
    se = math.sqrt(newey_west_sum(centred, lags)) / len(diff)
    return float(sps.norm.sf(diff.mean() / se)) if se > 0 else math.nan


def main() -> None:
    """Compute both registered trials, print the verdicts, and with --record append them to the ledger."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="append each trial's record to reports/trials.jsonl")
    args = parser.parse_args()
    settings = Settings()
    rates = load_rates(REPO / "data" / "rates")
    store = PriceStore(REPO / "data")
    calls = pd.read_csv(CALLS)
    rows: list[pd.DataFrame] = []
    for pair, group in calls.groupby("pair", sort=True):
        group = group.reset_index(drop=True)
        rules = directions(str(pair), group, rates, store)
        frame = pd.DataFrame({"date": group["date"], "pair": pair, "up": group["next_close"] > group["close"]})
        for name, direction in rules.items():
            frame[f"pos:{name}"] = direction
            frame[f"pnl:{name}"] = pnl(str(pair), group, direction, settings, rates)
        rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    daily = table.groupby("date")[[c for c in table.columns if c.startswith("pnl:")]].sum()
    buy = daily["pnl:always-buy"].to_numpy()
    names = ["carry-trend-long", "vote-4of5"]
    registrations = {r["name"]: r["registration"] for r in read_trials(TRIALS).records if "registration" in r}
    # The corrected view without these two if they are on record already (a rerun after --record counts them once).
    view = [t for t in corrected_view(read_trials(TRIALS).records) if t.get("variant") not in names]
    sharpes = [t["metrics"].get("sharpe") for t in view]
    results: dict[str, dict[str, Any]] = {}
    family: list[tuple[str, str, float]] = []
    for name in names:
        series = daily[f"pnl:{name}"].to_numpy()
        traded = table[f"pos:{name}"] != 0
        right = (table[f"pos:{name}"] > 0) == table["up"]
        p_pnl = newey_west_greater(series - buy, NW_LAGS)
        family.append((name, "P/L minus always-buy (Newey-West, lag 5)", p_pnl))
        result: dict[str, Any] = {
            "days": len(series),
            "pair_days": len(table),
            "traded_share": float(traded.mean()),
            "sharpe": sharpe_with_se(series).sharpe,
            "always_buy_sharpe": sharpe_with_se(buy).sharpe,
            "pnl_total": float(series.sum()),
            "always_buy_pnl_total": float(buy.sum()),
            "mean_daily_difference": float((series - buy).mean()),
            "p_pnl": p_pnl,
            "accuracy_traded": float(right[traded].mean()),
            "always_buy_accuracy_traded": float(table["up"][traded].mean()),
        }
        if name == "vote-4of5":
            acc = clustered_mean_test(
                right[traded].astype(float).to_numpy() - table["up"][traded].astype(float).to_numpy(),
                table["date"][traded].to_numpy(),
                0.0,
                "greater",
            )
            result["p_accuracy_traded"] = acc.p_value
            family.append((name, "accuracy on traded days minus always-buy's (clustered by date)", acc.p_value))
        results[name] = result
    adjusted, rejected = holm(np.array([p for _, _, p in family]), ALPHA)
    spa = spa_test(buy, np.column_stack([daily[f"pnl:{n}"].to_numpy() for n in names]), reps=2000, seed=7)
    all_sharpes = np.array([s for s in [*sharpes, *(results[n]["sharpe"] for n in names)] if s is not None])
    n_trials = len(view) + len(names)
    print(
        f"# {len(table)} pair-days, {len(daily)} days ({daily.index[0]}..{daily.index[-1]}); trials in the corrected "
        f"view with these two: {n_trials}; always-buy Sharpe {results[names[0]]['always_buy_sharpe']:.2f}, "
        f"P/L {buy.sum():+.1%} of equity"
    )
    for (name, test, p), p_adj, rej in zip(family, adjusted, rejected, strict=True):
        print(f"{name}: {test}: p {p:.4f}, Holm {p_adj:.4f} ({'rejects' if rej else 'does not reject'} at {ALPHA})")
    print(f"family SPA (studentized) against always-buy: consistent p {spa.consistent:.3f}")
    for name in names:
        r = results[name]
        dsr = deflated_sharpe(daily[f"pnl:{name}"].to_numpy(), n_trials, all_sharpes)
        r["dsr"] = dsr.dsr
        holm_ok = all(rej for (n, _, _), rej in zip(family, rejected, strict=True) if n == name)
        passes = holm_ok and r["mean_daily_difference"] > 0 and spa.consistent < SPA_LEVEL and dsr.dsr >= DSR_MIN
        reasons = []
        if not holm_ok:
            reasons.append(f"no Holm-adjusted p below {ALPHA}")
        if spa.consistent >= SPA_LEVEL:
            reasons.append(f"family SPA p {spa.consistent:.2f} >= {SPA_LEVEL}")
        if dsr.dsr < DSR_MIN:
            reasons.append(f"DSR {dsr.dsr:.2f} < {DSR_MIN}")
        r["verdict"] = "PASSES" if passes else "FAILS: " + "; ".join(reasons)
        print(
            f"{name}: trades {r['traded_share']:.1%} of pair-days; right on {r['accuracy_traded']:.1%} of those "
            f"(always-buy {r['always_buy_accuracy_traded']:.1%}); P/L {r['pnl_total']:+.1%} against always-buy's "
            f"{r['always_buy_pnl_total']:+.1%}; Sharpe {r['sharpe']:.2f} (always-buy {r['always_buy_sharpe']:.2f}); "
            f"DSR {dsr.dsr:.2f}: {r['verdict']}"
        )
        if args.record:
            record = append_trial(
                TRIALS,
                {
                    "variant": name,
                    "registered": registrations.get(name),
                    "feature_set": "rule (no model)" if name == "carry-trend-long" else "base (stored members)",
                    "target": "next_day",
                    "target_days": 1,
                    "periods": {"from": str(daily.index[0]), "to": str(daily.index[-1]), "retrain": "none"},
                    "report": "bench/registered_trials.py",
                    "metrics": {
                        "accuracy": r["accuracy_traded"],
                        "always_buy_accuracy": r["always_buy_accuracy_traded"],
                        "calls": round(r["traded_share"] * r["pair_days"]),
                        "sharpe": r["sharpe"],
                        **{k: v for k, v in r.items() if k not in ("sharpe",)},
                        "family_spa_p": spa.consistent,
                        "holm_alpha": ALPHA,
                    },
                },
            )
            print(f"recorded as trial #{record['trial']} (registration {registrations.get(name)})")


if __name__ == "__main__":
    main()
