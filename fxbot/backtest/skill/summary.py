"""``skill_summary``: every headline test of one variant over the pooled calls, as one record."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from fxbot.backtest.results import SkillSummary
from fxbot.backtest.skill.arrays import (
    TRADING_DAYS_PER_YEAR,
    FloatArray,
    as_bool,
    as_float,
    call_hits,
    same_length,
)
from fxbot.backtest.skill.paired import mcnemar_hac, mcnemar_test, pesaran_timmermann, pesaran_timmermann_hac
from fxbot.backtest.skill.pooled import pooled_accuracy, pooled_hit_difference
from fxbot.backtest.skill.scores import brier_losses, brier_skill, climatology_per_call, diebold_mariano, log_loss_skill
from fxbot.backtest.skill.sharpe import deflated_sharpe, sharpe_with_se, spa_against_benchmarks


def _per_day(codes: npt.NDArray[np.intp], days: int, values: FloatArray, how: Literal["sum", "mean"]) -> FloatArray:
    totals: FloatArray = np.bincount(codes, weights=values, minlength=days).astype("float64")
    if how == "mean":
        totals = totals / np.bincount(codes, minlength=days)
    return totals


def skill_summary(
    dates: np.ndarray,
    pair: np.ndarray,
    direction: np.ndarray,
    up: np.ndarray,
    probability: np.ndarray | None,
    pnl: np.ndarray,
    always_buy_pnl: np.ndarray,
    trend_pnl: np.ndarray,
    n_trials: int,
    trial_sharpes: np.ndarray,
    *,
    climatology: float | np.ndarray | None = None,
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
    spa_reps: int = 1000,
    seed: int | None = None,
    horizon: int = 1,
) -> SkillSummary:
    """Every headline test of one variant from per-call arrays (one entry per pair and date).

    ``probability`` is the vote's P(up) (e.g. the members' mean; None skips the scores), and
    ``climatology`` the training-period share of up days (a number or one per call), required with it.
    ``always_buy_pnl`` and ``trend_pnl`` are the baselines' P/L on the same calls; ``n_trials`` and
    ``trial_sharpes`` (annualised) come from the trials ledger.
    """
    day_keys = np.asarray(dates, dtype="datetime64[D]")
    pairs = np.asarray(pair).astype(str)
    d = np.asarray(direction)
    n = same_length(dates=day_keys, pair=pairs, direction=d, up=up, probability=probability, pnl=pnl)
    same_length(pnl=pnl, always_buy_pnl=always_buy_pnl, trend_pnl=trend_pnl)
    if n == 0:
        raise ValueError("no calls to summarise")
    if len(np.unique(np.char.add(day_keys.astype(str), pairs))) != n:
        raise ValueError("each (date, pair) must appear once; drop the duplicated calls")
    days, codes = np.unique(day_keys, return_inverse=True)
    codes = codes.ravel()
    buy = np.ones(n, dtype=int)

    hits, ab_hits = call_hits(d, up), as_bool(up)
    mcnemar = mcnemar_test(hits, ab_hits)
    timing = pesaran_timmermann(d, up)
    iid = (mcnemar.p_value, timing.p_value)
    if horizon > 1:  # overlapping targets: the iid tests overstate the evidence (h - 1 days shared)
        mcnemar = mcnemar_hac(hits, ab_hits, horizon - 1, day_keys)
        timing = pesaran_timmermann_hac(d, up, horizon - 1, day_keys)
    diff = pooled_hit_difference(d, buy, up, day_keys)

    nan = math.nan
    brier = bss = lls = dm_p = nan
    if probability is not None:
        if climatology is None:
            raise ValueError("scores need the climatology: the training-period share of up days")
        prob = as_float(probability)
        bs = brier_skill(prob, up, climatology)
        brier, bss = bs.score, bs.skill
        lls = log_loss_skill(prob, up, climatology).skill
        clim = climatology_per_call(climatology, n)
        model_loss = _per_day(codes, len(days), brier_losses(prob, up), "mean")
        clim_loss = _per_day(codes, len(days), brier_losses(clim, up), "mean")
        dm_p = diebold_mariano(model_loss, clim_loss).p_value

    daily = _per_day(codes, len(days), as_float(pnl), "sum")
    daily_ab = _per_day(codes, len(days), as_float(always_buy_pnl), "sum")
    daily_trend = _per_day(codes, len(days), as_float(trend_pnl), "sum")
    sharpe = sharpe_with_se(daily, periods_per_year)
    dsr = deflated_sharpe(daily, n_trials, trial_sharpes, periods_per_year)
    spa_p, _ = spa_against_benchmarks(daily, {"always_buy": daily_ab, "trend": daily_trend}, reps=spa_reps, seed=seed)
    return SkillSummary(
        n=n,
        days=len(days),
        accuracy=float(hits.mean()),
        accuracy_se=pooled_accuracy(d, up, day_keys, float(ab_hits.mean())).se,
        always_buy_accuracy=float(ab_hits.mean()),
        mcnemar_p=mcnemar.p_value,
        pt_statistic=timing.statistic,
        pt_p=timing.p_value,
        difference=diff.mean,
        difference_se=diff.se,
        clustered_p=diff.p_value,
        brier=brier,
        brier_skill=bss,
        log_loss_skill=lls,
        dm_p=dm_p,
        sharpe=sharpe.sharpe,
        sharpe_se=sharpe.se,
        dsr=dsr.dsr,
        n_trials=n_trials,
        spa_p=spa_p,
        hac_lags=max(0, horizon - 1),
        mcnemar_p_iid=iid[0],
        pt_p_iid=iid[1],
    )
