"""The daily signals and their report: what a run decided, in a form every notifier formats its own way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fxbot.pairs import Pair
from fxbot.portfolio import Position
from fxbot.voting import Vote


@dataclass(frozen=True)
class PairSignal:
    """One pair's call for the trading day after ``bar_date``."""

    pair: Pair
    bar_date: dt.date
    close: float
    vote: Vote
    position: Position
    model_version: str
    in_sample: bool = False  # the models were trained on this bar's next-day move
    trained_to: dt.date | None = None  # the champion's last training bar (its manifest's train_end)

    @property
    def for_day(self) -> dt.date:
        """The trading day the call is for (the one after the last bar)."""
        from fxbot.calendar import next_trading_day

        return next_trading_day(self.bar_date)


@dataclass(frozen=True)
class TrackRecord:
    """How many of the latest scored calls (from the ledger) were right."""

    scored: int
    right: int

    def __str__(self) -> str:
        return f"last {self.scored} calls: {self.right} right" if self.scored else "no scored calls yet"


@dataclass(frozen=True)
class Staleness:
    """Pairs whose last bar lags the as-of day by more than ``data.max_staleness_days``."""

    pairs: tuple[str, ...]
    oldest_bar: dt.date
    lag_days: int  # trading days between the oldest last bar and the as-of day
    message: str  # the warning shown with the calls, and the error when a run refuses to post them


@dataclass(frozen=True)
class ModelAge:
    """How old the champions are: the oldest one's last training bar against the as-of day."""

    trained_to: dt.date  # the oldest champion's last training bar
    age_days: int  # calendar days from ``trained_to`` to the as-of day (0 when trained later)
    limit_days: int  # lifecycle.max_model_age_days

    @property
    def too_old(self) -> bool:
        """True past ``lifecycle.max_model_age_days``."""
        return self.age_days > self.limit_days

    #: What to do about models that are too old.
    fix = "run `fxbot retrain` (needs fxbot[train]) or import newer models with `fxbot models import`"

    @property
    def warning(self) -> str:
        """The warning a post carries when the models are too old."""
        return (
            f"the models are {self.age_days} days old (trained on bars up to {self.trained_to.isoformat()}; "
            f"lifecycle.max_model_age_days is {self.limit_days}): {self.fix}"
        )


def model_age(signals: list[PairSignal], as_of: dt.date, limit_days: int) -> ModelAge | None:
    """The age of the oldest champion behind ``signals`` on ``as_of`` (None if no signal knows its training end)."""
    ends = [s.trained_to for s in signals if s.trained_to is not None]
    if not ends:
        return None
    oldest = min(ends)
    return ModelAge(oldest, max(0, (as_of - oldest).days), limit_days)


@dataclass(frozen=True)
class Report:
    """A run's calls and anything the reader must know about them."""

    as_of: dt.date
    signals: list[PairSignal]
    warnings: list[str] = field(default_factory=list)
    track_record: str = ""
    track: TrackRecord | None = None
    staleness: Staleness | None = None
    model_age: ModelAge | None = None

    @property
    def stale(self) -> bool:
        """True if any pair's data lag the as-of day by more than allowed."""
        return self.staleness is not None

    @property
    def last_bar(self) -> dt.date:
        """The newest bar any call was made from."""
        return max(s.bar_date for s in self.signals)
