"""What the track-record page shows, read once from where the rest of fxbot keeps it: the ledger's scored calls
and risk record, the champions' evidence and manifests, the promotions log and the walk-forward's ``calls.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fxbot.errors import DataError
from fxbot.outcome import CallOutcome
from fxbot.risk import exceedances

if TYPE_CHECKING:
    from fxbot.config import Settings
    from fxbot.ledger import BookRisk
    from fxbot.signals import Evidence

logger = logging.getLogger(__name__)

DEFAULT_REPORT = Path("reports/backtest-2008-2024")


class Champion(msgspec.Struct, frozen=True):
    """A pair's model in use."""

    pair: str
    version: str
    train_end: str
    created_at: str


class Promotion(msgspec.Struct, frozen=True):
    """One line of the promotions log."""

    at: str
    pair: str
    action: str
    from_version: str | None
    to_version: str | None
    by: str


class Backtest(msgspec.Struct, frozen=True):
    """The walk-forward's daily P/L of following the vote and of always-buy, pooled, and per pair's counts."""

    first: dt.date
    last: dt.date
    days: list[dt.date]
    pnl: list[float]  # per day, all pairs, at today's leverage x equity, before costs
    buy_pnl: list[float]
    calls: dict[str, tuple[int, int, int]]  # pair -> (calls, right, always-buy right)


class SiteData(msgspec.Struct, frozen=True):
    """Everything the page shows, read once."""

    generated: dt.datetime
    equity_jpy: float
    live: list[CallOutcome]
    evidence: dict[str, Evidence]
    book: BookRisk | None
    var_days: int
    var_exceeded: int
    var_p: float
    champions: list[Champion]
    promotions: list[Promotion]
    backtest: Backtest | None
    report: str


def read_backtest(report: Path, settings: Settings) -> Backtest | None:
    """The walk-forward's calls from ``report/calls.csv`` (None if there is none): the members' majority per day."""
    path = report / "calls.csv"
    if not path.is_file():
        return None
    by_day: dict[dt.date, list[float]] = {}
    counts: dict[str, list[int]] = {}
    equity = settings.account.equity_jpy
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pair = row["pair"]
            if pair not in settings.pairs:
                continue
            try:
                votes = sum(float(row[f"member_{i}"]) > 0.5 for i in range(5))
                move = float(row["next_close"]) / float(row["close"]) - 1.0
                day = dt.date.fromisoformat(row["next_date"])
            except (KeyError, ValueError) as exc:
                raise DataError(f"{path}: a row cannot be read ({exc}); rewrite it with `fxbot backtest`") from None
            sign = 1.0 if votes >= 3 else -1.0
            notional = settings.leverage_for(pair) * equity
            pnl, buy = by_day.setdefault(day, [0.0, 0.0]), counts.setdefault(pair, [0, 0, 0])
            pnl[0] += sign * move * notional
            pnl[1] += move * notional
            buy[0] += 1
            buy[1] += int(sign * move > 0)
            buy[2] += int(move > 0)
    if not by_day:
        return None
    days = sorted(by_day)
    return Backtest(
        first=days[0],
        last=days[-1],
        days=days,
        pnl=[by_day[d][0] for d in days],
        buy_pnl=[by_day[d][1] for d in days],
        calls={p: (c[0], c[1], c[2]) for p, c in counts.items()},
    )


def gather(settings: Settings, report: Path = DEFAULT_REPORT, now: dt.datetime | None = None) -> SiteData:
    """Read the ledger (never created here), the champions' evidence and manifests, the promotions log, the report."""
    from fxbot import sources
    from fxbot.errors import FxbotError
    from fxbot.model.artifacts import read_manifest

    live: list[CallOutcome] = []
    book, var_days, var_exceeded, var_p = None, 0, 0, math.nan
    if settings.ledger.path.exists():
        ledger = sources.ledger(settings)
        try:
            live = ledger.scored_positions()
            book = ledger.book_risk()
            shown = [(b.loss_1d_jpy, -pnl) for b, pnl in ledger.var_record() if b.loss_1d_jpy is not None]
            var_exceeded, var_days, var_p = exceedances([loss for _, loss in shown], [fig for fig, _ in shown])
        finally:
            ledger.close()
    registry = sources.registry(settings)
    load_evidence = sources.evidence_loader(registry)
    evidence: dict[str, Evidence] = {}
    champions = []
    for code in settings.pairs:
        found = load_evidence(code)
        if found is not None:
            evidence[code] = found
        try:
            manifest = read_manifest(registry.champion_folder(code), pair=code)
        except FxbotError as exc:
            logger.warning("site: %s", exc)
            continue
        champions.append(Champion(code, manifest.version, manifest.train_end, manifest.created_at))
    promotions = [
        Promotion(e.at, e.pair, e.action, e.from_version, e.to_version, e.by) for e in reversed(registry.history())
    ]
    return SiteData(
        generated=now or dt.datetime.now(dt.UTC),
        equity_jpy=settings.account.equity_jpy,
        live=live,
        evidence=evidence,
        book=book,
        var_days=var_days,
        var_exceeded=var_exceeded,
        var_p=var_p,
        champions=champions,
        promotions=promotions[:30],
        backtest=read_backtest(report, settings),
        report=str(report),
    )


def live_series(calls: Sequence[CallOutcome]) -> tuple[list[dt.date], list[float], list[float]]:
    """(outcome days, P/L of following the calls that day, always-buy's) from the scored calls."""
    by_day: dict[dt.date, list[float]] = {}
    for c in calls:
        day = by_day.setdefault(c.outcome_day, [0.0, 0.0])
        day[0] += c.pnl_jpy
        day[1] += c.always_buy_jpy
    days = sorted(by_day)
    return days, [by_day[d][0] for d in days], [by_day[d][1] for d in days]
