"""fxbot fetch: ask the provider for the bars after the last stored one, check them, merge, write.

Per pair: request from the last stored bar minus ``data.overlap_days`` trading days (the overlap
detects revised bars), drop bars on non-trading days, validate, refuse an overlap whose closes are
more than ``OVERLAP_MISMATCH`` from the stored ones on most days (another instrument's prices under
this pair's name: the message says which stored pair they look like), refuse a close more than
``data.max_jump`` from the previous close (the stored one included), and merge. The rules are
those of ``fxbot.data.guards``, which ``import-csv`` applies too. Every pair is
fetched and checked before any file is written, so a bad answer for one pair leaves every file as
it was; each write is atomic (``PriceStore.save``). A second run right after the first finds
nothing new and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import msgspec
import numpy as np

from fxbot.calendar import previous_trading_day
from fxbot.config import Settings
from fxbot.data.bars import Bars, as_date, validate_bars
from fxbot.data.guards import close_gap, closest_pair, first_jump, trading_mask
from fxbot.data.providers.base import Provider
from fxbot.data.store import MergeResult, PriceStore, merge_bars
from fxbot.errors import DataError, ProviderError

logger = logging.getLogger(__name__)

# Where a pair with no stored bars starts: the bundled history's first year.
DEFAULT_HISTORY_START = dt.date(2006, 1, 2)
# Relative price difference that makes an overlapping bar "revised" (rounding noise is not a revision).
REVISION_TOLERANCE = 1e-9
# Revisions move a close by a few pips; another instrument (EUR/JPY for USD/JPY) is percents away.
OVERLAP_MISMATCH = 0.02


class PairUpdate(msgspec.Struct, frozen=True):
    """What fetching did to one pair."""

    pair: str
    requested_from: dt.date
    received: int
    new_dates: list[dt.date]
    revised_dates: list[dt.date]
    skipped_dates: list[dt.date]
    last_bar: dt.date | None
    fetched: bool = True

    @property
    def changed(self) -> bool:
        """True if the pair's file was (or would be) rewritten."""
        return bool(self.new_dates or self.revised_dates)

    def summary(self) -> str:
        """One line for the user."""
        last = self.last_bar.isoformat() if self.last_bar else "none"
        if not self.fetched:
            return f"{self.pair}: not fetched; last bar {last}"
        parts = []
        if self.new_dates:
            parts.append(f"{len(self.new_dates)} new bar(s) {_span(self.new_dates)}")
        if self.revised_dates:
            parts.append(f"{len(self.revised_dates)} revised bar(s) {_span(self.revised_dates)}")
        if not parts:
            parts.append("nothing new")
        if self.skipped_dates:
            parts.append(f"ignored {len(self.skipped_dates)} bar(s) on non-trading days {_span(self.skipped_dates)}")
        return f"{self.pair}: {'; '.join(parts)}; last bar {last}"


class FetchReport(msgspec.Struct, frozen=True):
    """What one fetch did, per pair."""

    provider: str
    updates: list[PairUpdate] = msgspec.field(default_factory=list)
    note: str = ""

    @property
    def changed(self) -> bool:
        """True if any file changed."""
        return any(u.changed for u in self.updates)

    def lines(self) -> list[str]:
        """The report as lines for the console."""
        head = [f"provider {self.provider}" + (f": {self.note}" if self.note else "")]
        return head + [u.summary() for u in self.updates]


def _span(dates: Sequence[dt.date]) -> str:
    first, last = min(dates), max(dates)
    return f"({first.isoformat()})" if first == last else f"({first.isoformat()}..{last.isoformat()})"


def fetch_start(stored: Bars, overlap_days: int) -> dt.date:
    """The first trading day to ask for: ``overlap_days`` trading days before the last stored bar's successor."""
    if stored.empty:
        return DEFAULT_HISTORY_START
    day = stored.last_date
    for _ in range(overlap_days):
        day = previous_trading_day(day)
    return day


def check_jumps(merged: Bars, first_new: dt.date, max_jump: float, source: str) -> None:
    """Refuse any close from ``first_new`` on that is more than ``max_jump`` from the close before it."""
    jump = first_jump(merged, merged.dates >= np.datetime64(first_new, "D"), max_jump)
    if jump is not None:
        raise ProviderError(
            f"{source}: {jump.describe(max_jump)}; the store is unchanged. If the move is real, raise "
            "data.max_jump and fetch again"
        )


def check_overlap(
    stored: Bars, incoming: Bars, source: str, others: Callable[[], Mapping[str, Bars]], pair: str, path: Path
) -> None:
    """Refuse ``incoming`` when its closes differ from the stored ones by more than ``OVERLAP_MISMATCH`` on most
    common days; ``others`` gives the other stored pairs, to say which one the prices look like."""
    gap = close_gap(incoming, stored)
    far = gap.beyond(OVERLAP_MISMATCH)
    if not gap.common or far * 2 <= gap.common:
        return
    looks = closest_pair(incoming, {pair: stored, **others()})
    like = f"; they look like {looks[0]} ({looks[1].median:.2%} apart)" if looks and looks[0] != pair else ""
    raise ProviderError(
        f"{source}: the fetched closes differ from the stored ones by more than {OVERLAP_MISMATCH:.0%} on {far} of "
        f"{gap.common} overlapping day(s) (median {gap.median:.1%}){like}; the provider answered another "
        "instrument, or the stored file holds another pair. The store is unchanged: check the provider URL, "
        f"or restore {path} (fxbot import-csv FILE --pair {pair} --replace)"
    )


def _plan_pair(
    store: PriceStore, provider: Provider, pair: str, overlap_days: int, max_jump: float, pairs: Sequence[str]
) -> tuple[PairUpdate, MergeResult]:
    stored = store.load_or_empty(pair)
    start = fetch_start(stored, overlap_days)
    source = f"{provider.name} {pair}"
    incoming = provider.fetch(pair, start)
    trading = trading_mask(incoming.dates)
    skipped = [as_date(d) for d in incoming.dates[~trading]]
    incoming = incoming.take(trading)
    try:
        validate_bars(incoming, source)
    except DataError as exc:
        raise ProviderError(str(exc)) from None

    def others() -> dict[str, Bars]:
        return {p: store.load(p) for p in pairs if p != pair and store.exists(p)}

    check_overlap(stored, incoming, source, others, pair, store.path(pair))
    result = merge_bars(stored, incoming, tolerance=REVISION_TOLERANCE)
    if len(incoming):
        check_jumps(result.bars, incoming.first_date, max_jump, source)
    new_dates = [as_date(d) for d in result.new_dates]
    revised = [as_date(d) for d in result.revised_dates]
    last = result.bars.last_date if len(result.bars) else None
    update = PairUpdate(pair, start, len(incoming), new_dates, revised, skipped, last)
    return update, result


def fetch_pairs(
    store: PriceStore,
    provider: Provider,
    pairs: Sequence[str],
    *,
    overlap_days: int,
    max_jump: float,
    write: bool = True,
) -> FetchReport:
    """Bring ``pairs`` up to date from ``provider``; nothing is written unless every pair checks out."""
    if not provider.network:
        updates = []
        for pair in pairs:
            stored = store.load_or_empty(pair)
            last = stored.last_date if len(stored) else None
            updates.append(PairUpdate(pair, fetch_start(stored, 0), 0, [], [], [], last, fetched=False))
        return FetchReport(provider.name, updates, "no network; the store is as it is (nothing fetched)")
    planned = [_plan_pair(store, provider, pair, overlap_days, max_jump, pairs) for pair in pairs]
    if write:
        for update, result in planned:
            if update.changed:
                store.save(update.pair, result.bars)
                logger.info("%s", update.summary())
    return FetchReport(provider.name, [u for u, _ in planned])


def fetch_for_settings(
    settings: Settings, store: PriceStore, provider: Provider, pairs: Sequence[str] | None = None
) -> FetchReport:
    """`fxbot fetch` for ``settings``: ``provider`` (from ``fxbot.wiring``) into ``store``, for ``pairs`` or all."""
    return fetch_pairs(
        store,
        provider,
        list(pairs or settings.pairs),
        overlap_days=settings.data.overlap_days,
        max_jump=settings.data.max_jump,
    )
