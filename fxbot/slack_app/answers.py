"""What `fxbot slack-app` answers, read from local state only (the ledger, data and model files).

``Answers.command`` dispatches the text after ``/fxbot``; ``status`` reuses ``fxbot.status`` (the
lines of `fxbot status`), ``history`` and the App Home read the ledger through its own methods. A
ledger that does not exist yet is never created here: the answer says there is nothing yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from fxbot import sources
from fxbot.config import Settings
from fxbot.errors import FxbotError
from fxbot.ledger import HistoryRow
from fxbot.outcome import Totals, totals
from fxbot.signals import TrackRecord
from fxbot.slack_app import views
from fxbot.slack_app.views import Answer

logger = logging.getLogger(__name__)


class Answers:
    """The read-only answers for one configuration, in ``notify.locale``."""

    def __init__(self, settings: Settings, now: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        self.locale = settings.notify.locale
        self._now = now or (lambda: dt.datetime.now(dt.UTC))

    def command(self, text: str) -> Answer:
        """The answer to ``/fxbot <text>``: status, history [N], week, record, version, help (else: help, naming it)."""
        word, _, rest = text.strip().partition(" ")
        word = word.lower()
        if word in ("", "help"):
            return views.help_answer(self.locale)
        if word == "status":
            return self.status()
        if word == "history":
            days = views.HISTORY_DEFAULT_DAYS
            if rest.strip():
                try:
                    days = int(rest.strip())
                except ValueError:
                    return views.bad_history_count(self.locale)
                if not 1 <= days <= views.HISTORY_MAX_DAYS:
                    return views.bad_history_count(self.locale)
            return self.history(days)
        if word == "record":
            return self.record()
        if word == "version":
            return self.version()
        if word == "week":
            day = None
            if rest.strip():
                try:
                    day = dt.date.fromisoformat(rest.strip())
                except ValueError:
                    return views.bad_week_day(self.locale)
            return week_blocks(self.settings, self._now(), day)
        return views.help_answer(self.locale, unknown=word)

    def status(self) -> Answer:
        """`fxbot status` as Block Kit: the same lines, from the same function."""
        from fxbot.status import status_report
        from fxbot.status_text import status_lines

        result = status_report(self.settings, self._now())
        return views.status_answer(status_lines(result.lines, self.locale), result.exit_code, self.locale)

    def _live(self) -> Totals:
        """The live totals of every scored call (an empty record without a ledger; none is created)."""
        if not self.settings.ledger.path.exists():
            return totals([])
        ledger = sources.ledger(self.settings)
        try:
            return totals(ledger.scored_positions())
        finally:
            ledger.close()

    def record(self) -> Answer:
        """`/fxbot record`: the live record and P/L against always-buy, the walk-forward (a backtest), the page."""
        from fxbot.slack_app.record import record_answer

        evidence = None
        load = sources.evidence_loader(sources.registry(self.settings))
        for code in self.settings.pairs:
            evidence = load(code)
            if evidence is not None:
                break
        site = self.settings.site
        where = site.url or (f"{site.dir.rstrip('/')}/index.html" if site.dir else "")
        return record_answer(self._live(), evidence, where, self.locale)

    def version(self) -> Answer:
        """`/fxbot version`: fxbot's and Python's versions and each pair's champion."""
        import platform

        from fxbot import __version__
        from fxbot.model.artifacts import read_manifest
        from fxbot.slack_app.record import version_answer

        registry, models = sources.registry(self.settings), []
        for code in self.settings.pairs:
            try:
                manifest = read_manifest(registry.champion_folder(code), pair=code)
            except FxbotError as exc:
                logger.warning("slack-app: %s", exc)
                continue
            models.append((code, manifest.version, manifest.train_end))
        return version_answer(__version__, platform.python_version(), models, self.locale)

    def _read_ledger(self, days: int | None) -> tuple[list[HistoryRow], dict[str, TrackRecord]]:
        if not self.settings.ledger.path.exists():
            return [], {}
        ledger = sources.ledger(self.settings)
        try:
            return ledger.history(days), ledger.accuracy_by_pair()
        finally:
            ledger.close()

    def history(self, days: int) -> Answer:
        """The calls of the latest ``days`` bar days with outcome and delivery (as `fxbot history --days`)."""
        rows, accuracy = self._read_ledger(days)
        return views.history_answer(rows, accuracy, days, self.locale)

    def home(self) -> dict[str, Any]:
        """The App Home view: the latest calls and their risk, the record against always-buy, the health lines."""
        from fxbot.status import status_report

        rows, _ = self._read_ledger(None)
        latest_day = max((r.bar_date for r in rows), default=None)
        latest = [r for r in rows if r.bar_date == latest_day]
        positions: list[tuple[str, str, float, float]] = []
        book = None
        if latest_day is not None:
            ledger = sources.ledger(self.settings)
            try:
                positions = ledger.positions(latest_day)
                book = ledger.book_risk(latest_day)
            finally:
                ledger.close()
        from fxbot.slack_app.record import live_lines
        from fxbot.status_text import status_lines

        now = self._now()
        result = status_report(self.settings, now)
        versus = views.versus_always_buy(rows)
        live = self._live()
        pnl = live_lines(live, self.locale)[1:]  # the P/L line (the counts are the record line above)
        lines = status_lines(result.lines, self.locale)
        site = self.settings.site.url.rstrip("/")
        chart = f"{site}/live-equity.png" if site and live.calls else None  # written by `fxbot site` beside the page
        return views.home_view(latest, versus, lines, result.exit_code, self.locale, now, positions, book, pnl, chart)

    def last_finished_run(self) -> str | None:
        """The id and status of the newest run once it has ended (None: running, none, or no ledger); cheap to poll."""
        if not self.settings.ledger.path.exists():
            return None
        ledger = sources.ledger(self.settings)
        try:
            runs = ledger.runs(1)
            if not runs or runs[0]["status"] == "running":
                return None
            return f"{runs[0]['id']}:{runs[0]['status']}"
        except FxbotError as exc:
            logger.warning("slack-app: the ledger could not be read for the App Home: %s", exc)
            return None
        finally:
            ledger.close()


def week_blocks(settings: Settings, now: dt.datetime, day: dt.date | None = None) -> Answer:
    """`/fxbot week [DATE]`: the weekly summary of DATE's week, or of the newest week that has closed.

    The same builder and renderers as the weekly post (``fxbot.weekly.build_summary``,
    ``fxbot.notify.messages.summary_blocks``), read-only: the ledger's calls as they are, none scored here,
    and a ledger that does not exist yet is not created (the summary then has no calls).
    """
    from fxbot.calendar import last_completed_trading_day
    from fxbot.ledger import NullLedger
    from fxbot.notify.messages import summary_blocks, summary_text
    from fxbot.weekly import SummaryDependencies, build_summary, latest_closed_week

    week_of = day or latest_closed_week(last_completed_trading_day(now))
    ledger = sources.ledger(settings) if settings.ledger.path.exists() else NullLedger()
    try:
        deps = SummaryDependencies(store=sources.store(settings), ledger=ledger, now=lambda: now)
        summary = build_summary(settings, deps, week_of, score=False)
    finally:
        ledger.close()
    locale = settings.notify.locale
    return Answer(summary_text(summary, locale), summary_blocks(summary, locale))
