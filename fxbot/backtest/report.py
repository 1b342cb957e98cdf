"""Write a backtest report: report.md (tables), metrics.json (machine readable), PNG charts.

Charts use matplotlib's Agg backend (no display). Files are written atomically, so an interrupted
run leaves either the previous report or the new one.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import msgspec
from msgspec import UNSET, UnsetType

from fxbot.backtest import stats
from fxbot.backtest.analysis import ORIGINAL_BLOCK20, Analysis
from fxbot.backtest.results import Accuracy, Headline, Metrics, OriginalFigures, to_json
from fxbot.data.store import atomic_write_text


def _pct(v: float | None, digits: int = 2, sign: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v * 100:+.{digits}f} %" if sign else f"{v * 100:.{digits}f} %"


def _p(v: float) -> str:
    return "n/a" if math.isnan(v) else (f"{v:.3f}" if v >= 0.001 else f"{v:.1e}")


def _band(entry: Accuracy | OriginalFigures | list[float]) -> str:
    low, high = entry if isinstance(entry, list) else entry.band
    return f"{_pct(low, 1)}..{_pct(high, 1)}"


def _save_png(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    tmp = path.with_suffix(".png.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def render_markdown(metrics: Metrics) -> str:
    """report.md from metrics.json's content."""
    opts = metrics.options
    pairs = metrics.pairs
    port = metrics.portfolio
    variant = metrics.variant
    costs = opts.cost_pips
    cost_text = ", ".join(f"{p} {c:g}" for p, c in costs.items()) if isinstance(costs, dict) else f"{costs}"
    lines = [
        "# fxbot walk-forward backtest" + ("" if variant.name == "default" else f": variant {variant.name}"),
        "",
        f"Variant {variant.name}: features {variant.features}, target {variant.target}, "
        f"units {variant.units or 'training.units'}; LSTM members, majority vote.",
        "",
        f"Periods: {len(metrics.periods)} ({metrics.periods[0].start} .. {metrics.periods[-1].end}), "
        f"each ensemble trained only on bars before its period, with the samples whose label reaches into the "
        f"period purged and an embargo of at least the label horizon. Cost per trade in pips: {cost_text}, charged "
        + (
            "on every call (each call is a one-day trade, close D to close D+1, as the bot posts it)."
            if opts.cost_charged == "every_day"
            else "only when the call changes direction (a position held while the call repeats)."
        ),
        f"P/L is a fraction of equity at the leverages {opts.leverage}; h-day P/L is the sum of daily P/L "
        f"(fixed notional). Random band: the central {opts.random_band_level:.0%} of a coin-flip guesser's "
        "accuracy over the same number of calls. p-values: exact two-sided binomial test against 50 %.",
        "",
        "## Directional accuracy",
        "",
        "| pair | calls | vote | p-value | random band | members | always buy | repeat yesterday | logistic |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|",
    ]
    for pair, m in pairs.items():
        v, b = m.vote, m.baselines
        members = " ".join(f"{e.accuracy * 100:.1f}" for e in m.members)
        lines.append(
            f"| {pair} | {v.calls} | {_pct(v.accuracy, 1)} | {_p(v.p_value)} | {_band(v)} | {members} | "
            f"{_pct(b['always_buy'].accuracy, 1)} | {_pct(b['repeat_yesterday'].accuracy, 1)} | "
            f"{_pct(b['logistic'].accuracy, 1)} |"
        )
    pooled = port.vote_pooled
    lines[lines.index("## Directional accuracy") + 1 : lines.index("## Directional accuracy") + 1] = [
        "",
        _history_line(metrics),
        _trials_line(metrics),
    ]
    lines += [
        f"| all (pooled) | {pooled.calls} | {_pct(pooled.accuracy, 1)} | {_p(pooled.p_value)} | "
        f"{_band(pooled)} | | | | |",
        "",
        "Baseline p-values: "
        + "; ".join(
            f"{pair} " + ", ".join(f"{name} {_p(e.p_value)}" for name, e in m.baselines.items())
            for pair, m in pairs.items()
        ),
        "",
        *_skill_lines(metrics),
        f"## P/L and risk ({opts.horizon_days}-trading-day blocks, interval mean +/- {opts.z:.4f} std)",
        "",
        "| | total | blocks | mean | std | min | max | interval | rolling: min | rolling: interval | max DD | Sharpe |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    rows = [(p, m.pnl) for p, m in pairs.items()] + [("portfolio", port.pnl)]
    for name, r in rows:
        bl, rb = r.blocks, r.rolling_blocks
        lines.append(
            f"| {name} | {_pct(r.total, 1, True)} | {bl.count} | {_pct(bl.mean, 2, True)} | {_pct(bl.std)} | "
            f"{_pct(bl.min, 2, True)} | {_pct(bl.max, 2, True)} | "
            f"{_pct(bl.low, 2, True)}..{_pct(bl.high, 2, True)} | "
            f"{_pct(rb.min, 2, True)} | {_pct(rb.low, 2, True)}..{_pct(rb.high, 2, True)} | "
            f"{_pct(r.max_drawdown, 1)} | {r.sharpe:.2f} |"
        )
    ob = ORIGINAL_BLOCK20
    lines += [
        f"| original analysis | | | {_pct(ob['mean'], 2, True)} | {_pct(ob['std'])} | {_pct(ob['min'], 2, True)} | "
        f"{_pct(ob['max'], 2, True)} | {_pct(ob['low'], 2, True)}..{_pct(ob['high'], 2, True)} | | | | |",
        "",
        "Max DD: the largest fall of the equity curve (1 + cumulative P/L at fixed notional) from its running peak, "
        "as a share of that peak; above 100 % the account would have been wiped out. Sharpe: annualised, daily P/L.",
        "",
        "Costs: "
        + "; ".join(
            f"{pair} gross {_pct(m.pnl_gross_total, 1, True)}, net {_pct(m.pnl.total, 1, True)} "
            f"({m.direction_changes} direction changes; "
            + ", ".join(f"{k} {_pct(v, 1, True)}" for k, v in m.other_cost_totals().items())
            + ")"
            for pair, m in pairs.items()
        ),
        "",
        *_rollover_lines(metrics),
        "",
        "Correlation of the pairs' daily P/L:",
        "",
        "| | " + " | ".join(metrics.correlation.pairs) + " |",
        "|---|" + "---:|" * len(metrics.correlation.pairs),
    ]
    for name, row in zip(metrics.correlation.pairs, metrics.correlation.matrix, strict=True):
        lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    comp = metrics.comparison_2013_2017
    lines += ["", "## Against the original analysis (2013-01-01 .. 2017-11-01)", ""]
    if comp:
        seed, calls = comp.original, comp.original.calls  # the seed's figures, recorded in metrics.json
        lines += [
            f"The original reported {_pct(seed.accuracy, 1)} directional accuracy on about {calls} calls against "
            f"a random 99 % band of {_band(seed)} (the binomial band for {calls} calls is "
            f"{_band(comp.band_for_original_calls)}). fxbot's walk-forward on the same days:",
            "",
            "| pair | calls | vote | p-value | random band |",
            "|---|---:|---:|---:|---|",
        ]
        for pair, e in [*comp.pairs.items(), ("all (pooled)", comp.pooled)]:
            lines.append(f"| {pair} | {e.calls} | {_pct(e.accuracy, 1)} | {_p(e.p_value)} | {_band(e)} |")
    else:
        lines.append("This run does not span that window, so there is no like-for-like comparison.")
    lines += risk_section(metrics)
    checked = metrics.lookahead
    if checked:
        worst = max(c.max_difference for c in checked)
        lines += [
            "",
            "## Look-ahead check",
            "",
            f"{len(checked)} sampled calls recomputed with the data cut at their day (ensemble retrained on the bars "
            f"before the period, window built from the cut data): every call identical, largest member difference "
            f"{worst:.1e}. Days: " + ", ".join(f"{c.pair} {c.day}" for c in checked) + ".",
        ]
    lines += [
        "",
        "## Charts",
        "",
        "![equity](equity.png)",
        "",
        "![20-day P/L](pnl_blocks.png)",
        "",
        "![rolling accuracy](rolling_accuracy.png)",
        "",
        f"Walk-forward wall time {metrics.walk_forward.seconds:.0f} s on {metrics.walk_forward.workers} "
        f"worker(s) ({metrics.walk_forward.executor} executor; in a sweep, the time of all "
        "variants together); per-period training log in metrics.json.",
        "",
    ]
    return "\n".join(lines)


def _skill_lines(metrics: Metrics) -> list[str]:
    """The section that tells an edge from drift: paired tests against always-buy, scores, Sharpe, the gate."""
    ev = metrics.skill
    if not ev:
        return []
    gate = metrics.gate or None
    verdict = gate.verdict if gate else None
    lines = [
        "## Skill against drift (the vote against always-buy on the same calls)",
        "",
        'p-values are one-sided ("the vote is better"); *Holm* adjusts McNemar and Pesaran-Timmermann over '
        f"every variant, pair and test of this run ({gate.family_size if gate else '?'} p-values). McNemar and PT "
        "treat calls as independent; the clustered p (standard errors clustered by date, since the three pairs move "
        "together) does not. The Deflated Sharpe counts every trial on record "
        f"({ev.n_trials}).",
        "",
        "| | calls | vote | always-buy | diff (clustered SE) | clustered p | McNemar p (Holm) | PT p (Holm) "
        "| Brier skill | DM p | Sharpe (SE) | DSR | SPA p |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in [("all (pooled)", ev.pooled), *ev.pairs.items()]:
        lines.append(
            f"| {name} | {row.n} | {_pct(row.accuracy, 1)} | {_pct(row.always_buy_accuracy, 1)} | "
            f"{_pct(row.difference, 1, True)} ({_pct(row.difference_se, 1)}) | {_p(row.clustered_p)} | "
            f"{_p(row.mcnemar_p)} ({_p(_unset_nan(row.mcnemar_p_holm))}) | "
            f"{_p(row.pt_p)} ({_p(_unset_nan(row.pt_p_holm))}) | {row.brier_skill:+.4f} | "
            f"{_p(row.dm_p)} | {row.sharpe:.2f} ({row.sharpe_se:.2f}) | {row.dsr:.2f} | "
            f"{_p(row.spa_p)} |"
        )
    family = gate.family_spa if gate else None
    if family and family.variants:
        lines += [
            "",
            f"SPA over the whole family of this run ({len(family.variants)} variant(s): "
            f"{', '.join(family.variants)}; {family.days} common days; studentized, Hansen 2005): p "
            f"{_p(family.p)} that the best of them beats both always-buy and the trend rule "
            f"(always-buy {_p(family.against.get('always_buy', float('nan')))}, "
            f"trend {_p(family.against.get('trend', float('nan')))}). The SPA column above is per variant.",
        ]
    hac = ev.pooled.hac_lags
    if hac:
        lines += [
            "",
            f"The target spans {hac + 1} days, so consecutive calls share {hac} days of outcome: McNemar and PT "
            f"above use HAC variances (Newey-West, lag {hac}, summed per day); counting the calls as independent "
            f"the pooled p-values would be {_p(ev.pooled.mcnemar_p_iid)} and "
            f"{_p(ev.pooled.pt_p_iid)}.",
        ]
    base = ev.pooled.baselines
    lines += [
        "",
        "Baselines on the same pooled calls: always buy "
        f"{_pct(ev.pooled.always_buy_accuracy, 1)}, "
        + ", ".join(f"{name} {_pct(acc, 1)}" for name, acc in base.items())
        + ".",
        "",
        f"Power: {ev.power}",
        "",
        "| year | calls | vote | always-buy | diff | P/L vote | P/L always-buy |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for year in ev.yearly:
        lines.append(
            f"| {year.year} | {year.calls} | {_pct(year.accuracy, 1)} | "
            f"{_pct(year.always_buy_accuracy, 1)} | {_pct(year.difference, 1, True)} | "
            f"{_pct(year.pnl, 1, True)} | {_pct(year.always_buy_pnl, 1, True)} |"
        )
    if verdict:
        word = "PASSES" if verdict.passes else "does not pass"
        lines += [
            "",
            f"**Promotion gate: this variant {word}** (beat always-buy with PT or McNemar at p < "
            f"{gate.alpha if gate else 0.01} after Holm, and a Deflated Sharpe of at least "
            f"{gate.dsr_min if gate else 0.95})" + ("." if verdict.passes else ": " + "; ".join(verdict.reasons) + "."),
        ]
    lines.append("")
    return lines


def _history_line(metrics: Metrics) -> str:
    first = metrics.periods[0].label
    rows = [t for t in metrics.walk_forward.training if t.period == first and t.history_bars is not UNSET]
    if not rows:
        return "History of the first period: not recorded."
    return (
        f"History of the first period ({first}): "
        + "; ".join(
            f"{t.pair} {t.history_bars} bars before it, {t.samples_train} training and "
            f"{t.samples_validation} validation samples ({t.train_start}..{t.train_end}), "
            f"{t.purged} purged or embargoed"
            for t in rows
        )
        + "."
    )


def _trials_line(metrics: Metrics) -> str:
    trials = metrics.trials
    if not trials:
        return "Trials on record: unknown (no trials file was read)."
    added = f"; this run added #{', #'.join(map(str, trials.this_run))}" if trials.this_run else ""
    return (
        f"Trials on record: **{trials.on_record}** in `{trials.file}`{added}. Every figure here is one of "
        "them; a result must be judged against how many were tried."
    )


def _rollover_lines(metrics: Metrics) -> list[str]:
    opts = metrics.options
    pairs = metrics.pairs
    out = [
        f"Rollover (included in the P/L above): the monthly 3-month interbank rate differential of the position's "
        f"currencies, minus a mark-up of {opts.rollover_markup} % a year, per calendar day held "
        "(Friday to Monday is 3 days): "
        + "; ".join(
            f"{pair} vote {_pct(m.rollover.total, 2, True)}, always buy (held) "
            f"{_pct(m.always_buy_pnl.rollover_total, 2, True)}"
            for pair, m in pairs.items()
        )
        + ".",
        "",
        "Always buy, held as one position (cost once, rollover included): "
        + "; ".join(
            f"{pair} total {_pct(m.always_buy_pnl.total, 1, True)}, Sharpe {m.always_buy_pnl.sharpe:.2f}"
            for pair, m in pairs.items()
        )
        + ".",
    ]
    missing = {p: m.rollover for p, m in pairs.items() if m.rollover.days_without_rates}
    if missing:
        out += [
            "",
            "**No rates for some days, so no rollover is counted on them (nothing is guessed or interpolated):** "
            + "; ".join(
                f"{p} {r.days_without_rates} of {r.days_without_rates + r.days_with_rates} days "
                f"(months {', '.join(r.months_without_rates)})"
                for p, r in missing.items()
            )
            + ".",
        ]
    return out


def render_variants(
    ranking: list[tuple[str, Headline]], analyses: dict[str, Analysis], on_record: int, trials_file: str
) -> str:
    """variants.md: the variants ranked by accuracy minus always-buy's, with the corrected tests and the gate."""
    raw_winners = [name for name, h in ranking if h.edge_vs_always_buy > 0]
    passing = [name for name, _ in ranking if _verdict(analyses[name].metrics) == "passes"]
    lines = [
        "# fxbot variant sweep",
        "",
        f"{len(ranking)} variants over the same periods, each a trial on record ({on_record} trials in "
        f"`{trials_file}`). Ranked by pooled accuracy minus always-buy's accuracy on the same calls (each variant "
        "scored on its own target). The p-values are Holm-adjusted over every variant, pair and test of the run; "
        "the Deflated Sharpe counts every trial on record.",
        "",
        "| rank | variant | features | target | units | calls | accuracy | always buy | edge (points) "
        "| PT p (Holm) | McNemar p (Holm) | Sharpe | DSR | gate |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for rank, (name, h) in enumerate(ranking, start=1):
        metrics = analyses[name].metrics
        v = metrics.variant
        units = v.units or "default"
        pooled = metrics.skill.pooled if metrics.skill else None
        features = "per period, from earlier periods" if v.selection else v.features
        lines.append(
            f"| {rank} | [{name}]({name}/report.md) | {features} | {v.target} | {units} | {h.calls} | "
            f"{_pct(h.accuracy, 1)} | {_pct(h.always_buy_accuracy, 1)} | "
            f"{h.edge_vs_always_buy * 100:+.1f} | {_p(_unset_nan(pooled.pt_p_holm) if pooled else math.nan)} | "
            f"{_p(_unset_nan(pooled.mcnemar_p_holm) if pooled else math.nan)} | {h.sharpe:.2f} | "
            f"{pooled.dsr if pooled else math.nan:.2f} | {_verdict(metrics)} |"
        )
    if passing:
        verdict_line = (
            f"**{', '.join(passing)} beats always-buy after correction** (PT or McNemar p < 0.01 after Holm, "
            "Deflated Sharpe at least 0.95): a candidate for the shipped models."
        )
    else:
        raw = (
            f" Raw accuracy above always-buy's ({', '.join(raw_winners)}) is not significant after correction."
            if raw_winners
            else ""
        )
        verdict_line = f"**None of the {len(ranking)} variants beats always-buy after correction.**{raw}"
    lines += [
        "",
        verdict_line,
        "",
        "Sharpe: annualised, daily P/L of the vote net of each pair's cost, rollover included, pairs added "
        "(an h-day call is held h days in 1/h tranches).",
        "",
    ]
    lines += _selection_lines(analyses)
    return "\n".join(lines)


def _selection_lines(analyses: dict[str, Analysis]) -> list[str]:
    """The per-period choices of the selected series, with the edges they were chosen on."""
    chosen = next((a.metrics.variant for a in analyses.values() if a.metrics.variant.selection), None)
    if chosen is None or chosen.selection is None:
        return []
    lines = [
        f"## {chosen.name}: the best variant, chosen without hindsight",
        "",
        "In each period, the calls of the variant with the largest edge over always-buy (pooled accuracy minus "
        "the share of up days) on all earlier periods; the first period takes the first variant of the file. "
        f"Only variants with the target {chosen.target} compete. This is what picking the best variant "
        "would have earned, and it is a trial on record like the others.",
        "",
        "| period | chosen | edge of each competitor before it (points) |",
        "|---|---|---|",
    ]
    for row in chosen.selection:
        edges = ", ".join(f"{n} {e * 100:+.1f}" for n, e in row.edges_before.items()) or "no earlier period"
        lines.append(f"| {row.period} | {row.chosen} | {edges} |")
    return [*lines, ""]


def write_variants_report(
    ranking: list[tuple[str, Headline]],
    analyses: dict[str, Analysis],
    on_record: int,
    trials_file: str,
    folder: Path,
) -> Path:
    """Write variants.md and variants.json (the ranking) to ``folder``; return variants.md's path."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = [
        {"variant": name, **msgspec.to_builtins(analyses[name].metrics.variant), **msgspec.to_builtins(h)}
        for name, h in ranking
    ]
    atomic_write_text(folder / "variants.json", to_json({"ranking": payload, "trials_on_record": on_record}))
    atomic_write_text(folder / "variants.md", render_variants(ranking, analyses, on_record, trials_file))
    return folder / "variants.md"


def draw_charts(analysis: Analysis, folder: Path) -> None:
    """equity.png, pnl_blocks.png and rolling_accuracy.png."""
    opts = analysis.metrics.options
    fig, ax = plt.subplots(figsize=(10, 5))
    for name, s in analysis.series.items():
        ax.plot(s.dates, stats.equity_curve(s.pnl), label=name, linewidth=2 if name == "portfolio" else 1)
    ax.set_title("Equity (multiple of starting equity; fixed notional, net of cost)")
    ax.axhline(1.0, color="grey", linewidth=0.5)
    ax.legend()
    _save_png(fig, folder / "equity.png")

    fig, ax = plt.subplots(figsize=(8, 5))
    blocks = analysis.blocks * 100
    b = analysis.metrics.portfolio.pnl.blocks
    ax.hist(blocks, bins=max(5, min(40, len(blocks) // 3)), color="steelblue")
    for v, style, label in (
        (b.low, "-", f"{opts.confidence:.1%} interval"),
        (b.high, "-", None),
        (b.mean, ":", "mean"),
    ):
        if v is not None and not math.isnan(v):
            ax.axvline(v * 100, color="red", linestyle=style, label=label)
    ob = ORIGINAL_BLOCK20
    ax.axvline(ob["low"] * 100, color="grey", linestyle="--", label="original interval")
    ax.axvline(ob["high"] * 100, color="grey", linestyle="--")
    ax.set_xlabel(f"portfolio P/L over {opts.horizon_days} trading days, % of equity")
    ax.set_ylabel("blocks")
    ax.legend()
    _save_png(fig, folder / "pnl_blocks.png")

    window = 60
    fig, ax = plt.subplots(figsize=(10, 5))
    for name, s in analysis.series.items():
        if s.hits is not None and len(s.hits) >= window:
            ax.plot(s.dates[window - 1 :], stats.rolling_accuracy(s.hits, window) * 100, label=name, linewidth=1)
    low, high = stats.random_band(window, opts.random_band_level)
    ax.axhspan(low * 100, high * 100, color="grey", alpha=0.2, label=f"random {opts.random_band_level:.0%} band")
    ax.axhline(50, color="grey", linewidth=0.5)
    ax.set_title(f"Rolling {window}-call directional accuracy of the vote, %")
    ax.legend()
    _save_png(fig, folder / "rolling_accuracy.png")


def write_report(analysis: Analysis, folder: Path) -> Path:
    """Write report.md, metrics.json and the charts to ``folder``; return report.md's path."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "metrics.json", to_json(analysis.metrics))
    draw_charts(analysis, folder)
    atomic_write_text(folder / "report.md", render_markdown(analysis.metrics))
    return folder / "report.md"


def risk_section(metrics: Metrics) -> list[str]:
    """Risk from history: following the calls' 20-day tail, the stress windows, the VaR backtest, the calibration."""
    lines: list[str] = []
    tail = metrics.portfolio.pnl.tail
    blocks = metrics.portfolio.pnl.blocks
    if tail:
        lines += [
            "",
            "## Risk from history",
            "",
            f"Following the calls at the configured leverages (gross {tail.gross_leverage:.2f}x), over "
            f"{tail.windows} overlapping {tail.days}-day windows from {tail.first_day} to {tail.last_day}: "
            f"the {tail.confidence:.1%} loss is {_pct(tail.loss_jpy, 1)} of equity, the mean loss beyond it "
            f"(expected shortfall) {_pct(tail.shortfall_jpy, 1)}, and the worst {tail.days} days lost "
            f"{_pct(tail.worst_jpy, 1)} ({tail.worst_start} to {tail.worst_end}). The normal curve "
            f"(mean - z std of non-overlapping blocks) says {_pct(-blocks.low, 1)}: it is shown for "
            "comparison only. Posts give the larger of this figure and today's book over every past window "
            "(`fxbot/risk.py`).",
        ]
    stress = metrics.stress_windows
    if stress:
        lines += [
            "",
            "### Stress windows",
            "",
            "P/L as a fraction of equity, close to close: following the calls, and always long at the same leverages.",
            "",
            "| window | from | to | following the calls | always long |",
            "|---|---|---|---:|---:|",
        ]
        for w in stress:
            calls = "n/a" if w.calls_pnl is None else _pct(w.calls_pnl, 1, True)
            lines.append(f"| {w.name} | {w.start} | {w.end} | {calls} | {_pct(w.always_long_pnl, 1, True)} |")
    var = metrics.var_backtest
    if var:
        lines += [
            "",
            "### VaR backtest",
            "",
            "Each day's figure as it would have been posted that day (bars and calls up to that day only), against the "
            "loss of following the calls: the next day for the 1-day figure, the next 20 days for the 20-day one "
            "(every 20th day, so that outcomes do not overlap; the overlapping count beside it).",
            "",
            "| figure | days | exceedances | expected | Kupiec p | Christoffersen p (independence) | zone |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for e in var.entries():
            over = (
                f" ({e.exceedances_overlapping} of {e.observations_overlapping} overlapping)"
                if e.exceedances_overlapping is not None
                else ""
            )
            lines.append(
                f"| {e.label} | {e.observations} | {e.exceedances}{over} | {e.expected:.1f} | "
                f"{_p(e.kupiec.p_value)} | {_p(e.christoffersen.p_value)} | {e.traffic_light} |"
            )
    cal = metrics.calibration
    if cal:
        lines += [
            "",
            f"## Leverage calibration on the real tails (budget {_pct(cal.max_loss, 0)} of equity over "
            f"{cal.horizon} days, {cal.windows} windows)",
            "",
            f"At the configured leverages the {cal.confidence:.1%} {cal.horizon}-day loss from history is "
            f"{_pct(cal.loss, 1)} and the worst window {_pct(cal.worst, 1)} ({cal.worst_window[0]} to "
            f"{cal.worst_window[1]}). Scaling the mix by {_num(cal.scale)} keeps the {cal.confidence:.1%} "
            f"loss within budget, by {_num(cal.scale_worst)} the worst window; the normal curve proposed "
            f"{_num(cal.normal_scale)}"
            + (f", {cal.normal_overstates_by:.2f}x too much." if cal.normal_overstates_by else "."),
            "",
            "| pair | configured | 99.9 % loss within budget | worst window within budget | "
            "most it could carry alone |",
            "|---|---:|---:|---:|---:|",
        ]
        for pair in cal.pairs:
            lines.append(
                f"| {pair} | {cal.configured[pair]:.2f} | {_num(cal.proposed[pair])} | "
                f"{_num(cal.proposed_worst[pair])} | {_num(cal.alone[pair])} |"
            )
        lines += [
            "",
            "In-sample to the backtest: the tails are measured on the same windows the scale is fitted to. The "
            "shipped leverages stay the default; posts say by how much their loss exceeds the budget.",
        ]
    return lines


def _num(value: float | None) -> str:
    return "no limit" if value is None else f"{value:.2f}"


def _unset_nan(value: float | UnsetType) -> float:
    """A Holm-adjusted p, NaN before the gate set it."""
    return math.nan if isinstance(value, UnsetType) else value


def _verdict(metrics: Metrics) -> str:
    """The gate's word on a variant for the ranking: passes, fails, or n/a (no gate ran)."""
    if not metrics.gate:
        return "n/a"
    return "passes" if metrics.gate.verdict.passes else "fails"
