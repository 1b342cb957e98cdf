"""The backtest's results as types: what ``analyze`` computes, the checks ``run`` adds, what the report reads.

One ``Metrics`` per variant travels from ``analysis`` (the core figures) through ``run`` (calibration,
the VaR backtest, stress windows, the look-ahead check, the ledger, the skill evidence and the
gate) to ``report``, which renders report.md from it and writes it as metrics.json. The field
order of each Struct is the key order of metrics.json; a section a run did not compute is
``UNSET`` and so absent from the file (``None`` is written as null). Floats may be NaN (written as
null). Leaves: msgspec and the statistics' own records (``BlockStats``, ``SkillSummary``...).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import numpy as np
from msgspec import UNSET, Struct, UnsetType

from fxbot.backtest.stats import BlockStats
from fxbot.signals import TailLoss


class Accuracy(Struct):
    """Accuracy of a set of calls: hits, calls, the exact two-sided p against 50 %, the random guesser's band."""

    accuracy: float
    hits: int
    calls: int
    p_value: float
    band: list[float]


class CallsTail(TailLoss, frozen=True):
    """Following the calls, from history: the rolling loss quantile, its shortfall and the worst window
    (``signals.TailLoss``'s fields, in its order), and the gross leverage they were taken at."""

    gross_leverage: float


class Risk(Struct):
    """Daily P/L totals, horizon blocks (non-overlapping and rolling), drawdown and Sharpe (the portfolio: the tail)."""

    total: float
    mean_daily: float
    blocks: BlockStats
    rolling_blocks: BlockStats
    max_drawdown: float
    sharpe: float
    tail: CallsTail | UnsetType | None = UNSET


class Rollover(Struct):
    """Rollover earned by the vote, and the days (and months) without rates."""

    total: float
    days_with_rates: int
    days_without_rates: int
    months_without_rates: list[str]


class AlwaysBuyPnl(Struct):
    """Always-buy held as one position (cost once), carry included: the drift-and-carry benchmark."""

    total: float
    sharpe: float
    rollover_total: float


class PairMetrics(Struct, kw_only=True):
    """Every figure of one pair. The P/L under the other cost rule is one of the two ``pnl_total_cost_*``."""

    pair: str
    first_day: str | None
    last_day: str | None
    leverage: float
    cost_pips: float
    target_days: int
    vote: Accuracy
    members: list[Accuracy]
    baselines: dict[str, Accuracy]
    share_up_days: float
    pnl: Risk
    pnl_gross_total: float
    pnl_total_cost_on_change: float | UnsetType = UNSET
    pnl_total_cost_every_day: float | UnsetType = UNSET
    rollover: Rollover
    always_buy_pnl: AlwaysBuyPnl
    direction_changes: int

    def other_cost_totals(self) -> dict[str, float]:
        """The P/L total under the cost rule not used, by the rule's name."""
        pairs = (("on_change", self.pnl_total_cost_on_change), ("every_day", self.pnl_total_cost_every_day))
        return {rule: value for rule, value in pairs if not isinstance(value, UnsetType)}


class OptionsRecord(Struct):
    """How P/L and risk were counted (``analysis.Options`` as recorded)."""

    leverage: dict[str, float]
    cost_pips: dict[str, float]
    cost_charged: str
    rollover_markup: float
    rates: dict[str, tuple[str, str] | None] | None
    horizon_days: int
    confidence: float
    z: float
    random_band_level: float


class PeriodRecord(Struct):
    """One retrain period: its label and first and last decision day (ISO dates)."""

    label: str
    start: str
    end: str


class Portfolio(Struct):
    """The pairs together: pooled accuracy, hits, the summed daily P/L's risk, the number of days."""

    vote_pooled: Accuracy
    hits_total: int
    pnl: Risk
    days: int


class Correlation(Struct):
    """Correlation of the pairs' daily P/L on their common days."""

    pairs: list[str]
    matrix: list[list[float]]


class OriginalFigures(Struct):
    """The figures of the original analysis the product was built on (the seed), as quoted in the issue."""

    window: list[str]
    accuracy: float
    calls: int
    band: list[float]
    block20: dict[str, float]


class Comparison(Struct):
    """fxbot's calls on the original analysis's window, beside the original's figures."""

    window: list[str]
    original: OriginalFigures
    pairs: dict[str, Accuracy]
    pooled: Accuracy
    band_for_original_calls: list[float]


class TrainingRecord(Struct, kw_only=True):
    """What one task's training looked like (walkforward.json's and metrics.json's training log)."""

    pair: str
    period: str
    train_start: str
    train_end: str
    history_bars: int | UnsetType = UNSET  # absent from walk-forwards saved before it was recorded
    samples_train: int
    samples_validation: int
    purged: int | UnsetType = UNSET
    val_accuracy: list[float]
    epochs_trained: list[int]
    seconds: float
    fit_seconds: float | UnsetType = UNSET


class WalkForwardRecord(Struct):
    """Wall time, workers, executor and the per-task training log of the walk-forward."""

    seconds: float
    workers: int
    executor: str
    training: list[TrainingRecord]


class Choice(Struct):
    """One period of the per-period selection: the variant chosen and every competitor's edge before it."""

    period: str
    chosen: str
    edges_before: dict[str, float]


class VariantRecord(Struct):
    """The variant behind the calls (a selection: the choices it made)."""

    name: str
    features: str
    target: str
    target_days: int
    units: int | None
    selection: list[Choice] | None


class Kupiec(Struct):
    """Kupiec's proportion-of-failures likelihood ratio and its chi-squared(1) p-value."""

    lr: float
    p_value: float


class Christoffersen(Struct):
    """Christoffersen's independence (chi-squared(1)) and conditional coverage (chi-squared(2)) tests."""

    lr_ind: float
    p_value: float
    lr_cc: float
    p_value_cc: float


class VarEntry(Struct):
    """One posted loss figure backtested: exceedances against the expected count, Kupiec, Christoffersen, the zone.

    The overlapping counts are None when every day is tested (no thinning)."""

    label: str
    probability: float
    observations: int
    exceedances: int
    expected: float
    exceedances_overlapping: int | None
    observations_overlapping: int | None
    kupiec: Kupiec
    christoffersen: Christoffersen
    traffic_light: str
    mean_figure: float


class VarBacktest(Struct):
    """The 1-day figure, the horizon figure from history and the normal-curve figure, each backtested."""

    one_day: VarEntry
    twenty_day: VarEntry
    twenty_day_normal: VarEntry

    def entries(self) -> list[VarEntry]:
        """The three, in the file's order."""
        return [self.one_day, self.twenty_day, self.twenty_day_normal]


class StressWindow(Struct):
    """A named stress window: following the calls over it (None: no call in it) and always long."""

    name: str
    start: str
    end: str
    calls_pnl: float | None
    calls_days: int
    always_long_pnl: float


class CalibrationRecord(Struct):
    """Leverage calibration on the real tails (``calibrate.Calibration``; an infinite scale is written as None)."""

    pairs: list[str]
    configured: dict[str, float]
    loss: float
    shortfall: float
    worst: float
    worst_window: list[str]
    scale: float | None
    proposed: dict[str, float | None]
    scale_worst: float | None
    proposed_worst: dict[str, float | None]
    alone: dict[str, float | None]
    normal_scale: float | None
    normal_overstates_by: float | None
    max_loss: float
    horizon: int
    confidence: float
    windows: int


class PairHeadline(Struct):
    """One pair's accuracy beside always-buy's on the same calls."""

    accuracy: float
    always_buy_accuracy: float


class Headline(Struct):
    """The figures a trial is recorded with: pooled accuracy, always-buy on the same calls, Sharpe, calls."""

    accuracy: float
    always_buy_accuracy: float
    edge_vs_always_buy: float
    sharpe: float
    calls: int
    per_pair: dict[str, PairHeadline]


class LookaheadRecord(Struct):
    """One sampled call recomputed with the data cut at its day."""

    pair: str
    day: str
    period: str
    max_difference: float
    same: bool


class TrialsRecord(Struct):
    """The trials ledger as this report saw it: its file, the trials on record, the numbers this run added."""

    file: str
    on_record: int
    this_run: list[int]


class Verdict(Struct):
    """The promotion gate's verdict on one variant, and why it fails."""

    passes: bool
    reasons: list[str]


class SkillSummary(Struct):
    """Headline figures of one variant over the pooled calls (all pairs), for the report
    (``skill.summary.skill_summary`` computes them).

    p-values are one-sided ("the vote is better") and uncorrected: apply ``holm`` across the family.
    McNemar and Pesaran-Timmermann treat calls as independent; ``clustered_p`` does not (it clusters
    by date) and is the one to trust when pairs move together. Sharpe, DSR and SPA use the portfolio's
    daily P/L (all pairs' P/L summed per date); Diebold-Mariano compares daily mean Brier losses of
    the probabilities with climatology's.
    """

    n: int
    days: int
    accuracy: float
    accuracy_se: float
    always_buy_accuracy: float
    mcnemar_p: float
    pt_statistic: float
    pt_p: float
    difference: float
    difference_se: float
    clustered_p: float
    brier: float
    brier_skill: float
    log_loss_skill: float
    dm_p: float
    sharpe: float
    sharpe_se: float
    dsr: float
    n_trials: int
    spa_p: float
    # Multi-day targets: mcnemar_p and pt_p above are HAC (Newey-West, lag horizon - 1, summed per day);
    # the iid figures are kept beside them. 0 lags: one-day targets, the iid tests.
    hac_lags: int = 0
    mcnemar_p_iid: float = float("nan")
    pt_p_iid: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for metrics.json."""
        return msgspec.structs.asdict(self)


class SkillRow(SkillSummary, kw_only=True):
    """A ``SkillSummary`` of one scope (pooled or a pair), its baselines, and Holm's p (set after the gate)."""

    baselines: dict[str, float]
    mcnemar_p_holm: float | UnsetType = UNSET
    pt_p_holm: float | UnsetType = UNSET


class YearRecord(Struct):
    """One calendar year of calls (``skill.periods.YearRow``)."""

    year: int
    calls: int
    accuracy: float
    always_buy_accuracy: float
    difference: float
    pnl: float
    always_buy_pnl: float


class SkillEvidence(Struct, kw_only=True):
    """Skill against drift for one variant: pooled and per pair, the yearly table, power, trials; the verdict."""

    pooled: SkillRow
    pairs: dict[str, SkillRow]
    yearly: list[YearRecord]
    power: str
    n_trials: int
    gate: Verdict | UnsetType = UNSET


class FamilySpa(Struct):
    """One SPA over every variant of the run: the p that the best beats both benchmarks, and each benchmark's."""

    variants: list[str]
    days: int
    p: float
    against: dict[str, float]
    studentized: bool = True


class Gate(Struct, kw_only=True):
    """The gate's settings for the run and this variant's verdict."""

    family_size: int
    alpha: float
    dsr_min: float
    family_spa: FamilySpa | UnsetType | None = UNSET
    verdict: Verdict


class Metrics(Struct, kw_only=True):
    """metrics.json: the core figures of ``analyze``, then the sections ``run`` adds (absent when not computed)."""

    generated: str
    options: OptionsRecord
    periods: list[PeriodRecord]
    pairs: dict[str, PairMetrics]
    portfolio: Portfolio
    correlation: Correlation
    comparison_2013_2017: Comparison | None
    walk_forward: WalkForwardRecord
    variant: VariantRecord
    headline: Headline
    calibration: CalibrationRecord | UnsetType = UNSET
    var_backtest: VarBacktest | UnsetType = UNSET
    stress_windows: list[StressWindow] | UnsetType = UNSET
    lookahead: list[LookaheadRecord] | UnsetType = UNSET
    trials: TrialsRecord | UnsetType = UNSET
    skill: SkillEvidence | UnsetType = UNSET
    gate: Gate | UnsetType = UNSET


def _builtin(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(value: Any) -> str:
    """``value`` (Structs, dataclasses, builtins) as indented JSON with NaN written as null, as every report file."""
    text = json.dumps(msgspec.to_builtins(value, enc_hook=_builtin), indent=1, allow_nan=True)
    return text.replace("NaN", "null")
