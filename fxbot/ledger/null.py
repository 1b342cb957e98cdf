"""``NullLedger``: the ledger of a run without state; every question has the empty answer."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from fxbot.ledger.lease import no_lease

if TYPE_CHECKING:
    from fxbot.data.bars import Bars
    from fxbot.ledger.book_risk import BookRisk
    from fxbot.ledger.calls import ScoredCall
    from fxbot.ledger.deliveries import Delivery
    from fxbot.outcome import CallOutcome, DayOutcome
    from fxbot.signals import Report, TrackRecord


class NullLedger:
    """A ledger that records nothing: runs without state (tests, tools); every question has the empty answer."""

    path = None

    def start_run(self, as_of: dt.date | None) -> int:
        """No run is recorded; 0 stands for its id."""
        return 0

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        """Nothing to record."""

    def update_outcomes(self, bars_by_pair: dict[str, Bars]) -> int:
        """No calls to score."""
        return 0

    def record_signals(self, run_id: int, report: Report, kind: str = "live") -> None:
        """Nothing to record."""

    def track_record(self, last: int = 20, known_by: dt.date | None = None) -> TrackRecord | None:
        """No record: the report shows none."""
        return None

    def scored_calls(self, until: dt.date) -> list[ScoredCall]:
        """No calls."""
        return []

    def scored_positions(self, until: dt.date | None = None) -> list[CallOutcome]:
        """No calls."""
        return []

    def book_risk(self, bar_date: dt.date | None = None, *, until: dt.date | None = None) -> BookRisk | None:
        """No figures recorded."""
        return None

    def var_record(self) -> list[tuple[BookRisk, float]]:
        """No scored days."""
        return []

    def latest_delivery(self, as_of: dt.date, destination: str) -> Delivery | None:
        """Nothing was delivered as far as this ledger knows."""
        return None

    def outcomes_due(self, destination: str, known_by: dt.date, since: dt.date) -> list[DayOutcome]:
        """Nothing was posted as far as this ledger knows."""
        return []

    def skip_outcome(self, as_of: dt.date, destination: str, reason: str) -> None:
        """Nothing to record."""

    def begin_delivery(self, run_id: int | None, as_of: dt.date, destination: str, notifier: str) -> int:
        """No intent is recorded; 0 stands for its id."""
        return 0

    def mark_sent(self, delivery_id: int, ts: str | None) -> None:
        """Nothing to record."""

    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Nothing to record."""

    def lease(self, as_of: dt.date, destination: str, wait_seconds: float) -> AbstractContextManager[None]:
        """No lease: without a ledger nothing is recorded to be exactly once against."""
        return no_lease()

    def close(self) -> None:
        """Nothing to close."""
