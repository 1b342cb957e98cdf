"""Where the loss from history is shown besides the post: the ledger, `fxbot history`, the metrics, the App Home,
and `fxbot risk` with its budget arithmetic."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import msgspec
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from scipy import stats as sp

from fxbot import metrics
from fxbot.cli import main
from fxbot.data.bars import Bars
from fxbot.data.store import PriceStore
from fxbot.history import var_lines
from fxbot.ledger import BookRisk, Ledger
from fxbot.notify.console import summary_lines
from fxbot.notify.messages import summary_blocks
from fxbot.risk import chi2_1_sf, kupiec_lr
from fxbot.slack_app.views import home_view, risk_text, versus_always_buy
from fxbot.summary import build_weekly_summary
from fxbot.weekly import weekly_risk

from .conftest import BUNDLED_DATA, SHIPPED_MODELS
from .support.ledger import as_live

DAY = "2024-06-14"


def _config(tmp_path: Path) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_chi2_one_degree_tail_matches_scipy() -> None:
    for statistic in (0.0, 0.5, 1.956812, 3.841459, 10.0, 40.0):
        assert chi2_1_sf(statistic) == pytest.approx(float(sp.chi2.sf(statistic, 1)), rel=1e-9, abs=1e-300)
    assert kupiec_lr(5, 250, 0.01) == pytest.approx(1.956812, abs=1e-5)


def test_a_run_records_the_loss_it_showed_and_history_metrics_and_home_show_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    assert main(["run-once", "--replay", "--no-fetch", "--as-of", DAY, "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    posted = re.search(r"20-day 99\.9% loss from history: ¥([\d,]+)", shown)
    assert posted is not None
    as_live(tmp_path / "state" / "ledger.sqlite")  # it stands for a live day: a replay never counts in the record
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite")
    try:
        book = ledger.book_risk()
        assert book is not None and book.bar_date == dt.date(2024, 6, 14)
        assert f"{book.loss_20d_jpy:,.0f}" == posted.group(1) and book.source == "calls"
        assert book.worst_end == dt.date(2008, 10, 23) and book.loss_1d_jpy is not None and book.loss_1d_jpy > 0
        # the next day's outcome scores the calls: one scored day against its 1-day figure
        ledger.update_outcomes({code: _bars(code) for code in ("USDJPY", "EURJPY", "GBPJPY")})
        [(_, pnl)] = ledger.var_record()
        rows = ledger.history(None)
        positions = ledger.positions(book.bar_date)
        weekly = weekly_risk(ledger, dt.date(2024, 6, 21))
        assert weekly_risk(ledger, dt.date(2024, 6, 7)) is None  # nothing recorded before that week
    finally:
        ledger.close()
    assert math.isfinite(pnl)
    # the weekly summary: the last post's figures and the one scored day against its 1-day figure
    assert weekly is not None and weekly.loss_20d_jpy == book.loss_20d_jpy and weekly.days == 1
    assert weekly.exceedances == int(-pnl > book.loss_1d_jpy)
    summary = msgspec.structs.replace(
        build_weekly_summary([], dt.date(2024, 6, 21), pairs=[], leverage={}, equity_jpy=1e6, cost_pips={}),
        risk=weekly,
    )
    assert f"20-day 99.9% ¥{posted.group(1)}" in "\n".join(summary_lines(summary))
    assert f"exceeded on {weekly.exceedances} of 1 scored days" in "\n".join(summary_lines(summary))
    assert "過去データによる損失" in json.dumps(summary_blocks(summary, "ja"), ensure_ascii=False)
    figures = metrics.read_ledger(tmp_path / "state" / "ledger.sqlite")
    assert figures is not None
    outcome = metrics.RunOutcome(0, 1.0, dt.datetime(2024, 6, 15, tzinfo=dt.UTC))
    text = metrics.render(metrics.collect(outcome, figures, {}))
    parsed = {f.name: f.samples[0].value for f in text_string_to_metric_families(text) if f.samples}
    assert parsed["fxbot_risk_loss_20d_jpy"] == pytest.approx(book.loss_20d_jpy)
    assert parsed["fxbot_risk_worst_20d_jpy"] == pytest.approx(book.worst_20d_jpy)
    line = risk_text([("USDJPY", "SELL", 1.79, 1_790_000.0)], "en", book)
    assert f"20-day 99.9% loss from history ¥{posted.group(1)}" in line and "(2008-09-26 → 2008-10-23)" in line
    now = dt.datetime(2024, 6, 15, tzinfo=dt.UTC)
    view = home_view(rows, versus_always_buy(rows), [], 0, "en", now, positions, book)
    assert f"20-day 99.9% loss from history ¥{posted.group(1)}" in json.dumps(view, ensure_ascii=False)
    assert "過去データによる20日間99.9%損失" in risk_text([("USDJPY", "SELL", 1.79, 1_790_000.0)], "ja", book)


def _bars(code: str) -> Bars:
    return PriceStore(BUNDLED_DATA).load(code)


def test_history_counts_exceedances_of_the_one_day_figure_by_hand() -> None:
    def book(day: int, loss: float | None) -> BookRisk:
        return BookRisk(dt.date(2025, 1, day), 1e6, 4.5, 5e5, "calls", 7e5, None, None, loss)

    # losses of 30,000, 50,000 and 10,000 against figures of 40,000: one exceedance (the 50,000) in 3 days
    record = [(book(2, 40_000.0), -30_000.0), (book(3, 40_000.0), -50_000.0), (book(6, 40_000.0), 10_000.0)]
    [line] = var_lines(record)
    assert "exceeded on 1 of 3 scored days (latest: 2025-01-03); expected 0.0" in line
    # Kupiec for 1 in 3 at 1 %: LR = -2 [2 ln 0.99 + ln 0.01] + 2 [2 ln(2/3) + ln(1/3)] = 9.2532 - 3.8191 = 5.4342
    assert f"Kupiec p={chi2_1_sf(5.4342):.2f}" in line and "too few days to judge" in line
    assert var_lines([(book(2, None), 1.0)]) == [
        "loss figures against outcomes: no scored day with a recorded loss figure yet"
    ]


def test_fxbot_risk_prints_every_view_and_the_leverages_within_the_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["risk", "--as-of", DAY, "--config", str(_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "today's book over every past window: ¥" in out and "at today's volatility" in out
    posted = re.search(r"following the calls \(walk-forward, at today's gross leverage\): ¥([\d,]+).*<- posted", out)
    assert posted is not None
    loss = float(posted.group(1).replace(",", ""))
    # the budget: 25 % of 1,000,000 = 250,000; scale = 250,000 / loss, times each configured leverage
    scale = 250_000 / loss
    assert f"is {loss / 250_000:.2f}x the budget: scale {scale:.2f} -> USD/JPY {1.79 * scale:.2f}x" in out
    assert "2008-10 carry unwind (2008-09-30 → 2008-10-27): " in out and "2016-06-24 Brexit vote" in out


def test_a_posted_days_loss_figures_stay_as_posted(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert main(["run-once", "--replay", "--no-fetch", "--as-of", DAY, "--config", str(config)]) == 0
    as_live(tmp_path / "state" / "ledger.sqlite")  # it stands for a live day: a replay never counts in the record
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite")
    try:
        first = ledger.book_risk()
        assert first is not None and first.equity_jpy == 1_000_000
        delivery = ledger.begin_delivery(None, dt.date(2024, 6, 14), "slack:C0", "slack")
        ledger.mark_sent(delivery, "1718400000.000100")
    finally:
        ledger.close()
    bigger = yaml.safe_load(config.read_text()) | {"account": {"equity_jpy": 2_000_000}}
    config.write_text(yaml.safe_dump(bigger))
    assert main(["run-once", "--replay", "--force", "--no-fetch", "--as-of", DAY, "--config", str(config)]) == 0
    as_live(tmp_path / "state" / "ledger.sqlite")
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite")
    try:
        assert ledger.book_risk() == first  # what the channel received stays the record
    finally:
        ledger.close()
