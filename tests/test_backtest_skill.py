"""Skill statistics (fxbot.backtest.skill) against values computed by hand or quoted from the papers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from fxbot.backtest.skill.paired import mcnemar_hac, mcnemar_test, pesaran_timmermann, pesaran_timmermann_hac
from fxbot.backtest.skill.periods import power_statement, yearly_table
from fxbot.backtest.skill.pooled import clustered_mean_test, holm, pooled_accuracy, pooled_hit_difference
from fxbot.backtest.skill.scores import brier_skill, diebold_mariano, log_loss_skill
from fxbot.backtest.skill.sharpe import (
    deflated_sharpe,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    sharpe_standard_error,
    sharpe_with_se,
    spa_against_benchmarks,
    spa_test,
)
from fxbot.backtest.skill.summary import skill_summary

from .conftest import REPO

# --- McNemar -------------------------------------------------------------------------------------


def test_mcnemar_exact_on_the_discordant_calls() -> None:
    # 15 calls: A right and B wrong on 8, A wrong and B right on 2, both right on 5 (ignored).
    a = np.array([1] * 8 + [0] * 2 + [1] * 5, bool)
    b = np.array([0] * 8 + [1] * 2 + [1] * 5, bool)
    r = mcnemar_test(a, b)
    assert (r.n, r.only_a, r.only_b) == (15, 8, 2)
    # one-sided: P(X >= 8 | Bin(10, 1/2)) = (C(10,8) + C(10,9) + C(10,10)) / 1024 = (45 + 10 + 1) / 1024
    assert r.p_value == pytest.approx(56 / 1024)
    # two-sided: 2 x 56 / 1024, the same as statsmodels' exact McNemar on the 2x2 table
    from statsmodels.stats.contingency_tables import mcnemar

    two = mcnemar_test(a, b, "two-sided").p_value
    assert two == pytest.approx(112 / 1024)
    assert two == pytest.approx(mcnemar([[5, 8], [2, 0]], exact=True).pvalue)
    # A that is worse: P(X >= 2 | Bin(10, 1/2)) = 1 - 11/1024
    assert mcnemar_test(b, a).p_value == pytest.approx(1 - 11 / 1024)
    # no discordant call: no evidence of a difference
    assert mcnemar_test(a, a).p_value == 1.0


# --- Pesaran-Timmermann --------------------------------------------------------------------------


def test_pesaran_timmermann_balanced_example() -> None:
    # y (up) = 1 1 1 1 0 0 0 0, x (BUY) = 1 1 1 0 0 0 0 1: P = 6/8, Py = Px = 1/2, P* = 1/4 + 1/4 = 1/2
    # V(P) = (1/2)(1/2)/8 = 1/32; V(P*) = 0 + 0 + 4 (1/16) / 64 = 1/256; V(P) - V(P*) = 7/256
    # PT = (3/4 - 1/2) / sqrt(7/256) = 4 / sqrt(7) = 1.5119; p = 1 - Phi(1.5119) = 0.0653
    up = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    direction = np.array([1, 1, 1, -1, -1, -1, -1, 1])
    r = pesaran_timmermann(direction, up)
    assert (r.hit_rate, r.expected_hit_rate) == (0.75, 0.5)
    assert r.statistic == pytest.approx(4 / math.sqrt(7))
    assert r.p_value == pytest.approx(0.06529, abs=1e-5)


def test_pesaran_timmermann_unequal_rates() -> None:
    # y = 1x6 then 0x4 (Py = .6); x = 1x5, 0, 0, 0, 1, 1 (Px = .7); hits: 5 + 0 + 2 + 0 = 7, P = .7
    # P* = .6 x .7 + .4 x .3 = .54;  V(P) = .54 x .46 / 10 = .02484
    # V(P*) = .2^2 x .7 x .3 / 10 + .4^2 x .6 x .4 / 10 + 4 x .6 x .7 x .4 x .3 / 100 = .00084 + .00384 + .002016
    # PT = (.7 - .54) / sqrt(.02484 - .006696) = .16 / sqrt(.018144) = 1.18783
    up = np.array([1] * 6 + [0] * 4, bool)
    direction = np.array([1] * 5 + [-1, -1, -1, 1, 1])
    r = pesaran_timmermann(direction, up)
    assert r.hit_rate == pytest.approx(0.7) and r.expected_hit_rate == pytest.approx(0.54)
    assert r.statistic == pytest.approx(0.16 / math.sqrt(0.018144))
    assert r.p_value == pytest.approx(sps.norm.sf(0.16 / math.sqrt(0.018144)))


def test_pesaran_timmermann_always_buy_has_no_timing() -> None:
    # 70 % up days: always-buy is 70 % accurate, but its forecast is constant: the test is undefined.
    r = pesaran_timmermann(np.ones(10, int), np.array([1] * 7 + [0] * 3, bool))
    assert r.hit_rate == pytest.approx(0.7) and math.isnan(r.statistic) and math.isnan(r.p_value)
    with pytest.raises(ValueError, match="directions"):
        pesaran_timmermann(np.array([1, 0]), np.array([True, False]))


# --- Date-clustered pooled figures ---------------------------------------------------------------


def test_clustered_mean_by_hand() -> None:
    # hits 1 1 | 0 1 | 1 on days a a | b b | c: mean .8, residuals .2 .2 | -.8 .2 | .2
    # cluster sums .4, -.6, .2; sum of squares .16 + .36 + .04 = .56; sandwich .56 / 5^2 = .0224
    # statsmodels' correction G/(G-1) x (N-1)/(N-K) = 3/2 x 4/4: variance .0336, se = .18330
    r = clustered_mean_test(np.array([1, 1, 0, 1, 1.0]), np.array(["a", "a", "b", "b", "c"]), null=0.5)
    assert (r.n, r.clusters, r.mean) == (5, 3, 0.8)
    assert r.se == pytest.approx(math.sqrt(0.0336))
    assert r.z == pytest.approx(0.3 / math.sqrt(0.0336))  # 1.6366
    assert r.p_value == pytest.approx(sps.norm.sf(1.6366341767699442))
    two = clustered_mean_test(np.array([1, 1, 0, 1, 1.0]), np.array([1, 1, 2, 2, 3]), 0.5, "two-sided")
    assert two.p_value == pytest.approx(2 * r.p_value)
    # one value per cluster is the plain mean with sd / sqrt(n) x sqrt(G / (G - 1)) = sample sd / sqrt(n)
    x = np.array([1.0, 0.0, 1.0, 1.0])
    assert clustered_mean_test(x, np.arange(4)).se == pytest.approx(x.std(ddof=1) / 2)


def test_pooled_accuracy_and_difference_against_always_buy() -> None:
    # two days, three pairs each. Day 1: all up, vote BUY BUY SELL; day 2: all down, vote SELL SELL BUY.
    dates = np.array(["2020-01-02"] * 3 + ["2020-01-03"] * 3, dtype="datetime64[D]")
    up = np.array([1, 1, 1, 0, 0, 0], bool)
    vote = np.array([1, 1, -1, -1, -1, 1])
    acc = pooled_accuracy(vote, up, dates, baseline_rate=0.5)
    assert acc.mean == pytest.approx(4 / 6) and acc.clusters == 2
    # residuals day 1: 1/3 1/3 -2/3 (sum 0); day 2 the same (sum 0): the clustered se is 0 -> NaN p
    assert acc.se == pytest.approx(0.0) and math.isnan(acc.p_value)
    # vote - always-buy: day 1: 0 0 -1, day 2: 1 1 0 -> mean 1/6; residuals -1/6 -1/6 -7/6 | 5/6 5/6 -1/6
    # cluster sums -3/2, 3/2; sandwich (9/4 + 9/4) / 36 = 1/8; x G/(G-1) = 2 -> variance 1/4, se 1/2
    diff = pooled_hit_difference(vote, np.ones(6, int), up, dates)
    assert diff.mean == pytest.approx(1 / 6) and diff.se == pytest.approx(0.5)
    assert diff.p_value == pytest.approx(sps.norm.sf(1 / 3))


# --- Holm ----------------------------------------------------------------------------------------


def test_holm_step_down_by_hand() -> None:
    # sorted .01 .03 .04 -> x3, x2, x1: .03, .06, .04 -> running max: .03, .06, .06; NaN stays out
    adjusted, reject = holm(np.array([0.01, 0.04, 0.03, np.nan]), alpha=0.05)
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, np.nan])
    assert reject.tolist() == [True, False, False, False]
    adjusted, reject = holm(np.array([0.004, 0.002]), alpha=0.01)  # .002 x 2 = .004, .004 x 1
    np.testing.assert_allclose(adjusted, [0.004, 0.004])
    assert reject.all()
    assert holm(np.array([np.nan]))[0].tolist() != [0.0]


# --- Scores and Diebold-Mariano ------------------------------------------------------------------


def test_brier_and_log_loss_skill_against_climatology() -> None:
    p, up = np.array([0.8, 0.4, 0.6]), np.array([True, False, False])
    # Brier: (.2^2 + .4^2 + .6^2) / 3 = .56 / 3; climatology .5: .25 each; BSS = 1 - (.56/3) / .25
    b = brier_skill(p, up, 0.5)
    assert b.score == pytest.approx(0.56 / 3) and b.reference == pytest.approx(0.25)
    assert b.skill == pytest.approx(1 - 0.56 / 3 / 0.25)  # 0.2533
    # log-loss: (-ln .8 - ln .6 - ln .4) / 3 = (.22314 + .51083 + .91629) / 3 = .55009; reference ln 2
    ll = log_loss_skill(p, up, 0.5)
    assert ll.score == pytest.approx((-math.log(0.8) - math.log(0.6) - math.log(0.4)) / 3)
    assert ll.skill == pytest.approx(1 - ll.score / math.log(2))
    # independently: scikit-learn's means
    from sklearn.metrics import brier_score_loss, log_loss

    assert b.score == pytest.approx(brier_score_loss(up, p)) and ll.score == pytest.approx(log_loss(up, p))
    # per-call climatology: 0.6 on the first call, 0.5 on the others: (.4^2 + .25 + .25) / 3
    assert brier_skill(p, up, np.array([0.6, 0.5, 0.5])).reference == pytest.approx(0.66 / 3)
    with pytest.raises(ValueError, match="climatology"):
        brier_skill(p, up, 1.0)


def test_diebold_mariano_one_step_by_hand() -> None:
    # d = benchmark - model = 1 2 3 2: mean 2, g0 = (1 + 0 + 1 + 0) / 4 = .5, var(mean) = .5 / 4
    # DM = 2 / sqrt(.125) = 5.657; HLN: x sqrt((4 + 1 - 2 + 0) / 4) = 4.899; t(3) upper tail = 0.00814
    r = diebold_mariano(np.zeros(4), np.array([1.0, 2.0, 3.0, 2.0]))
    assert r.mean_difference == 2.0
    assert r.statistic == pytest.approx(2 / math.sqrt(0.125) * math.sqrt(0.75))
    assert r.p_value == pytest.approx(0.0081383, abs=1e-7)
    # the model worse instead: the same statistic, negated
    worse = diebold_mariano(np.array([1.0, 2.0, 3.0, 2.0]), np.zeros(4))
    assert worse.statistic == pytest.approx(-r.statistic) and worse.p_value == pytest.approx(1 - r.p_value)


def test_diebold_mariano_two_step_newey_west_by_hand() -> None:
    # d = 1 3 2 4: mean 2.5, deviations -1.5 .5 -.5 1.5; g0 = (2.25 + .25 + .25 + 2.25) / 4 = 1.25
    # g1 = (.5 x -1.5 + -.5 x .5 + 1.5 x -.5) / 4 = -.4375; Bartlett weight 1 - 1/2: LRV = 1.25 - .4375 = .8125
    # DM = 2.5 / sqrt(.8125 / 4) = 5.547; HLN x sqrt((4 + 1 - 4 + 2/4) / 4) = sqrt(.375): 3.3968
    r = diebold_mariano(np.zeros(4), np.array([1.0, 3.0, 2.0, 4.0]), horizon=2)
    assert r.statistic == pytest.approx(2.5 / math.sqrt(0.8125 / 4) * math.sqrt(0.375))
    assert r.p_value == pytest.approx(sps.t.sf(r.statistic, 3))
    assert math.isnan(diebold_mariano(np.ones(5), np.ones(5)).p_value)  # identical forecasts


# --- Sharpe, its standard error, the Deflated Sharpe ---------------------------------------------


def test_sharpe_standard_error_lo_and_mertens() -> None:
    # Lo (2002), iid normal: sqrt((1 + SR^2 / 2) / n); SR = .1, n = 100 -> sqrt(1.005 / 100)
    assert sharpe_standard_error(0.1, 100) == pytest.approx(math.sqrt(1.005 / 100))
    # Mertens: skew -1, kurtosis 6 -> 1 + .005 + .1 + 3/4 x .01 = 1.1125
    assert sharpe_standard_error(0.1, 100, skew=-1.0, kurtosis=6.0) == pytest.approx(math.sqrt(1.1125 / 100))


def test_sharpe_with_se_from_returns() -> None:
    # pnl .01 -.01 .02 0: mean .005, sample sd sqrt(5e-4 / 3) -> SR = .38730, SR^2 = .15
    # deviations .005 -.015 .015 -.005: m2 = 500e-6 / 4 = 125e-6, m3 = 0 (skew 0),
    # m4 = (625 + 50625 + 50625 + 625)e-12 / 4 = 25625e-12, kurtosis = 25625 / 125^2 = 1.64
    # variance = (1 + .15 / 2 + (1.64 - 3) / 4 x .15) / 4 = (1 + .075 - .051) / 4 = .256
    est = sharpe_with_se(np.array([0.01, -0.01, 0.02, 0.0]))
    assert est.skew == pytest.approx(0.0, abs=1e-12) and est.kurtosis == pytest.approx(1.64)
    assert est.sharpe == pytest.approx(0.005 / math.sqrt(5e-4 / 3) * math.sqrt(252))
    assert est.se == pytest.approx(math.sqrt(0.256) * math.sqrt(252))


def test_deflated_sharpe_reproduces_the_paper() -> None:
    # Bailey & López de Prado (2014), section "A numerical example": 100 trials, V[SR_n] = 1/2 annualised,
    # 250 days a year, SR = 2.5 annualised over 1250 days, skew -3, kurtosis 10 -> SR0 = .1132, DSR = .9004
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    # sqrt(.5/250) x ((1 - .5772) x 2.3263 + .5772 x Phi^-1(1 - 1/(100 e)) = 2.6808) = .04472 x 2.5310
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe_ratio(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 100, 0.5 / 250)
    assert dsr == pytest.approx(0.9004, abs=5e-4)
    # one trial: nothing to deflate for; DSR is the PSR against 0
    assert expected_max_sharpe(1, 0.5) == 0.0
    assert probabilistic_sharpe_ratio(0.0, 0.0, 100) == pytest.approx(0.5)


def test_deflated_sharpe_from_pnl_deannualises_the_trials() -> None:
    rng = np.random.default_rng(3)
    pnl = rng.normal(0.0005, 0.01, 1000)
    trials = np.array([0.1, 0.5, 0.9, 0.3])  # annualised; sample variance = .1333
    out = deflated_sharpe(pnl, 40, trials, periods_per_year=252)
    sr = pnl.mean() / pnl.std(ddof=1)
    expected = deflated_sharpe_ratio(
        sr, 1000, float(sps.skew(pnl)), float(sps.kurtosis(pnl, fisher=False)), 40, trials.var(ddof=1) / 252
    )
    assert out.dsr == pytest.approx(expected)
    assert out.sharpe == pytest.approx(sr * math.sqrt(252))
    assert out.expected_max_sharpe == pytest.approx(expected_max_sharpe(40, trials.var(ddof=1) / 252) * 15.8745)


# --- SPA ----------------------------------------------------------------------------------------


def test_spa_is_seedable_and_points_the_right_way() -> None:
    rng = np.random.default_rng(7)
    bench = rng.normal(0.0, 0.01, 750)
    better = bench + rng.normal(0.002, 0.002, 750)  # earns 0.2 % a day more than the benchmark
    worse = bench - rng.normal(0.002, 0.002, 750)
    first = spa_test(bench, better, reps=300, seed=11)
    assert first == spa_test(bench, better, reps=300, seed=11)
    assert first.consistent < 0.01
    # arch (studentize=False) compares the bootstrap maximum with the sample maximum without truncating
    # Hansen's statistic at 0, so a clearly worse model gets p near 0.5; Hansen's studentized test gives 1
    assert spa_test(bench, worse, reps=300, seed=11, studentize=False).consistent > 0.3
    assert spa_test(bench, worse, reps=300, seed=11).consistent == 1.0
    # several models: one good column is enough to reject "none beats the benchmark"
    assert spa_test(bench, np.column_stack([worse, better]), reps=300, seed=11).consistent < 0.01
    overall, each = spa_against_benchmarks(better, {"a": bench, "b": worse}, reps=300, seed=11)
    assert overall == max(r.consistent for r in each.values())
    assert spa_against_benchmarks(bench, {"a": worse, "b": better}, reps=300, seed=11)[0] > 0.3


def test_arch_spa_does_not_studentize_and_ours_does() -> None:
    """arch 8's SPA compares raw mean differentials whatever ``studentize`` says: a model's P/L scaled by 10
    moves its p-value. Hansen's studentized statistic does not move; with one model the two agree."""
    rng = np.random.default_rng(3)
    zero = np.zeros(800)
    quiet = rng.normal(0.0006, 0.01, 800)
    loud = rng.normal(0.0001, 0.01, 800)
    one = spa_test(zero, quiet, reps=400, seed=5)
    assert one == spa_test(zero, quiet, reps=400, seed=5, studentize=False)  # a monotone rescaling
    raw = [spa_test(zero, np.column_stack([quiet, s * loud]), reps=400, seed=5, studentize=False) for s in (1, 10)]
    ours = [spa_test(zero, np.column_stack([quiet, s * loud]), reps=400, seed=5) for s in (1, 10)]
    assert raw[0].consistent != raw[1].consistent  # the loud column dominates arch's maximum
    assert ours[0] == ours[1]  # scale-free, as Hansen's statistic is


# --- Yearly table --------------------------------------------------------------------------------


def test_yearly_table_by_hand() -> None:
    dates = np.array(["2019-12-30", "2019-12-31", "2020-01-02", "2020-01-03", "2020-01-06"], dtype="datetime64[D]")
    up = np.array([1, 0, 1, 1, 0], bool)
    vote = np.array([1, -1, -1, 1, 1])
    pnl = np.array([0.01, 0.02, -0.01, 0.005, -0.02])
    rows = yearly_table(dates, vote, up, pnl, always_buy_pnl=np.array([0.01, -0.02, 0.01, 0.005, 0.02]))
    # 2019: vote 2/2, always-buy 1/2; P/L .03, always-buy -.01
    # 2020: vote hits 0 1 0 -> 1/3, always-buy 2/3; P/L -.025, always-buy .035
    assert [(r.year, r.calls) for r in rows] == [(2019, 2), (2020, 3)]
    assert (rows[0].accuracy, rows[0].always_buy_accuracy, rows[0].difference) == (1.0, 0.5, 0.5)
    assert rows[0].pnl == pytest.approx(0.03) and rows[0].always_buy_pnl == pytest.approx(-0.01)
    assert rows[1].accuracy == pytest.approx(1 / 3) and rows[1].difference == pytest.approx(-1 / 3)
    assert rows[1].pnl == pytest.approx(-0.025) and rows[1].always_buy_pnl == pytest.approx(0.035)
    assert math.isnan(yearly_table(dates, vote, up, pnl)[0].always_buy_pnl)


# --- Power ---------------------------------------------------------------------------------------


def _upper_tail(k: int, n: int, p: float) -> float:
    # sum_{j >= k} C(n, j) p^j (1 - p)^(n - j), each term in logs (C(1300, 650) overflows a float)
    return sum(
        math.exp(
            math.lgamma(n + 1)
            - math.lgamma(j + 1)
            - math.lgamma(n - j + 1)
            + j * math.log(p)
            + (n - j) * math.log1p(-p)
        )
        for j in range(k, n + 1)
    )


def test_power_statement_small_n_by_hand() -> None:
    # Bin(10, 1/2): P(X >= 10) = 1/1024 = .00098 <= .01 < P(X >= 9) = 11/1024 = .0107 -> 10 hits needed
    # 80 % power: p1^10 = .8 -> p1 = .8^(1/10) = .97793, an edge of .47793
    s = power_statement(10, 0.5, alpha=0.01, power=0.8)
    assert (s.critical_hits, s.accuracy_needed) == (10, 1.0)
    assert s.detectable_accuracy == pytest.approx(0.8**0.1)
    assert s.detectable_edge == pytest.approx(0.8**0.1 - 0.5)


def test_power_statement_against_a_drift_base_rate() -> None:
    # n = 1300 at always-buy's 53 %: the critical count k is where the exact upper tail first drops below 1 %
    s = power_statement(1300, 0.53)
    assert _upper_tail(s.critical_hits, 1300, 0.53) <= 0.01 < _upper_tail(s.critical_hits - 1, 1300, 0.53)
    # normal approximation: 689 + 2.326 x sqrt(1300 x .53 x .47) = 689 + 41.8 -> about 731 hits (56.2 %)
    assert abs(s.critical_hits - 731) <= 2
    assert _upper_tail(s.critical_hits, 1300, s.detectable_accuracy) == pytest.approx(0.8, abs=1e-6)
    assert 0.03 < s.detectable_edge < 0.06 and "1300 calls" in s.sentence()
    with pytest.raises(ValueError, match="base rate"):
        power_statement(100, 1.0)


# --- The bundle ----------------------------------------------------------------------------------


def _calls(vote_skill: float, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64("2015-01-01"), np.datetime64("2019-01-01"))[:1000]
    common = rng.normal(0.0003, 0.006, len(days))  # the pairs move together
    dates = np.repeat(days, 3)
    pair = np.tile(["USDJPY", "EURJPY", "GBPJPY"], len(days))
    ret = np.repeat(common, 3) + rng.normal(0, 0.003, len(dates))
    up = ret > 0
    right = rng.random(len(dates)) < vote_skill
    direction = np.where(right == up, 1, -1)
    prob = np.clip(0.5 + 0.1 * direction * rng.random(len(dates)), 0.01, 0.99)
    return {
        "dates": dates,
        "pair": pair,
        "direction": direction,
        "up": up,
        "probability": prob,
        "pnl": direction * ret,
        "always_buy_pnl": ret,
        "trend_pnl": np.sign(rng.normal(size=len(dates))) * ret,
    }


def test_skill_summary_on_a_vote_that_knows_tomorrow() -> None:
    c = _calls(0.6)
    s = skill_summary(**c, n_trials=10, trial_sharpes=np.array([0.2, -0.1, 0.4]), climatology=0.52, seed=1)
    assert (s.n, s.days, s.n_trials) == (3000, 1000, 10)
    assert s.accuracy == pytest.approx(np.mean((c["direction"] > 0) == c["up"]))
    assert s.difference == pytest.approx(s.accuracy - s.always_buy_accuracy)
    assert s.mcnemar_p < 1e-6 and s.pt_p < 1e-6 and s.clustered_p < 1e-6 and s.spa_p < 0.01
    assert s.brier_skill > 0 and s.dm_p < 0.01 and s.dsr > 0.95 and s.sharpe > 3
    assert set(s.as_dict()) >= {"mcnemar_p", "pt_p", "clustered_p", "dm_p", "sharpe_se", "dsr", "spa_p"}


def test_skill_summary_of_always_buy_claims_nothing() -> None:
    c = _calls(0.5)
    c["direction"] = np.ones(len(c["up"]), int)
    c["pnl"] = c["always_buy_pnl"]
    s = skill_summary(**c, n_trials=1, trial_sharpes=np.array([]), climatology=0.5, seed=1)
    assert s.mcnemar_p == 1.0 and math.isnan(s.pt_p) and s.difference == 0.0 and math.isnan(s.clustered_p)
    assert s.spa_p > 0.4  # a P/L equal to always-buy's does not beat it
    with pytest.raises(ValueError, match="once"):
        skill_summary(
            **{k: np.concatenate([v, v[:1]]) for k, v in c.items()},
            n_trials=1,
            trial_sharpes=np.array([]),
            climatology=0.5,
        )
    with pytest.raises(ValueError, match="climatology"):
        skill_summary(**c, n_trials=1, trial_sharpes=np.array([]))


def test_hac_pesaran_timmermann_by_hand() -> None:
    """12 calls, lag 2 (a 3-day target), worked through by hand: PT, then u_t = (x - Px)(y - Py), its
    autocovariances, the Bartlett long-run sum and the rescaled statistic."""
    x = np.array([1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1], dtype=float)  # the call: up
    y = np.array([1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1], dtype=float)  # the outcome: up
    n = 12
    px, py = x.mean(), y.mean()  # 7/12, 7/12
    p = np.mean(x == y)  # 10/12
    p_star = py * px + (1 - py) * (1 - px)
    v_p = p_star * (1 - p_star) / n
    v_p_star = (
        (2 * py - 1) ** 2 * px * (1 - px) / n
        + (2 * px - 1) ** 2 * py * (1 - py) / n
        + 4 * py * px * (1 - py) * (1 - px) / n**2
    )
    pt = (p - p_star) / math.sqrt(v_p - v_p_star)
    u = (x - px) * (y - py)
    gamma = [sum(u[t] * u[t - lag] for t in range(lag, n)) for lag in range(3)]
    long_run = gamma[0] + 2 * (2 / 3) * gamma[1] + 2 * (1 / 3) * gamma[2]  # Bartlett weights 1 - l / 3
    expected = pt * math.sqrt(gamma[0] / long_run)
    direction = np.where(x > 0, 1, -1)
    hac = pesaran_timmermann_hac(direction, y.astype(bool), lags=2)
    assert hac.statistic == pytest.approx(expected, rel=1e-12)
    assert hac.p_value == pytest.approx(0.5 * math.erfc(expected / math.sqrt(2)), rel=1e-12)
    assert long_run > gamma[0]  # positively autocorrelated u: the HAC statistic is the smaller one
    assert hac.statistic < pesaran_timmermann(direction, y.astype(bool)).statistic
    # No lags, one call a day: PT itself.
    assert pesaran_timmermann_hac(direction, y.astype(bool), lags=0).statistic == pytest.approx(pt, rel=1e-12)


def test_hac_mcnemar_without_lags_is_the_asymptotic_mcnemar() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.random(300) < 0.55, rng.random(300) < 0.5
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    z = (only_a - only_b) / math.sqrt(only_a + only_b)
    assert mcnemar_hac(a, b, 0).p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-12)
    assert mcnemar_hac(a, b, 4).only_a == only_a


def test_the_five_day_gbpjpy_timing_evidence_with_overlap_accounted_for() -> None:
    """The stored base-5d walk-forward: GBP/JPY's PT p 0.004 counting each of the overlapping 5-day calls as
    independent, about 0.035 with the HAC variance (lag 4)."""
    calls = pd.read_csv(REPO / "reports" / "sweep-2008-2024" / "base-5d" / "calls.csv")
    gbp = calls[calls["pair"] == "GBPJPY"]
    vote_up = (gbp[[f"member_{i}" for i in range(5)]].to_numpy() > 0.5).sum(axis=1) >= 3
    up = (gbp["target_close"] > gbp["close"]).to_numpy()
    direction = np.where(vote_up, 1, -1)
    assert pesaran_timmermann(direction, up).p_value == pytest.approx(0.004, abs=0.0005)
    assert pesaran_timmermann_hac(direction, up, lags=4).p_value == pytest.approx(0.035, abs=0.001)
