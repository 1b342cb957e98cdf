"""run_once with a frozen clock: stale data (weekends, Dec 25 and Jan 1 are not trading days) are not posted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fxbot.config import Settings
from fxbot.data.fetch import FetchReport
from fxbot.data.store import PriceStore
from fxbot.errors import ProviderError, StaleDataError
from fxbot.model.ensemble import Ensemble
from fxbot.notify.base import Notifier
from fxbot.pipeline import Dependencies, RunOptions, run_once
from fxbot.signals import Report

from .conftest import SHIPPED_MODELS

UTC = dt.UTC


class Recorder(Notifier):
    """A notifier that keeps what it was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.reports: list[Report] = []
        self.alerts: list[str] = []

    def send_report(self, report: Report) -> str | None:
        self.reports.append(report)
        return None

    def send_alert(self, message: str) -> None:
        self.alerts.append(message)


def _run(
    tmp_path: Path,
    bundled_store: PriceStore,
    last_bar: str,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    max_staleness_days: int = 0,
    fetch: object = None,
) -> tuple[Recorder, Report | None, Exception | None]:
    store = PriceStore(tmp_path / "data")
    store.save("USDJPY", bundled_store.load("USDJPY").up_to(last_bar))
    settings = Settings(pairs=["USDJPY"], data={"dir": store.directory, "max_staleness_days": max_staleness_days})
    recorder = Recorder()
    deps = Dependencies(
        store=store,
        load_ensemble=lambda pair: Ensemble(SHIPPED_MODELS / pair, "litert"),
        notifiers=[recorder],
        now=lambda: now,
        fetch=fetch,  # type: ignore[arg-type]
    )
    try:
        return recorder, run_once(settings, deps, RunOptions(dry_run=dry_run)), None
    except StaleDataError as exc:
        return recorder, None, exc


@pytest.mark.parametrize(
    ("last_bar", "now", "why"),
    [
        ("2024-12-24", dt.datetime(2024, 12, 26, 20, 0, tzinfo=UTC), "Dec 25 is no trading day; Dec 26 not closed yet"),
        ("2024-12-31", dt.datetime(2025, 1, 1, 23, 0, tzinfo=UTC), "Jan 1 is no trading day"),
        ("2024-12-27", dt.datetime(2024, 12, 29, 12, 0, tzinfo=UTC), "Sunday: Friday's bar is the latest"),
        ("2024-12-27", dt.datetime(2024, 12, 30, 21, 59, tzinfo=UTC), "Monday 16:59 New York"),
        ("2024-07-05", dt.datetime(2024, 7, 8, 20, 30, tzinfo=UTC), "Monday 16:30 New York in summer time"),
    ],
)
def test_fresh_data_are_posted(
    tmp_path: Path, bundled_store: PriceStore, last_bar: str, now: dt.datetime, why: str
) -> None:
    recorder, report, error = _run(tmp_path, bundled_store, last_bar, now)
    assert error is None, why
    assert report is not None and not [w for w in report.warnings if "stale" in w]
    assert len(recorder.reports) == 1 and recorder.alerts == []


@pytest.mark.parametrize(
    ("last_bar", "now", "lag"),
    [
        ("2024-12-24", dt.datetime(2024, 12, 26, 22, 1, tzinfo=UTC), 1),  # 17:01 New York on Dec 26
        ("2024-12-27", dt.datetime(2024, 12, 30, 22, 0, tzinfo=UTC), 1),  # Monday's bar has closed
        ("2024-12-20", dt.datetime(2025, 1, 3, 23, 0, tzinfo=UTC), 8),  # 23, 24, 26, 27, 30, 31, Jan 2, 3
    ],
)
def test_stale_data_alert_instead_of_posting(
    tmp_path: Path, bundled_store: PriceStore, last_bar: str, now: dt.datetime, lag: int
) -> None:
    recorder, _report, error = _run(tmp_path, bundled_store, last_bar, now)
    assert isinstance(error, StaleDataError) and error.exit_code == 3
    assert f"the last bar is {last_bar}, {lag} trading day(s) before" in str(error)
    assert recorder.reports == [] and len(recorder.alerts) == 1
    assert recorder.alerts[0].startswith("fxbot did not post calls") and "the data are stale" in recorder.alerts[0]


def test_max_staleness_days_allows_a_lag(tmp_path: Path, bundled_store: PriceStore) -> None:
    now = dt.datetime(2024, 12, 26, 22, 1, tzinfo=UTC)
    recorder, _report, error = _run(tmp_path, bundled_store, "2024-12-24", now, max_staleness_days=1)
    assert error is None and len(recorder.reports) == 1


def test_dry_run_shows_the_calls_with_the_warning(
    tmp_path: Path, bundled_store: PriceStore, capsys: pytest.CaptureFixture[str]
) -> None:
    now = dt.datetime(2025, 1, 3, 23, 0, tzinfo=UTC)
    recorder, _report, error = _run(tmp_path, bundled_store, "2024-12-20", now, dry_run=True)
    assert error is None and recorder.reports == [] and recorder.alerts == []
    out = capsys.readouterr().out
    assert "WARNING: the data are stale: the last bar is 2024-12-20" in out and "USD/JPY" in out


def test_fetch_runs_first_and_its_failure_reaches_the_alert(tmp_path: Path, bundled_store: PriceStore) -> None:
    calls: list[str] = []

    def failing_fetch() -> FetchReport:
        calls.append("fetch")
        raise ProviderError("OANDA: server error HTTP 503 after 3 retries; try again later")

    now = dt.datetime(2024, 12, 26, 22, 1, tzinfo=UTC)
    recorder, _, error = _run(tmp_path, bundled_store, "2024-12-24", now, fetch=failing_fetch)
    assert calls == ["fetch"] and isinstance(error, StaleDataError)
    assert "fetching new bars failed" in recorder.alerts[0] and "HTTP 503" in recorder.alerts[0]

    def good_fetch() -> FetchReport:
        calls.append("fetch")
        return FetchReport("test")

    fresh_now = dt.datetime(2024, 12, 26, 20, 0, tzinfo=UTC)
    recorder, report, error = _run(tmp_path, bundled_store, "2024-12-24", fresh_now, fetch=good_fetch)
    assert error is None and calls == ["fetch", "fetch"] and report is not None
    assert not [w for w in report.warnings if "stale" in w or "fetch" in w]


def test_staleness_is_judged_per_pair(tmp_path: Path, bundled_store: PriceStore) -> None:
    """One pair brought up to date must not make the others' old bars pass as fresh."""
    store = PriceStore(tmp_path / "data")
    store.save("USDJPY", bundled_store.load("USDJPY").up_to("2024-12-31"))
    store.save("EURJPY", bundled_store.load("EURJPY").up_to("2024-12-27"))  # two trading days behind
    settings = Settings(pairs=["USDJPY", "EURJPY"], data={"dir": store.directory})
    recorder = Recorder()
    deps = Dependencies(
        store=store,
        load_ensemble=lambda pair: Ensemble(SHIPPED_MODELS / pair, "litert"),
        notifiers=[recorder],
        now=lambda: dt.datetime(2024, 12, 31, 23, 0, tzinfo=UTC),
    )
    with pytest.raises(StaleDataError, match=r"stale for EURJPY: the last bar is 2024-12-27, 2 trading day"):
        run_once(settings, deps, RunOptions())
    assert recorder.reports == [] and len(recorder.alerts) == 1
