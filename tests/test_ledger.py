"""The ledger's outcome scoring, on numpy bars: a call is scored by the bar right after its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fxbot.data.store import PriceStore
from fxbot.ledger import Ledger
from fxbot.pairs import get_pair
from fxbot.portfolio import size_position
from fxbot.signals import PairSignal, Report
from fxbot.voting import Direction, Vote


def report_for(day: dt.date, close: float, direction: Direction = Direction.BUY, pair: str = "USDJPY") -> Report:
    """A one-pair report of ``direction`` on bar ``day`` at ``close``."""
    vote = Vote(direction, 3, 5, (0.6, 0.6, 0.6, 0.4, 0.4))
    position = size_position(direction, 1.79, 1_000_000.0, close)
    return Report(as_of=day, signals=[PairSignal(get_pair(pair), day, close, vote, position, "test-model")])


def test_calls_are_scored_by_the_next_bar(tmp_path: Path, bundled_store: PriceStore) -> None:
    bars = bundled_store.load("USDJPY")
    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2024, 6, 13)
    close = float(bars.up_to(day).close[-1])
    ledger.record_signals(ledger.start_run(day), report_for(day, close))
    assert ledger.update_outcomes({"USDJPY": bars}) == 1
    row = ledger.history()[0]
    next_close = float(bars.since(dt.date(2024, 6, 14)).close[0])
    assert row.move == pytest.approx(next_close / close - 1)
    assert row.right is (next_close > close)


def test_a_call_older_than_the_bars_given_waits(tmp_path: Path, bundled_store: PriceStore) -> None:
    """Bars that start after a call (a cut history) must not score it with their first bar."""
    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2020, 3, 2)
    full = bundled_store.load("USDJPY")
    ledger.record_signals(ledger.start_run(day), report_for(day, float(full.up_to(day).close[-1])))
    assert ledger.update_outcomes({"USDJPY": full.since(dt.date(2021, 1, 4))}) == 0
    assert ledger.history()[0].move is None
    assert ledger.update_outcomes({"USDJPY": full}) == 1
    assert ledger.history()[0].move is not None
