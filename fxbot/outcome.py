"""A posted day's outcome: what each call did once its next bar was stored, and how it reads (en, ja).

``DayOutcome`` is built by the ledger (``Ledger.outcomes_due``) from the calls a channel received
and their realised moves; the renderers here are pure (no I/O), so the Slack notifier (a reply in
the post's thread), a webhook's next post (one compact line) and the console can all use them.

P/L is the price move on the notional that was posted (leverage x equity), before costs and
rollover: the reader's own arithmetic on the post. Always-buy is the same notional bought on the
same day. A call for day D is held from D's New York close to the next trading day's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from fxbot.pairs import get_pair

Block = dict[str, Any]

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


class _Words(msgspec.Struct, frozen=True):
    title: str
    call: str
    total: str
    compact: str
    basis: str
    right: str
    wrong: str
    buy: str
    sell: str
    times: str


_WORDS = {
    "en": _Words(
        title="Outcome of the calls as of {day}",
        call="{pair} {call} {votes}: {result} · move {move} · P/L {pnl} at {lev} · always-buy {buy}",
        total="All: {right}/{n} right · P/L {pnl} · always-buy {buy} ({buy_right}/{n} right)",
        compact="Outcome of the calls as of {day}: {right}/{n} right, P/L {pnl} (always-buy {buy})",
        basis="P/L on the notional posted (leverage x equity), close to close, before costs. Not investment advice.",
        right=":white_check_mark: right",
        wrong=":x: wrong",
        buy="BUY",
        sell="SELL",
        times="x",
    ),
    "ja": _Words(
        title="{day} 時点のシグナルの結果",
        call="{pair} {call} {votes}: {result} · 値動き {move} · 損益 {pnl}（{lev}）· 常に買い {buy}",
        total="合計: {n}件中{right}件的中 · 損益 {pnl} · 常に買い {buy}（{n}件中{buy_right}件的中）",
        compact="{day} 時点のシグナルの結果: {n}件中{right}件的中、損益 {pnl}（常に買い {buy}）",
        basis="損益は投稿した想定元本（レバレッジ×自己資本）での終値から終値までの値、取引コスト控除前。投資助言ではありません。",
        right=":white_check_mark: 的中",
        wrong=":x: 外れ",
        buy="買い",
        sell="売り",
        times="倍",
    ),
}


def _words(locale: str) -> _Words:
    return _WORDS.get(locale, _WORDS["en"])


def yen(value: float) -> str:
    """Signed yen: +¥1,234 / -¥1,234."""
    rounded = round(value)
    return f"{'-' if rounded < 0 else '+'}¥{abs(rounded):,.0f}"


def call_line(call: CallOutcome, locale: str = "en") -> str:
    """One pair's outcome on one line."""
    w = _words(locale)
    return w.call.format(
        pair=get_pair(call.pair).display,
        call=w.buy if call.direction == "BUY" else w.sell,
        votes=f"{call.votes}/{call.members}",
        result=w.right if call.right else w.wrong,
        move=f"{call.move:+.2%}",
        pnl=yen(call.pnl_jpy),
        lev=f"{call.leverage:.2f}{w.times}",
        buy=yen(call.always_buy_jpy),
    )


def total_line(outcome: DayOutcome, locale: str = "en") -> str:
    """All pairs together."""
    w = _words(locale)
    return w.total.format(
        right=outcome.right,
        n=len(outcome.calls),
        pnl=yen(outcome.pnl_jpy),
        buy=yen(outcome.always_buy_jpy),
        buy_right=outcome.always_buy_right,
    )


def outcome_text(outcome: DayOutcome, locale: str = "en") -> str:
    """The thread reply as plain text (the notification's fallback, and the console)."""
    w = _words(locale)
    lines = [w.title.format(day=outcome.as_of.isoformat())]
    lines += [call_line(c, locale) for c in outcome.calls]
    lines += [total_line(outcome, locale), w.basis]
    return "\n".join(lines)


def outcome_blocks(outcome: DayOutcome, locale: str = "en") -> list[Block]:
    """The thread reply as Block Kit: a title, a line per pair, the total, the basis."""
    w = _words(locale)
    pairs = "\n".join(call_line(c, locale) for c in outcome.calls)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{w.title.format(day=outcome.as_of.isoformat())}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": pairs[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{total_line(outcome, locale)}*"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": w.basis}]},
    ]


def compact_line(outcome: DayOutcome, locale: str = "en") -> str:
    """One line for the next day's post where a reply cannot be threaded (an incoming webhook)."""
    w = _words(locale)
    return w.compact.format(
        day=outcome.as_of.isoformat(),
        right=outcome.right,
        n=len(outcome.calls),
        pnl=yen(outcome.pnl_jpy),
        buy=yen(outcome.always_buy_jpy),
    )


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
