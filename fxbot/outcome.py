"""A posted day's outcome: what each call did once its next bar was stored, and its signed-yen format.

``DayOutcome`` is built by the ledger (``Ledger.outcomes_due``) from the calls a channel received
and their realised moves; ``fxbot.notify.messages`` renders it (a reply in the post's thread, or a
webhook's next post's compact line).

P/L is the price move on the notional that was posted (leverage x equity), before costs and
rollover: the reader's own arithmetic on the post. Always-buy is the same notional bought on the
same day. A call for day D is held from D's New York close to the next trading day's.
"""

from __future__ import annotations

import datetime as dt

import msgspec

#: The Slack message metadata event a thread reply carries (``event_payload: {"as_of": day}``).
OUTCOME_EVENT = "fxbot_call_outcome"
#: The ledger destination of a post's outcome is its channel's with this prefix (keyed on the post's day).
OUTCOME_PREFIX = "outcome:"


class CallOutcome(msgspec.Struct, frozen=True):
    """One posted call and its realised move."""

    pair: str
    direction: str  # BUY or SELL
    votes: int
    members: int
    leverage: float
    notional_jpy: float
    close: float
    outcome_day: dt.date
    outcome_close: float
    move: float  # outcome_close / close - 1
    right: bool
    bar_date: dt.date | None = None  # the bar the call was made after (when the ledger says)

    @property
    def pnl_jpy(self) -> float:
        """The call's P/L on the posted notional, before costs."""
        sign = 1.0 if self.direction == "BUY" else -1.0
        return sign * self.move * self.notional_jpy

    @property
    def always_buy_jpy(self) -> float:
        """Buying the same notional on the same day, before costs."""
        return self.move * self.notional_jpy


class DayOutcome(msgspec.Struct, frozen=True):
    """The outcome of the calls posted for ``as_of`` (a delivery's key day) to one destination."""

    as_of: dt.date
    calls: list[CallOutcome]
    parent_ts: str | None = None  # the post's Slack ts (its thread); None for a webhook

    @property
    def right(self) -> int:
        """How many calls were right."""
        return sum(c.right for c in self.calls)

    @property
    def always_buy_right(self) -> int:
        """How many of the same days closed up."""
        return sum(c.move > 0 for c in self.calls)

    @property
    def pnl_jpy(self) -> float:
        """The calls' P/L together."""
        return sum(c.pnl_jpy for c in self.calls)

    @property
    def always_buy_jpy(self) -> float:
        """Always-buy's P/L on the same notionals."""
        return sum(c.always_buy_jpy for c in self.calls)


def yen(value: float, *, zero: str = "+") -> str:
    """Signed yen to the yen: +¥1,234 / -¥1,234; an amount that rounds to ¥0 takes ``zero`` as its sign."""
    sign = "+" if value > 0.5 else ("-" if value < -0.5 else zero)
    return f"{sign}¥{abs(value):,.0f}"


class Totals(msgspec.Struct, frozen=True):
    """The live record of scored calls against always-buy on the same calls: counts and P/L (posted notional)."""

    calls: int
    right: int
    always_buy_right: int
    pnl_jpy: float
    always_buy_jpy: float
    first: dt.date | None  # the first and last outcome day counted
    last: dt.date | None


def totals(calls: list[CallOutcome]) -> Totals:
    """Sum ``calls`` (``Ledger.scored_positions``) into the live record."""
    days = [c.outcome_day for c in calls]
    return Totals(
        calls=len(calls),
        right=sum(c.right for c in calls),
        always_buy_right=sum(c.move > 0 for c in calls),
        pnl_jpy=sum(c.pnl_jpy for c in calls),
        always_buy_jpy=sum(c.always_buy_jpy for c in calls),
        first=min(days, default=None),
        last=max(days, default=None),
    )
