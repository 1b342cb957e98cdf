"""The daily signals and their report: what a run decided, in a form every notifier formats its own way.

Every type here is a msgspec Struct, as are all the daily path's value types: a frozen dataclass
costs about 0.7 ms of the daily path's import each (its methods are generated with ``exec``), a
Struct about 20 µs (see CONTRIBUTING)."""

from __future__ import annotations

import datetime as dt

import msgspec

from fxbot.outcome import DayOutcome
from fxbot.pairs import Pair
from fxbot.portfolio import Position
from fxbot.voting import Vote


class PairSignal(msgspec.Struct, frozen=True):
    """One pair's call for the trading day after ``bar_date``."""

    pair: Pair
    bar_date: dt.date
    close: float
    vote: Vote
    position: Position
    model_version: str
    in_sample: bool = False  # the models were trained on this bar's next-day move
    risk: PairRisk | None = None  # filled by the pipeline from the bars already loaded
    evidence: Evidence | None = None  # the shipped models' walk-forward figures, stored with them
    trained_to: dt.date | None = None  # the champion's last training bar (its manifest's train_end)

    @property
    def for_day(self) -> dt.date:
        """The trading day the call is for (the one after the last bar)."""
        from fxbot.calendar import next_trading_day

        return next_trading_day(self.bar_date)


class TrackRecord(msgspec.Struct, frozen=True):
    """How many of the latest scored calls (from the ledger) were right, and what always-buy scored on them."""

    scored: int
    right: int
    always_buy_right: int | None = None  # how many of the same calls' days closed up (None: unknown)

    def __str__(self) -> str:
        if not self.scored:
            return "no scored calls yet"
        buy = "" if self.always_buy_right is None else f"; always-buy {self.always_buy_right}"
        return f"last {self.scored} calls: {self.right} right{buy}"


class PairRisk(msgspec.Struct, frozen=True):
    """One position's risk: its 1-day 99 % loss in JPY from its own history, and its holding window.

    ``loss_jpy`` is the larger of the historical and the filtered historical figure (``fxbot.risk``);
    None when the pair has too few bars (``needed_bars``). ``normal_loss_jpy`` is the normal-curve
    figure from the last ``window_days`` returns, shown only beside the historical one.
    """

    loss_jpy: float | None
    volatility: float | None  # daily standard deviation of the last window_days close-to-close returns
    window_days: int
    needed_bars: int
    opens_at: dt.datetime  # New York 17:00 close of the bar day
    closes_at: dt.datetime  # New York 17:00 close of the day the call is for
    normal_loss_jpy: float | None = None


class TailLoss(msgspec.Struct, frozen=True):
    """A loss from history over ``days`` trading days: its ``confidence`` quantile, expected shortfall, worst window.

    ``source`` says whose P/L: ``book`` (today's positions over every past window), ``filtered`` (the
    same, past returns rescaled to today's volatility) or ``calls`` (following the calls in the
    walk-forward, scaled to today's gross leverage). Losses are positive JPY.
    """

    source: str
    days: int
    confidence: float
    loss_jpy: float
    shortfall_jpy: float
    worst_jpy: float
    worst_start: dt.date
    worst_end: dt.date
    windows: int
    first_day: dt.date
    last_day: dt.date


class StressResult(msgspec.Struct, frozen=True):
    """Today's book over a named episode, close to close, in JPY (negative: a loss)."""

    name: str
    start: dt.date
    end: dt.date
    pnl_jpy: float


class PortfolioRisk(msgspec.Struct, frozen=True):
    """The whole book from history: gross exposure, its 20-day and 1-day tails, the calls' tail, stress windows."""

    gross_leverage: float
    equity_jpy: float
    budget: float = 0.25  # drawdown budget, a fraction of equity
    book: TailLoss | None = None  # 20 days, today's book
    filtered: TailLoss | None = None  # 20 days, today's book at today's volatility
    calls: TailLoss | None = None  # 20 days, following the calls (walk-forward)
    book_day: TailLoss | None = None  # 1 day, 99 %
    filtered_day: TailLoss | None = None
    stress: tuple[StressResult, ...] = ()

    @property
    def headline(self) -> TailLoss | None:
        """The largest 20-day loss of the three views: where two disagree, the larger leads."""
        found = [t for t in (self.book, self.filtered, self.calls) if t is not None]
        return max(found, key=lambda t: t.loss_jpy, default=None)

    @property
    def worst(self) -> TailLoss | None:
        """The view with the worst real 20 days (book or calls; the filtered windows are rescaled, not real)."""
        found = [t for t in (self.book, self.calls) if t is not None]
        return max(found, key=lambda t: t.worst_jpy, default=None)

    @property
    def day(self) -> TailLoss | None:
        """The larger 1-day 99 % loss of the book (historical or filtered)."""
        found = [t for t in (self.book_day, self.filtered_day) if t is not None]
        return max(found, key=lambda t: t.loss_jpy, default=None)

    @property
    def budget_multiple(self) -> float | None:
        """The headline loss over the budget (above 1: the leverage is that many times too high for it)."""
        head = self.headline
        return None if head is None else head.loss_jpy / (self.budget * self.equity_jpy)


class Evidence(msgspec.Struct, frozen=True):
    """The shipped models' honest walk-forward result against always-buy on the same calls.

    Read from ``models/<PAIR>/evidence.json`` (``fxbot.model.evidence``); ``edge`` is True only if the
    vote beat always-buy and a test said so at ``alpha`` after Holm (the promotion gate's rule).
    """

    pair: str
    first_day: str
    last_day: str
    calls: int
    accuracy: float
    always_buy_accuracy: float
    p_value: float  # McNemar against always-buy on the same calls (the edge decision uses Holm's adjustment)
    alpha: float
    edge: bool
    pooled_accuracy: float
    pooled_always_buy_accuracy: float
    pooled_calls: int
    pooled_p_value: float
    pooled_edge: bool
    # The walk-forward portfolio's interval of 20-day P/L sums, as fractions of equity, at ``gross_leverage``
    # (normal curve: kept for old files, shown nowhere).
    interval_low: float | None = None
    interval_high: float | None = None
    interval_days: int = 20
    interval_confidence: float = 0.999
    gross_leverage: float | None = None
    # Following the calls in the walk-forward, from history: the rolling 20-day loss quantile, its expected
    # shortfall and the worst window, on an equity of 1 (fractions) at ``gross_leverage``; None in older files.
    calls_tail: TailLoss | None = None
    # The pooled accuracy minus always-buy's per call and its standard error clustered by date (two-sided test:
    # ``fxbot.versus``); None in files written before them.
    pooled_difference: float | None = None
    pooled_difference_se: float | None = None


class VersusBuy(msgspec.Struct, frozen=True):
    """A record pooled across pairs against always-buy on the same calls (``fxbot.versus``): the difference in
    accuracy, its standard error clustered by date, and the two-sided p-value."""

    source: str  # "live" (the ledger's scored live calls) or "walk-forward" (the stored evidence)
    calls: int
    dates: int  # clusters (0: not known, from a stored figure)
    accuracy: float
    always_buy: float
    difference: float  # accuracy - always-buy's, per call
    se: float
    p_value: float  # two-sided


class Staleness(msgspec.Struct, frozen=True):
    """Pairs whose last bar lags the as-of day by more than ``data.max_staleness_days``."""

    pairs: tuple[str, ...]
    oldest_bar: dt.date
    lag_days: int  # trading days between the oldest last bar and the as-of day
    message: str  # the warning shown with the calls, and the error when a run refuses to post them


class ModelAge(msgspec.Struct, frozen=True):
    """How old the champions are: the oldest one's last training bar against the as-of day."""

    trained_to: dt.date  # the oldest champion's last training bar
    age_days: int  # calendar days from ``trained_to`` to the as-of day (negative: trained on later bars)
    limit_days: int  # lifecycle.max_model_age_days

    @property
    def too_old(self) -> bool:
        """True past ``lifecycle.max_model_age_days``."""
        return self.age_days > self.limit_days

    #: What to do about models that are too old (``fxbot status``; a post's warning is the catalogue's "model_age").
    fix = "run `fxbot retrain` (needs fxbot[train]) or import newer models with `fxbot models import`"


def model_age(signals: list[PairSignal], as_of: dt.date, limit_days: int) -> ModelAge | None:
    """The age of the oldest champion behind ``signals`` on ``as_of`` (None if no signal knows its training end)."""
    ends = [s.trained_to for s in signals if s.trained_to is not None]
    if not ends:
        return None
    oldest = min(ends)
    return ModelAge(oldest, (as_of - oldest).days, limit_days)


class Report(msgspec.Struct, frozen=True):
    """A run's calls and anything the reader must know about them."""

    as_of: dt.date
    signals: list[PairSignal]
    warnings: list[str] = msgspec.field(default_factory=list)
    track_record: str = ""
    track: TrackRecord | None = None
    staleness: Staleness | None = None
    portfolio_risk: PortfolioRisk | None = None
    model_age: ModelAge | None = None
    # Earlier posted days' outcomes, for a channel that cannot thread a reply (a webhook's compact line).
    outcomes: list[DayOutcome] = msgspec.field(default_factory=list)
    # Set only when a record is significantly worse than always-buy (``fxbot.versus.worse``): the post says so.
    worse: VersusBuy | None = None

    @property
    def evidence(self) -> list[Evidence]:
        """The stored walk-forward evidence of each call's models (pairs without any are left out)."""
        return [s.evidence for s in self.signals if s.evidence is not None]

    @property
    def no_edge(self) -> bool:
        """True if the stored evidence shows no edge over always-buy (pooled, or any pair's own)."""
        found = self.evidence
        return bool(found) and not all(e.edge and e.pooled_edge for e in found)

    @property
    def edge_warning(self) -> bool:
        """True if the post opens with a warning on skill: no edge in the evidence, or a record worse than
        always-buy."""
        return self.no_edge or self.worse is not None

    @property
    def stale(self) -> bool:
        """True if any pair's data lag the as-of day by more than allowed."""
        return self.staleness is not None

    @property
    def last_bar(self) -> dt.date:
        """The newest bar any call was made from."""
        return max(s.bar_date for s in self.signals)
