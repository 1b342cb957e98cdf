"""Walk-forward periods, the calls file, the analysis and the written report (fast: no TensorFlow)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fxbot.backtest.analysis import Options, analyze
from fxbot.backtest.report import render_markdown, write_report
from fxbot.backtest.results import Comparison, OriginalFigures
from fxbot.backtest.run import BacktestOptions, validate
from fxbot.backtest.walkforward import PairCalls, Period, WalkForwardResult, load_result, make_periods, save_result
from fxbot.errors import DataError, UsageError


def test_yearly_and_quarterly_periods_are_clipped_to_the_range() -> None:
    assert make_periods(dt.date(2013, 3, 5), dt.date(2014, 6, 30), "yearly") == [
        Period("2013", dt.date(2013, 3, 5), dt.date(2013, 12, 31)),
        Period("2014", dt.date(2014, 1, 1), dt.date(2014, 6, 30)),
    ]
    assert make_periods(dt.date(2021, 2, 10), dt.date(2021, 7, 1), "quarterly") == [
        Period("2021Q1", dt.date(2021, 2, 10), dt.date(2021, 3, 31)),
        Period("2021Q2", dt.date(2021, 4, 1), dt.date(2021, 6, 30)),
        Period("2021Q3", dt.date(2021, 7, 1), dt.date(2021, 7, 1)),
    ]
    assert len(make_periods(dt.date(2013, 1, 1), dt.date(2024, 12, 31), "yearly")) == 12
    assert make_periods(dt.date(2020, 1, 1), dt.date(2020, 3, 1), "none")[0].end == dt.date(2020, 3, 1)
    with pytest.raises(UsageError, match="before --from"):
        make_periods(dt.date(2020, 1, 2), dt.date(2020, 1, 1), "yearly")


def _calls(pair: str, days: pd.DatetimeIndex, probs: np.ndarray, closes: np.ndarray) -> PairCalls:
    n = len(days)
    return PairCalls(
        pair=pair,
        dates=days,
        member_probs=probs,
        logistic_probs=np.full(n, 0.6),
        period=np.array(["2020"] * n),
        prev_close=closes[:n],
        close=closes[1 : n + 1],
        next_close=closes[2 : n + 2],
        next_dates=days + pd.offsets.BDay(1),
    )


@pytest.fixture
def result() -> WalkForwardResult:
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2020-01-01", periods=120)
    out = {}
    for pair in ("USDJPY", "EURJPY"):
        closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.005, len(days) + 2)))
        probs = rng.uniform(0.3, 0.7, size=(len(days), 3))
        out[pair] = _calls(pair, days, probs, closes)
    out["EURJPY"] = _calls(  # one day fewer: the portfolio adds pairs on the union of days
        "EURJPY",
        days[1:],
        out["EURJPY"].member_probs[1:],
        np.concatenate([out["EURJPY"].prev_close[1:], out["EURJPY"].next_close[-2:]]),
    )
    return WalkForwardResult(out, [Period("2020", dt.date(2020, 1, 1), dt.date(2020, 6, 30))], [], 12.0, 2)


def test_calls_survive_a_round_trip_through_calls_csv(result: WalkForwardResult, tmp_path: Path) -> None:
    save_result(result, tmp_path)
    again = load_result(tmp_path)
    for pair, calls in result.calls.items():
        np.testing.assert_allclose(again.calls[pair].member_probs, calls.member_probs, rtol=1e-8)
        assert (again.calls[pair].dates == calls.dates).all()
        assert again.calls[pair].next_dates is not None and calls.next_dates is not None
        assert (again.calls[pair].next_dates == calls.next_dates).all()
        np.testing.assert_array_equal(again.calls[pair].vote_up, calls.vote_up)
    assert again.periods == result.periods and again.workers == 2
    with pytest.raises(DataError, match="run `fxbot backtest"):
        load_result(tmp_path / "nothing")


def test_analysis_figures_follow_from_the_calls(result: WalkForwardResult) -> None:
    opts = Options(
        leverage={"USDJPY": 2.0, "EURJPY": 1.0},
        pip_size={"USDJPY": 0.01, "EURJPY": 0.01},
        cost_pips={"USDJPY": 0.4, "EURJPY": 0.6},
    )
    analysis = analyze(result, opts)
    usd = result.calls["USDJPY"]
    up = (usd.member_probs > 0.5).sum(axis=1) >= 2  # majority of three
    actual = usd.next_close > usd.close
    m = analysis.metrics.pairs["USDJPY"]
    assert m.vote.hits == int((up == actual).sum()) and m.vote.calls == 120
    assert m.baselines["always_buy"].accuracy == pytest.approx(actual.mean())
    assert m.baselines["logistic"].accuracy == pytest.approx(actual.mean())  # 0.6 everywhere: always up
    expected = np.where(up, 1, -1) * (usd.next_close / usd.close - 1) * 2.0 - 0.4 * 0.01 / usd.close * 2.0
    assert m.pnl.total == pytest.approx(expected.sum())
    eur = result.calls["EURJPY"]
    eur_up = (eur.member_probs > 0.5).sum(axis=1) >= 2
    eur_pnl = np.where(eur_up, 1, -1) * (eur.next_close / eur.close - 1) * 1.0 - 0.6 * 0.01 / eur.close * 1.0
    assert analysis.metrics.pairs["EURJPY"].pnl.total == pytest.approx(eur_pnl.sum())  # its own cost
    assert m.rollover.days_without_rates == 120 and m.rollover.total == 0.0
    port = analysis.series["portfolio"]
    assert len(port.pnl) == 120  # union of the two pairs' days
    assert analysis.metrics.portfolio.pnl.total == pytest.approx(
        m.pnl.total + analysis.metrics.pairs["EURJPY"].pnl.total
    )
    assert analysis.metrics.portfolio.pnl.blocks.count == 6
    assert analysis.metrics.comparison_2013_2017 is None  # 2020 does not span the original window


def test_report_files(result: WalkForwardResult, tmp_path: Path) -> None:
    opts = Options(
        leverage={"USDJPY": 1.79, "EURJPY": 1.68},
        pip_size={"USDJPY": 0.01, "EURJPY": 0.01},
        cost_pips={"USDJPY": 0.4, "EURJPY": 0.6},
    )
    analysis = analyze(result, opts)
    path = write_report(analysis, tmp_path)
    text = path.read_text()
    assert "| USDJPY | 120 |" in text and "| portfolio |" in text and "original analysis" in text
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["pairs"]["EURJPY"]["vote"]["calls"] == 119
    # no rate table given: the report says so instead of guessing a rollover
    assert "No rates for some days" in text and "USDJPY 120 of 120 days (months 2020-01" in text
    for chart in ("equity.png", "pnl_blocks.png", "rolling_accuracy.png"):
        assert (tmp_path / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"workers": 0}, "--workers"),
        ({"max_loss": 25.0}, "--max-loss"),
        ({"horizon": 1}, "--horizon"),
        ({"confidence": 99.9}, "--confidence"),
        ({"samples": 0}, "--samples"),
        ({"end": dt.date(2012, 1, 1)}, "before --from"),
    ],
)
def test_bad_options_are_usage_errors(change: dict[str, object], message: str) -> None:
    base = {
        "start": dt.date(2013, 1, 1),
        "end": None,
        "retrain": "yearly",
        "workers": 1,
        "report_dir": Path("r"),
        "pairs": ["USDJPY"],
    }
    with pytest.raises(UsageError, match=message):
        validate(BacktestOptions(**{**base, **change}))  # type: ignore[arg-type]


def test_the_original_analysis_sentence_renders_the_recorded_figures(result: WalkForwardResult) -> None:
    opts = Options(
        leverage={"USDJPY": 1.0, "EURJPY": 1.0},
        pip_size={"USDJPY": 0.01, "EURJPY": 0.01},
        cost_pips={"USDJPY": 0.4, "EURJPY": 0.6},
    )
    metrics = analyze(result, opts).metrics
    vote = metrics.portfolio.vote_pooled
    seed = OriginalFigures(["2013-01-01", "2017-11-01"], 0.612, 900, [0.401, 0.599], {})
    metrics.comparison_2013_2017 = Comparison(seed.window, seed, {"USDJPY": vote}, vote, [0.45, 0.55])
    text = render_markdown(metrics)
    assert "The original reported 61.2 % directional accuracy on about 900 calls" in text
    assert "a random 99 % band of 40.1 %..59.9 % (the binomial band for 900 calls is 45.0 %..55.0 %)" in text
    assert "56.8" not in text and "1300" not in text
