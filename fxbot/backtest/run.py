"""`fxbot backtest`: walk-forward (one variant or a sweep), statistics, ledger, optional checks, report.

The glue between the CLI and the pure parts: loads the bars and the rates, runs (or reloads) the
walk-forward of every variant as one task graph on the chosen executor, analyses each, appends one
trial per variant to the trials file, writes the reports and returns the lines the CLI prints.
Without ``--variants`` the default variant's report goes to the report folder itself; with it,
each variant's report goes to ``<report>/<name>/`` and the ranking to ``<report>/variants.md``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from msgspec import UnsetType

from fxbot.backtest.analysis import Analysis, Options, analyze, pair_pnl
from fxbot.backtest.calibrate import calibrate
from fxbot.backtest.executors import make_executor
from fxbot.backtest.results import Headline, LookaheadRecord, StressWindow, TrialsRecord, VarBacktest
from fxbot.backtest.rollover import load_rates
from fxbot.backtest.selection import SELECTED, selected_result
from fxbot.backtest.trials import append_trial, code_version, config_hash, corrected_view, read_trials
from fxbot.backtest.variants import DEFAULT, Variant, load_variants
from fxbot.backtest.walkforward import (
    Progress,
    Retrain,
    WalkForwardResult,
    load_result,
    run_sweep,
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
    workers: int | None  # None: 1 locally, every cluster CPU on Ray
    report_dir: Path
    pairs: list[str]
    calibrate: bool = False
    max_loss: float = 0.25
    horizon: int = 20
    confidence: float = 0.999
    check_lookahead: bool = False
    samples: int = 5
    reuse: bool = False
    variants_file: Path | None = None
    executor: str = "local"
    ray_address: str | None = None


def validate(opts: BacktestOptions) -> None:
    """Reject option values that make no sense, with the flag's name."""
    if opts.workers is not None and opts.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {opts.workers}")
    if opts.executor not in ("local", "ray"):
        raise UsageError(f"--executor must be local or ray, got {opts.executor!r}")
    if opts.ray_address and opts.executor != "ray":
        raise UsageError("--ray-address needs --executor ray")
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


def is_report_folder(folder: Path) -> bool:
    """True if ``folder`` holds a report fxbot wrote (or the walk-forward it saves before the report)."""
    from fxbot.safefiles import starts_with

    return (
        starts_with(folder / "report.md", b"# fxbot ")
        or starts_with(folder / "variants.md", b"# fxbot ")
        or starts_with(folder / "calls.csv", b"pair,date,")
    )


def claim_report_folders(opts: BacktestOptions, variants: list[Variant], sweep: bool) -> None:
    """Refuse, before any training, a --report folder (or a sweep's variant folder) of files fxbot did not write."""
    from fxbot.safefiles import claim_folder

    fix = "give a new or empty folder, or one fxbot wrote a report into"
    claim_folder(opts.report_dir, is_report_folder, "--report", fix)
    if sweep:
        for variant in variants:
            claim_folder(_folder(opts, variant, sweep), is_report_folder, "the sweep's report folder", fix)


def unit_pnl_matrix(result: WalkForwardResult, opts: Options) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each pair's daily P/L of the vote at leverage 1, net of cost, with rollover, on the union of days (and those)."""
    cols = {}
    for pair, c in result.calls.items():
        direction = np.where(c.vote_up, 1.0, -1.0)
        pnl, _ = pair_pnl(c, direction, opts, 1.0)
        cols[pair] = pd.Series(pnl, index=c.dates)
    frame = pd.DataFrame(cols).fillna(0.0).sort_index()
    return frame.to_numpy(), list(frame.columns), frame.index.to_numpy().astype("datetime64[D]")


def tail_metrics(
    result: WalkForwardResult, analysis: Analysis, bars: dict[str, pd.DataFrame], opts: Options
) -> tuple[VarBacktest, list[StressWindow]]:
    """The VaR backtest of the posted loss figures and the stress windows, from the bars and the calls."""
    from fxbot.backtest.var_backtest import stress_entries, var_backtest, walk_forward_figures
    from fxbot.risk import aligned_closes

    pairs = list(result.calls)
    history, closes = aligned_closes(
        [(b.index.to_numpy().astype("datetime64[D]"), b["close"].to_numpy()) for b in (bars[p] for p in pairs)]
    )
    port = analysis.series["portfolio"]
    call_dates = port.dates.to_numpy().astype("datetime64[D]")
    exposures = np.zeros((len(call_dates), len(pairs)))
    for j, pair in enumerate(pairs):
        c = result.calls[pair]
        rows = np.searchsorted(call_dates, c.dates.to_numpy().astype("datetime64[D]"))
        exposures[rows, j] = np.where(c.vote_up, 1.0, -1.0) * opts.leverage[pair]
    figures = walk_forward_figures(
        history, closes, call_dates, exposures, port.pnl, days=opts.horizon, confidence=opts.confidence
    )
    leverage = np.array([opts.leverage[p] for p in pairs])
    return (
        var_backtest(figures, port.pnl, days=opts.horizon, confidence=opts.confidence),
        stress_entries(history, closes, call_dates, port.pnl, leverage),
    )


@dataclass
class Outcome:
    """Every variant's analysis (in the variants file's order), the trials on record, the report folder."""

    analyses: dict[str, Analysis]
    report_dir: Path
    sweep: bool
    trials_file: Path
    trials_on_record: int
    recorded: list[int] = field(default_factory=list)  # trial numbers this run added

    @property
    def ranking(self) -> list[tuple[str, Headline]]:
        """Variants by accuracy minus always-buy's on the same calls (raw, uncorrected), best first."""
        rows = [(name, a.metrics.headline) for name, a in self.analyses.items()]
        return sorted(rows, key=lambda r: -np.nan_to_num(r[1].edge_vs_always_buy, nan=-np.inf))


def _folder(opts: BacktestOptions, variant: Variant, sweep: bool) -> Path:
    return opts.report_dir / variant.name if sweep else opts.report_dir


def trial_record(
    settings: Settings, opts: BacktestOptions, result: WalkForwardResult, analysis: Analysis, folder: Path, data: str
) -> dict[str, Any]:
    """What the ledger keeps of one variant's walk-forward."""
    variant = result.variant
    cfg = variant.training(settings.training)
    embargo = max(settings.backtest.embargo_days, variant.horizon)
    periods = {
        "from": result.periods[0].start.isoformat(),
        "to": result.periods[-1].end.isoformat(),
        "retrain": opts.retrain,
        "count": len(result.periods),
    }
    costs = {p: settings.backtest.cost_for(p) for p in opts.pairs}
    defining = {
        "training": msgspec.to_builtins(cfg),
        "variant": msgspec.to_builtins(variant),
        "pairs": opts.pairs,
        "periods": periods,
        "embargo": embargo,
        "cost_pips": costs,
        "rollover_markup": settings.backtest.rollover_markup,
        "data": data,
    }
    if result.selection is not None:  # the selection rule is the trial: what it chose is part of its definition
        defining["selection"] = [(c.period, c.chosen) for c in result.selection]
    return {
        "variant": variant.name,
        "config_hash": config_hash(defining),
        "feature_set": variant.features if result.selection is None else "per-period selection",
        "features": {p: variant.feature_list(p, opts.pairs) for p in opts.pairs},
        "selection": result.selection and {c.period: c.chosen for c in result.selection},
        "target": variant.target,
        "target_days": variant.horizon,
        "units": cfg.units,
        "members": cfg.members,
        "seeds": list(cfg.seeds[: cfg.members]),
        "epochs": cfg.epochs,
        "pairs": opts.pairs,
        "periods": periods,
        "embargo": embargo,
        "cost_pips": costs,
        "rollover_markup": settings.backtest.rollover_markup,
        "code_version": code_version(),
        "executor": result.executor,
        "workers": result.workers,
        "seconds": round(result.seconds, 1),
        "metrics": msgspec.to_builtins(analysis.metrics.headline),
        "report": str(folder),
    }


def run_backtest(settings: Settings, opts: BacktestOptions, progress: Progress | None = stderr_progress) -> Outcome:
    """Run the whole backtest described by ``opts`` and write its reports; return every variant's analysis."""
    validate(opts)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TF's C++ chatter would drown the progress lines
    costs = {p: settings.backtest.cost_for(p) for p in opts.pairs}  # a missing pair fails before any training
    variants = load_variants(opts.variants_file) if opts.variants_file else [DEFAULT]
    sweep = opts.variants_file is not None
    claim_report_folders(opts, variants, sweep)
    crossed = [v.name for v in variants if v.features == "cross"]
    if crossed and len(opts.pairs) != 3:
        raise UsageError(f"variant {crossed[0]} uses the cross feature set, which needs all three pairs; drop --pairs")
    rates = load_rates(settings.backtest.rates_dir)
    store = PriceStore(settings.data.dir)
    bars = {p: store.load(p).to_frame() for p in opts.pairs}
    data = ",".join(f"{p}:{store.checksum(p)[:12]}" for p in opts.pairs)
    end = opts.end or min(b.index[-1].date() for b in bars.values())
    results: dict[str, WalkForwardResult] = {}
    if opts.reuse:
        for variant in variants:
            result = load_result(_folder(opts, variant, sweep))
            missing = [p for p in opts.pairs if p not in result.calls]
            if missing:
                raise UsageError(f"{opts.report_dir} has no calls for {', '.join(missing)}; rerun without --reuse")
            result.calls = {p: result.calls[p] for p in opts.pairs}
            results[variant.name] = result
    else:
        # each task gets only the bars up to its period's end; the next bar after a call only scores it
        executor = make_executor(opts.executor, opts.workers, opts.ray_address)
        results = run_sweep(
            bars,
            opts.start,
            end,
            opts.retrain,
            settings.training,
            variants,
            executor,
            settings.backtest.embargo_days,
            progress,
        )
        for variant in variants:
            save_result(results[variant.name], _folder(opts, variant, sweep))
    if sweep:  # the best variant chosen honestly: per period, from the earlier periods only
        selected = selected_result(results, variants)
        if selected is not None:
            results[SELECTED] = selected
            variants = [*variants, selected.variant]
    options = Options(
        leverage={p: settings.leverage_for(p) for p in opts.pairs},
        pip_size={p: get_pair(p).pip_size for p in opts.pairs},
        cost_pips=costs,
        rates=rates,
        rollover_markup=settings.backtest.rollover_markup,
        horizon=opts.horizon,
        confidence=opts.confidence,
    )
    analyses: dict[str, Analysis] = {}
    recorded: list[int] = []
    trials_file = settings.backtest.trials_file
    for variant in variants:
        result, folder = results[variant.name], _folder(opts, variant, sweep)
        analysis = analyze(result, options)
        if opts.calibrate:
            unit, names, days = unit_pnl_matrix(result, options)
            leverage = {p: settings.leverage_for(p) for p in names}
            cal = calibrate(unit, names, leverage, opts.max_loss, opts.horizon, opts.confidence, days)
            analysis.metrics.calibration = cal.record()
        analysis.metrics.var_backtest, analysis.metrics.stress_windows = tail_metrics(result, analysis, bars, options)
        if opts.check_lookahead and result.selection is None:  # the selection reuses checked calls
            from fxbot.backtest.lookahead import check_lookahead

            checked = check_lookahead(
                result, bars, settings.training, opts.samples, progress, settings.backtest.embargo_days
            )
            analysis.metrics.lookahead = [
                LookaheadRecord(c.pair, c.day, c.period, c.max_difference, c.same_call) for c in checked
            ]
        trial = trial_record(settings, opts, result, analysis, folder, data)
        # A re-report (--reuse) is not a new trial, unless it is one never recorded (a selection over
        # reused variants): the config hash says which.
        if not opts.reuse or trial["config_hash"] not in {
            r.get("config_hash") for r in read_trials(trials_file).records if "trial" in r
        }:
            record = append_trial(trials_file, trial)
            recorded.append(int(record["trial"]))
        analyses[variant.name] = analysis
    # The corrected view: superseded figures replaced, trials that made the same calls counted once.
    records = corrected_view(read_trials(trials_file).records)
    on_record = len(records)
    from fxbot.backtest.evidence import apply_gate, family_spa, skill_evidence
    from fxbot.backtest.report import write_report, write_variants_report

    # Skill against drift, with the Deflated Sharpe over every trial on record (this run's included).
    sharpes = [(r.get("metrics") or {}).get("sharpe") for r in records]
    evidence = {name: skill_evidence(results[name], bars, options, on_record, sharpes) for name in analyses}
    gate = apply_gate(evidence)
    # SPA over the whole family this run tried at once, not per variant (a variant alone looks better than it is).
    gate.family_spa = family_spa({name: results[name] for name in analyses}, bars, options)
    for variant in variants:
        analysis = analyses[variant.name]
        analysis.metrics.trials = TrialsRecord(str(trials_file), on_record, recorded)
        analysis.metrics.skill = evidence[variant.name]
        analysis.metrics.gate = gate.for_variant(variant.name)
        write_report(analysis, _folder(opts, variant, sweep))
    outcome = Outcome(analyses, opts.report_dir, sweep, trials_file, on_record, recorded)
    if sweep:
        write_variants_report(outcome.ranking, analyses, on_record, str(trials_file), opts.report_dir)
    return outcome


def beats_always_buy(outcome: Outcome) -> list[str]:
    """Names of the variants whose pooled accuracy is above always-buy's on the same calls (raw, untested)."""
    return [name for name, h in outcome.ranking if h.edge_vs_always_buy > 0]


def _summary(analysis: Analysis) -> list[str]:
    m = analysis.metrics
    out = []
    for pair, p in m.pairs.items():
        v = p.vote
        out.append(
            f"{pair}: vote {v.accuracy:.1%} of {v.calls} calls (p={v.p_value:.3g}; random 99% band "
            f"{v.band[0]:.1%}..{v.band[1]:.1%}); always buy {p.baselines['always_buy'].accuracy:.1%}, "
            f"repeat yesterday {p.baselines['repeat_yesterday'].accuracy:.1%}, "
            f"logistic {p.baselines['logistic'].accuracy:.1%}"
        )
    b = m.portfolio.pnl.blocks
    out.append(
        f"portfolio {m.options.horizon_days}-day P/L over {b.count} blocks: mean {b.mean:+.2%}, "
        f"std {b.std:.2%}, min {b.min:+.2%}, max {b.max:+.2%}, "
        f"interval {b.low:+.2%}..{b.high:+.2%}; Sharpe {m.portfolio.pnl.sharpe:.2f}"
    )
    no_rates = {p: e.rollover.months_without_rates for p, e in m.pairs.items() if e.rollover.days_without_rates}
    if no_rates:
        months = sorted({mo for v in no_rates.values() for mo in v})
        out.append(f"rollover: no rates for {len(months)} month(s) ({_months(months)}): those days carry no rollover")
    cal = m.calibration
    if not isinstance(cal, UnsetType):
        for label, key in (("loss", "proposed"), ("worst 20 days", "proposed_worst")):
            prop = ", ".join(
                f"{k} {cal.configured[k]:.2f} -> {'no limit' if v is None else f'{v:.2f}'}"
                for k, v in (cal.proposed if key == "proposed" else cal.proposed_worst).items()
            )
            what = f"{cal.confidence:.1%} {cal.horizon}-day {label}" if key == "proposed" else label
            out.append(f"calibration (max loss {cal.max_loss:.0%}, {what} from history): {prop}")
    var = m.var_backtest
    if not isinstance(var, UnsetType):
        for entry in var.entries():
            out.append(
                f"VaR backtest {entry.label}: {entry.exceedances} exceedances in {entry.observations} "
                f"(expected {entry.expected:.1f}); Kupiec p={entry.kupiec.p_value:.3g}, "
                f"Christoffersen p={entry.christoffersen.p_value:.3g}; traffic light {entry.traffic_light}"
            )
    if not isinstance(m.lookahead, UnsetType):
        worst = max(c.max_difference for c in m.lookahead)
        out.append(f"look-ahead check passed: {len(m.lookahead)} sampled calls identical (max |diff| {worst:.1e})")
    return out


def _months(months: list[str]) -> str:
    return ", ".join(months) if len(months) <= 4 else f"{months[0]}, {months[1]}, ... {months[-1]}"


def summary_lines(outcome: Outcome, report_dir: Path) -> list[str]:
    """What the CLI prints: per variant the pairs' accuracy and the portfolio; the ranking; the ledger."""
    out: list[str] = []
    if not outcome.sweep:
        out += _summary(next(iter(outcome.analyses.values())))
    else:
        for name, h in outcome.ranking:
            out.append(
                f"{name}: accuracy {h.accuracy:.1%} vs always-buy {h.always_buy_accuracy:.1%} on the same "
                f"{h.calls} calls ({h.edge_vs_always_buy * 100:+.1f} points), Sharpe {h.sharpe:.2f}"
            )
        winners = beats_always_buy(outcome)
        out.append(
            f"beats always-buy on the same calls (raw accuracy, before any test or correction): {', '.join(winners)}"
            if winners
            else f"none of the {len(outcome.analyses)} variants beats always-buy on the same calls"
        )
    added = f" (this run added #{', #'.join(map(str, outcome.recorded))})" if outcome.recorded else ""
    out.append(f"trials on record: {outcome.trials_on_record} in {outcome.trials_file}{added}")
    out.append(f"report: {report_dir / ('variants.md' if outcome.sweep else 'report.md')}")
    return out
