"""`fxbot site`: one self-contained page, checked in headless Chromium (Debian's package, driven by Playwright).

The numbers on the page are compared with the ledger's, summed here in SQL. In CI (``CI=true``) a missing
Chromium fails the test instead of skipping it: `.ci/run` installs Debian's ``chromium``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fxbot import wiring
from fxbot.calendar import next_trading_day
from fxbot.config import Secrets, settings_from_mapping
from fxbot.ledger import Ledger
from fxbot.pipeline import RunOptions, run_once
from fxbot.risk import exceedances

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, FxbotCli, invoke_fxbot
from .test_import_rules import HEAVY, _config, _modules_after, _top_level

CHROMIUM = os.environ.get("FXBOT_CHROMIUM", "/usr/bin/chromium")
DAYS = 25  # live days: 24 scored x 3 pairs, enough for the rolling window of 20


def _raw(folder: Path) -> dict[str, Any]:
    return {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(folder / "state" / "ledger.sqlite")},
    }


@pytest.fixture(scope="module")
def ledger_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger of DAYS live daily runs (console only), each the evening after its bar day."""
    folder = tmp_path_factory.mktemp("site")
    settings = settings_from_mapping(_raw(folder))
    day = dt.date(2024, 10, 1)
    for _ in range(DAYS):
        deps = wiring.daily_dependencies(settings, Secrets())
        deps.now = lambda day=day: dt.datetime.combine(next_trading_day(day), dt.time(1), dt.UTC)
        run_once(settings, deps, RunOptions(as_of=day, fetch=False))
        deps.ledger.close()
        day = next_trading_day(day)
    (folder / "config.yaml").write_text(yaml.safe_dump(_raw(folder)))
    return folder


def _site(folder: Path, out: Path, *extra: str) -> Path:
    run = invoke_fxbot("site", str(out), "--config", str(folder / "config.yaml"), *extra, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"fxbot: wrote {out / 'index.html'} (")
    return out / "index.html"


def _yen(value: float) -> str:
    rounded = round(value)
    return f"{'-' if rounded < 0 else '+'}¥{abs(rounded):,}"


def _ledger_figures(folder: Path) -> dict[str, dict[str, str]]:
    """Per pair and for all: scored calls, right, P/L and always-buy's P/L, summed in SQL from the ledger."""
    with sqlite3.connect(folder / "state" / "ledger.sqlite") as db:
        rows = db.execute(
            "SELECT pair, COUNT(*), SUM(right),"
            " SUM(CASE direction WHEN 'BUY' THEN 1 ELSE -1 END * notional_jpy * move),"
            " SUM(notional_jpy * move), SUM(move > 0) FROM signals WHERE right IS NOT NULL GROUP BY pair"
        ).fetchall()
    out = {p: {"calls": str(n), "right": str(r), "pnl": _yen(x), "buy-pnl": _yen(b)} for p, n, r, x, b, _ in rows}
    out["all"] = {
        "calls": str(sum(r[1] for r in rows)),
        "right": str(sum(r[2] for r in rows)),
        "pnl": _yen(sum(r[3] for r in rows)),
        "buy-pnl": _yen(sum(r[4] for r in rows)),
        "buy-right": str(sum(r[5] for r in rows)),
    }
    return out


def test_the_page_is_one_self_contained_file_with_charts_and_always_buy(ledger_folder: Path, tmp_path: Path) -> None:
    page = _site(ledger_folder, tmp_path / "out")
    text = page.read_text(encoding="utf-8")
    # no asset the page needs beside it, no temporary file; the PNG is for Slack's App Home only
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html", "live-equity.png"]
    assert (page.parent / "live-equity.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "live-equity.png" not in text
    assert text.count("<svg") == 3  # live equity, rolling accuracy, the walk-forward
    assert "always-buy" in text and "Walk-forward: a backtest, not live" in text
    # nothing is fetched: no script, no stylesheet or image link, no URL other than the SVG namespaces
    assert "<script" not in text and "<link" not in text and "<img" not in text
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls  # namespaces, not fetched
    assert "default-src 'none'" in text
    assert 50_000 < page.stat().st_size < 1_000_000


def test_an_index_html_fxbot_did_not_write_is_never_replaced(
    ledger_folder: Path, tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    out = tmp_path / "www"
    out.mkdir()
    (out / "index.html").write_text("<html>someone's own page</html>")
    run = fxbot_cli("site", str(out), "--config", str(ledger_folder / "config.yaml"), cwd=REPO)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith(f"fxbot: error: {out / 'index.html'} exists and was not")
    assert (out / "index.html").read_text() == "<html>someone's own page</html>"
    assert [p.name for p in out.iterdir()] == ["index.html"]  # nothing written beside it either
    missing = fxbot_cli("site", "--config", str(ledger_folder / "config.yaml"), cwd=REPO)
    assert missing.returncode == 2 and "set site.dir in the config" in missing.stderr


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian's package; skipped locally without it, a failure in CI."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def _open(browser: Any, page_file: Path) -> tuple[Any, list[str], list[str]]:
    """The page loaded from disk; (page, console messages and page errors, URLs requested)."""
    page = browser.new_page()
    messages: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on("request", lambda r: requested.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    return page, messages, requested


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_in_chromium_the_numbers_equal_the_ledgers(
    browser: Any, ledger_folder: Path, tmp_path: Path, locale: str
) -> None:
    page_file = _site(ledger_folder, tmp_path / locale, "--locale", locale)
    page, messages, requested = _open(browser, page_file)
    assert messages == []  # no console error, warning or log, no uncaught error
    assert requested == [page_file.as_uri()]  # it opens from disk and fetches nothing else
    assert page.locator("html").get_attribute("lang") == locale
    expected = _ledger_figures(ledger_folder)
    assert int(expected["all"]["calls"]) == (DAYS - 1) * 3
    assert page.locator("#live-calls").inner_text() == expected["all"]["calls"]
    assert page.locator("#live-right").inner_text() == expected["all"]["right"]
    assert page.locator("#live-buy-right").inner_text() == expected["all"]["buy-right"]
    assert page.locator("#live-pnl").inner_text() == expected["all"]["pnl"]
    assert page.locator("#live-buy-pnl").inner_text() == expected["all"]["buy-pnl"]
    for pair, figures in expected.items():
        for field in ("calls", "right", "pnl", "buy-pnl"):
            cell = page.locator(f'#pairs [data-pair="{pair}"][data-field="{field}"]')
            assert cell.inner_text() == figures[field], (pair, field)
    # the charts are drawn: three SVGs with their curves
    assert page.locator("figure svg").count() == 3
    assert page.locator("#rolling svg path").count() > 5
    # risk: the latest book's figures as recorded, and the exceedances counted as `fxbot history` counts them
    ledger = Ledger(ledger_folder / "state" / "ledger.sqlite")
    try:
        book, record = ledger.book_risk(), ledger.var_record()
    finally:
        ledger.close()
    assert book is not None and book.loss_20d_jpy is not None
    risk = page.locator("#risk-book").inner_text()
    assert f"¥{book.loss_20d_jpy:,.0f}" in risk and book.bar_date.isoformat() in risk
    shown = [(b.loss_1d_jpy, -pnl) for b, pnl in record if b.loss_1d_jpy is not None]
    x, n, p_value = exceedances([loss for _, loss in shown], [fig for fig, _ in shown])
    said = page.locator("#risk-exceedances").inner_text()
    if locale == "en":
        assert f"exceeded on {x} of {n} scored days" in said and f"Kupiec p={p_value:.2f}" in said
        assert page.locator("#verdict").inner_text().startswith("No edge: in the walk-forward (a backtest)")
        assert "a backtest, not live" in page.locator("#backtest").inner_text()
    else:
        assert f"評価済み {n}日中 {x}日" in said and f"Kupiec p値 {p_value:.2f}" in said
        assert page.locator("#verdict").inner_text().startswith("優位性なし")
        assert "バックテスト" in page.locator("h2", has_text="ウォークフォワード").inner_text()
    versions = page.locator("#models").inner_text()
    assert "USDJPY-20241231-0c103168" in versions and "2024-12-31" in versions
    page.close()


def test_a_run_with_site_dir_writes_the_page_after_it_without_importing_matplotlib(tmp_path: Path) -> None:
    config = _config(tmp_path)
    site = tmp_path / "www"
    config.write_text(config.read_text() + f"site:\n  dir: {site}\n")
    shutil.copytree(REPO / "reports" / "backtest-2008-2024", tmp_path / "reports" / "backtest-2008-2024")
    args = ["run-once", "--no-fetch", "--as-of", "2024-12-31", "--force", "--config", str(config)]
    modules = _modules_after(args, tmp_path)
    assert _top_level(modules) & {*HEAVY, "dataclasses"} == set()  # the page is made in a child process
    text = (site / "index.html").read_text(encoding="utf-8")
    assert '<meta name="generator" content="fxbot site">' in text and "<svg" in text


def test_without_matplotlib_the_page_and_the_slack_chart_say_which_extra_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """matplotlib is the ``charts`` extra: `fxbot site` exits 2 with one line naming it, writing nothing, and a
    run with notify.slack.chart on posts its calls without the chart and says why in one warning line."""
    import sys

    from fxbot.cli import main
    from fxbot.extras import install_hint

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed: find_spec says None
    out = tmp_path / "www"
    assert main(["site", str(out), "--config", str(_config(tmp_path))]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"matplotlib, which is not installed: {install_hint('charts')}" in line and not out.exists()
    config = tmp_path / "chart.yaml"
    config.write_text(_config(tmp_path).read_text() + "notify:\n  slack:\n    chart: true\n")
    assert main(["run-once", "--dry-run", "--no-fetch", "--as-of", "2024-12-31", "--config", str(config)]) == 0
    assert "USD/JPY" in capsys.readouterr().out
    said = [r.getMessage() for r in caplog.records if "notify.slack.chart is on, but matplotlib" in r.getMessage()]
    assert len(said) == 1 and install_hint("charts") in said[0] and "posted without it" in said[0]
