"""Skill against drift for a walk-forward: the statistics of ``fxbot.backtest.skill`` (by family) on the vote's calls,
the baselines beside it, Holm across the family, and the promotion gate. Pure (arrays in, ``results``
records out).

Per variant, pooled over the pairs and per pair:

- the vote against always-buy on the same calls (McNemar, Pesaran-Timmermann, the date-clustered
  hit difference), Brier and log-loss skill against climatology (each pair's share of up days
  before the call, so no look-ahead) with Diebold-Mariano, Sharpe with its standard error, the
  Deflated Sharpe over every trial on record, and Hansen's SPA against always-buy and trend;
- baselines' accuracy on the same calls: always buy, repeat yesterday, time-series momentum (the
  vote of the 20-, 60- and 250-day signs) and the logistic regression fitted per period;
- a yearly table and a power statement.

The gate (issue 9, item 6): a variant passes only if it beats always-buy on the same calls with
Pesaran-Timmermann or McNemar at p < 0.01 after Holm across every (variant, scope, test) of the
run, and its Deflated Sharpe is at least 0.95. Anything else keeps the shipped models.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from msgspec import UnsetType

from fxbot.backtest.analysis import Options, pair_pnl
from fxbot.backtest.baselines import repeat_yesterday_direction, tsmom_vote_direction
from fxbot.backtest.results import FamilySpa, Gate, SkillEvidence, SkillRow, Verdict, YearRecord
from fxbot.backtest.skill.periods import power_statement, yearly_table
from fxbot.backtest.skill.pooled import holm
from fxbot.backtest.skill.sharpe import spa_against_benchmarks
from fxbot.backtest.skill.summary import skill_summary
from fxbot.backtest.walkforward import WalkForwardResult

GATE_ALPHA = 0.01
GATE_DSR = 0.95


def _directions_at(close: pd.Series, dates: pd.DatetimeIndex, rule: Any) -> np.ndarray:
    """A baseline rule's direction on each of ``dates``, computed over the full close history (causal rules)."""
    directions = rule(close.to_numpy(dtype="float64"))
    positions = close.index.get_indexer(dates)
    if (positions < 0).any():
        raise ValueError("a call's day is missing from the bars")
    picked: np.ndarray = np.asarray(directions)[positions]
    return picked


def _climatology(close: pd.Series, dates: pd.DatetimeIndex) -> np.ndarray:
    """Each day's share of up closes among the days before it (what a forecaster knew), 0.5 with no history."""
    values = close.to_numpy(dtype="float64")
    ups = np.concatenate([[0.0], (values[1:] > values[:-1]).astype(float)])
    known = np.cumsum(ups) - ups  # ups strictly before each day
    count = np.arange(len(values), dtype=float)  # moves strictly before each day (day 0 has none)
    rate: np.ndarray = np.where(count > 0, known / np.maximum(count, 1), 0.5)
    picked: np.ndarray = rate[close.index.get_indexer(dates)]
    return picked


def call_arrays(result: WalkForwardResult, bars: dict[str, pd.DataFrame], opts: Options) -> dict[str, np.ndarray]:
    """Every call of every pair as parallel arrays: the inputs of ``skill.summary.skill_summary`` and the baselines."""
    parts: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "dates",
            "pair",
            "direction",
            "up",
            "probability",
            "climatology",
            "pnl",
            "always_buy_pnl",
            "trend_pnl",
            "trend_direction",
            "repeat_direction",
            "logistic_direction",
        )
    }
    for code, calls in result.calls.items():
        close = bars[code]["close"]
        leverage = opts.leverage[code]
        direction = np.where(calls.vote_up, 1, -1)
        trend = _directions_at(close, calls.dates, tsmom_vote_direction)
        trend = np.where(trend == 0, 1, trend)  # no signal yet (first 250 bars): the trend rule stays long
        repeat = _directions_at(close, calls.dates, repeat_yesterday_direction)
        parts["dates"].append(calls.dates.to_numpy().astype("datetime64[D]"))
        parts["pair"].append(np.full(len(calls.dates), code))
        parts["direction"].append(direction)
        parts["up"].append(calls.actual_up)
        parts["probability"].append(calls.member_probs.mean(axis=1))
        parts["climatology"].append(_climatology(close, calls.dates))
        parts["pnl"].append(pair_pnl(calls, direction, opts, leverage)[0])
        parts["always_buy_pnl"].append(pair_pnl(calls, np.ones(len(direction), dtype=int), opts, leverage)[0])
        parts["trend_pnl"].append(pair_pnl(calls, trend, opts, leverage)[0])
        parts["trend_direction"].append(trend)
        parts["repeat_direction"].append(np.where(repeat == 0, 1, repeat))
        parts["logistic_direction"].append(np.where(calls.logistic_probs > 0.5, 1, -1))
    return {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}


def _summary(
    arrays: dict[str, np.ndarray], mask: np.ndarray, n_trials: int, trial_sharpes: np.ndarray, horizon: int = 1
) -> SkillRow:
    summary = skill_summary(
        arrays["dates"][mask],
        arrays["pair"][mask],
        arrays["direction"][mask],
        arrays["up"][mask],
        arrays["probability"][mask],
        arrays["pnl"][mask],
        arrays["always_buy_pnl"][mask],
        arrays["trend_pnl"][mask],
        n_trials,
        trial_sharpes,
        climatology=arrays["climatology"][mask],
        seed=7,
        horizon=horizon,
    )
    up = arrays["up"][mask].astype(bool)
    baselines = {
        name: float(np.mean((arrays[key][mask] > 0) == up))
        for name, key in (
            ("trend (TSMOM 20/60/250 vote)", "trend_direction"),
            ("repeat yesterday", "repeat_direction"),
            ("logistic regression", "logistic_direction"),
        )
    }
    return SkillRow(**msgspec.structs.asdict(summary), baselines=baselines)


def skill_evidence(
    result: WalkForwardResult,
    bars: dict[str, pd.DataFrame],
    opts: Options,
    n_trials: int,
    trial_sharpes: list[float | None],
) -> SkillEvidence:
    """The pooled and per-pair skill of one variant, its yearly table and the power statement (uncorrected p)."""
    arrays = call_arrays(result, bars, opts)
    sharpes = np.asarray([s for s in trial_sharpes if s is not None and math.isfinite(s)], dtype="float64")
    everything = np.ones(len(arrays["up"]), dtype=bool)
    # A multi-day target: McNemar and Pesaran-Timmermann with HAC variances (lag horizon - 1).
    horizon = max((calls.horizon for calls in result.calls.values()), default=1)
    pooled = _summary(arrays, everything, max(n_trials, 1), sharpes, horizon)
    pairs = {
        code: _summary(arrays, arrays["pair"] == code, max(n_trials, 1), sharpes, horizon)
        for code in sorted(result.calls)
    }
    rows = yearly_table(arrays["dates"], arrays["direction"], arrays["up"], arrays["pnl"], arrays["always_buy_pnl"])
    power = power_statement(pooled.n, pooled.always_buy_accuracy, alpha=GATE_ALPHA)
    yearly = [YearRecord(**dataclasses.asdict(row)) for row in rows]
    return SkillEvidence(pooled=pooled, pairs=pairs, yearly=yearly, power=power.sentence(), n_trials=n_trials)


@dataclasses.dataclass
class GateOutcome:
    """The gate over a run: the family's size and thresholds, each variant's verdict, the family's SPA (set later)."""

    family_size: int
    alpha: float
    dsr_min: float
    verdicts: dict[str, Verdict]
    family_spa: FamilySpa | None = None

    def for_variant(self, name: str) -> Gate:
        """What one variant's metrics.json records of the gate."""
        return Gate(
            family_size=self.family_size,
            alpha=self.alpha,
            dsr_min=self.dsr_min,
            family_spa=self.family_spa,
            verdict=self.verdicts[name],
        )


def _holm_p(row: SkillRow, test: str) -> float:
    value = row.pt_p_holm if test == "pt_p" else row.mcnemar_p_holm
    return math.nan if isinstance(value, UnsetType) else value


def apply_gate(evidence_by_variant: dict[str, SkillEvidence]) -> GateOutcome:
    """Holm across every (variant, scope, test) p-value of the run, then the gate for each variant (in place)."""
    keys: list[tuple[SkillRow, str]] = []
    values: list[float] = []
    for ev in evidence_by_variant.values():
        for summary in [ev.pooled, *ev.pairs.values()]:
            for test in ("mcnemar_p", "pt_p"):
                keys.append((summary, test))
                values.append(float(summary.mcnemar_p if test == "mcnemar_p" else summary.pt_p))
    adjusted, _ = holm(np.asarray(values, dtype="float64"), alpha=GATE_ALPHA)
    for (target, test), p in zip(keys, adjusted, strict=True):
        if test == "mcnemar_p":
            target.mcnemar_p_holm = float(p)
        else:
            target.pt_p_holm = float(p)
    verdicts: dict[str, Verdict] = {}
    for variant, ev in evidence_by_variant.items():
        pooled = ev.pooled
        best = min(
            (_holm_p(pooled, "pt_p"), "Pesaran-Timmermann"),
            (_holm_p(pooled, "mcnemar_p"), "McNemar"),
            key=lambda t: (math.isnan(t[0]), t[0]),
        )
        significant = not math.isnan(best[0]) and best[0] < GATE_ALPHA
        dsr_ok = math.isfinite(pooled.dsr) and pooled.dsr >= GATE_DSR
        passes = significant and dsr_ok
        reasons = []
        if not significant:
            reasons.append(
                f"no test beats always-buy at p < {GATE_ALPHA} after Holm over {len(values)} p-values "
                f"(best: {best[1]} {_fmt_p(best[0])})"
            )
        if not dsr_ok:
            reasons.append(f"Deflated Sharpe {pooled.dsr:.2f} < {GATE_DSR} over {ev.n_trials} trials on record")
        verdicts[variant] = Verdict(passes, reasons)
        ev.gate = verdicts[variant]
    return GateOutcome(len(values), GATE_ALPHA, GATE_DSR, verdicts)


def _fmt_p(p: float) -> str:
    return "n/a" if math.isnan(p) else f"p = {p:.3g}"


def family_spa(
    results: dict[str, WalkForwardResult], bars: dict[str, pd.DataFrame], opts: Options, reps: int = 1000
) -> FamilySpa | None:
    """One SPA over every variant of the run at once (not one per variant): the portfolio's daily P/L of each
    variant as a column, on the days all of them called, against always-buy and against the trend rule
    (intersection-union: the larger p). Studentized (``skill.sharpe.spa_test``)."""
    by_variant: dict[str, pd.Series] = {}
    always_buy = trend = None
    for name, result in results.items():
        arrays = call_arrays(result, bars, opts)
        frame = (
            pd.DataFrame(
                {
                    "date": arrays["dates"],
                    "pnl": arrays["pnl"],
                    "buy": arrays["always_buy_pnl"],
                    "trend": arrays["trend_pnl"],
                }
            )
            .groupby("date")
            .sum()
        )
        by_variant[name] = frame["pnl"]
        if always_buy is None:  # the baselines do not depend on the variant (the same bars, costs and days)
            always_buy, trend = frame["buy"], frame["trend"]
    if len(by_variant) < 1 or always_buy is None or trend is None:
        return None
    matrix = pd.DataFrame(by_variant).dropna()
    days = matrix.index
    p, each = spa_against_benchmarks(
        matrix.to_numpy(),
        {"always_buy": always_buy.loc[days].to_numpy(), "trend": trend.loc[days].to_numpy()},
        reps=reps,
        seed=7,
    )
    return FamilySpa(list(matrix.columns), len(days), p, {name: r.consistent for name, r in each.items()})
