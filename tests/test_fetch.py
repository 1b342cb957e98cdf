"""fxbot fetch: bringing the store up to date from a provider server, and refusing bad answers."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fxbot.data.bars import Bars, make_bars
from fxbot.data.fetch import fetch_pairs, fetch_start
from fxbot.data.providers.base import make_session
from fxbot.data.providers.bundled import BundledProvider
from fxbot.data.providers.oanda import OandaProvider
from fxbot.data.providers.yahoo import YahooProvider
from fxbot.data.store import PriceStore
from fxbot.errors import ProviderError

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli
from .support.market_servers import OANDA_TOKEN, MarketServer, Reply, serve

PAIRS = ["USDJPY", "EURJPY", "GBPJPY"]
CUT = "2024-12-13"  # the test store ends here; the server has the bundled bars up to 2024-12-31


@pytest.fixture
def full(bundled_store: PriceStore) -> dict[str, Bars]:
    return {p: bundled_store.load(p) for p in PAIRS}


@pytest.fixture
def store(tmp_path: Path, full: dict[str, Bars]) -> PriceStore:
    store = PriceStore(tmp_path / "data")
    for pair, bars in full.items():
        store.save(pair, bars.up_to(CUT))
    return store


@pytest.fixture
def server(full: dict[str, Bars]) -> Iterator[MarketServer]:
    with serve({p: b.to_frame().copy() for p, b in full.items()}) as srv:
        yield srv


def snapshot(store: PriceStore) -> dict[str, bytes]:
    return {p: store.path(p).read_bytes() for p in PAIRS}


def oanda(server: MarketServer, retries: int = 1) -> OandaProvider:
    return OandaProvider(make_session(retries, 0.01), server.url, OANDA_TOKEN, timeout=5, retries=retries)


def fetch(store: PriceStore, provider: object, overlap_days: int = 5, max_jump: float = 0.15):  # type: ignore[no-untyped-def]
    return fetch_pairs(store, provider, PAIRS, overlap_days=overlap_days, max_jump=max_jump)  # type: ignore[arg-type]


def test_fetch_brings_the_store_up_to_date_then_finds_nothing(store: PriceStore, server: MarketServer) -> None:
    report = fetch(store, oanda(server))
    for update in report.updates:
        assert update.new_dates[0] == dt.date(2024, 12, 16) and update.new_dates[-1] == dt.date(2024, 12, 31)
        assert len(update.new_dates) == 11 and update.revised_dates == []
        assert update.summary().startswith(f"{update.pair}: 11 new bar(s) (2024-12-16..2024-12-31)")
    for pair in PAIRS:  # the round trip through the OANDA wire format is exact
        assert store.path(pair).read_bytes() == (BUNDLED_DATA / f"{pair}.csv").read_bytes()
    # It asked only from 5 trading days before the last stored bar (2024-12-13): 17:00 NY on Dec 5.
    assert server.requests[0].query["from"] == "2024-12-05T22:00:00.000000000Z"
    mtimes = {p: store.path(p).stat().st_mtime_ns for p in PAIRS}
    again = fetch(store, oanda(server))
    assert not again.changed
    assert [u.summary() for u in again.updates] == [f"{p}: nothing new; last bar 2024-12-31" for p in PAIRS]
    assert {p: store.path(p).stat().st_mtime_ns for p in PAIRS} == mtimes  # not even rewritten


def test_fetch_start_counts_trading_days_back() -> None:
    bars = make_bars([dt.date(2025, 1, 2)], [1.0], [1.0], [1.0], [1.0])
    assert fetch_start(bars, 2) == dt.date(2024, 12, 30)  # skips Jan 1
    assert fetch_start(bars, 0) == dt.date(2025, 1, 2)


def test_revised_bars_in_the_overlap_are_replaced_and_reported(store: PriceStore, server: MarketServer) -> None:
    server.bars["USDJPY"].loc["2024-12-12", "close"] += 0.05
    report = fetch(store, oanda(server))
    usd = report.updates[0]
    assert usd.revised_dates == [dt.date(2024, 12, 12)]
    assert "1 revised bar(s) (2024-12-12)" in usd.summary()
    assert store.load("USDJPY").to_frame().loc["2024-12-12", "close"] == pytest.approx(
        server.bars["USDJPY"].loc["2024-12-12", "close"]
    )
    assert report.updates[1].revised_dates == []


def test_a_40_percent_spike_is_refused_and_nothing_is_written(store: PriceStore, server: MarketServer) -> None:
    before = snapshot(store)
    bars = server.bars["GBPJPY"]
    for column in ("open", "high", "low", "close"):
        bars.loc["2024-12-18", column] *= 1.4
    with pytest.raises(
        ProviderError, match=r"close of 2024-12-18 .* is 39.7% from the previous close .* data.max_jump"
    ):
        fetch(store, oanda(server))
    assert snapshot(store) == before  # USDJPY and EURJPY were fine, yet nothing was written


def test_the_jump_check_includes_the_stored_close(store: PriceStore, server: MarketServer) -> None:
    bars = server.bars["USDJPY"]
    bars.loc["2024-12-16":, ["open", "high", "low", "close"]] *= 0.6  # every new bar 40 % below
    before = snapshot(store)
    with pytest.raises(ProviderError, match=r"close of 2024-12-16 .* previous close .* on 2024-12-13"):
        fetch(store, oanda(server), overlap_days=0)
    assert snapshot(store) == before


def test_bars_on_non_trading_days_are_ignored(store: PriceStore, server: MarketServer) -> None:
    usd = server.bars["USDJPY"]
    christmas = usd.loc[["2024-12-24"]].set_axis(pd.DatetimeIndex([pd.Timestamp("2024-12-25")], name="date"))
    server.bars["USDJPY"] = pd.concat([usd, christmas]).sort_index()
    update = fetch(store, oanda(server)).updates[0]
    assert update.skipped_dates == [dt.date(2024, 12, 25)]
    assert "ignored 1 bar(s) on non-trading days (2024-12-25)" in update.summary()
    assert pd.Timestamp("2024-12-25") not in store.load("USDJPY").to_frame().index


def _bad_candles() -> dict[str, Reply]:
    def candle(**mid: str) -> Reply:
        body = {"candles": [{"complete": True, "volume": 1, "time": "2024-12-15T22:00:00.000000000Z", "mid": mid}]}
        return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    return {
        "429 after retries": Reply(429, b"slow down", {"Retry-After": "0"}),
        "500 after retries": Reply(500, b"internal error"),
        "401": Reply(401, b'{"errorMessage": "Insufficient authorization to perform request."}'),
        "HTML with 200": Reply(200, b"<html><body>We'll be back</body></html>", {"Content-Type": "text/html"}),
        "empty body": Reply(200, b""),
        "truncated JSON": Reply(200, b'{"candles": [{"complete": true, "mid": {"o": "15'),
        "missing field": candle(o="153.1", h="154.0", l="152.0"),
        "non-numeric price": candle(o="153.1", h="x", l="152.0", c="153.5"),
        "non-positive price": candle(o="153.1", h="154.0", l="-1", c="153.5"),
        "high < low": candle(o="153.1", h="152.0", l="154.0", c="153.5"),
    }


@pytest.mark.parametrize("case", list(_bad_candles()))
def test_every_bad_answer_leaves_the_store_untouched(store: PriceStore, server: MarketServer, case: str) -> None:
    reply = _bad_candles()[case]
    server.script.extend([reply] * 3)  # enough to outlast the retries of the retried statuses
    before = snapshot(store)
    with pytest.raises(ProviderError) as info:
        fetch(store, oanda(server, retries=1))
    assert "\n" not in str(info.value) and OANDA_TOKEN not in str(info.value)
    assert snapshot(store) == before


def test_yahoo_nulls_and_forming_bar_then_up_to_date(store: PriceStore, server: MarketServer) -> None:
    now = dt.datetime(2025, 1, 2, 15, 0, tzinfo=dt.UTC)
    server.forming, server.yahoo_now = True, now
    yahoo = YahooProvider(make_session(1, 0.01), server.url, timeout=5, retries=1, now=lambda: now)
    report = fetch(store, yahoo)
    assert all(u.last_bar == dt.date(2024, 12, 31) and len(u.new_dates) == 11 for u in report.updates)
    assert not fetch(store, yahoo).changed


def test_bundled_provider_is_a_no_op_that_says_so(store: PriceStore) -> None:
    before = snapshot(store)
    report = fetch(store, BundledProvider())
    assert report.lines()[0] == "provider bundled: no network; the store is as it is (nothing fetched)"
    assert report.lines()[1] == "USDJPY: not fetched; last bar 2024-12-13"
    assert snapshot(store) == before


# --- the CLI, as a user runs it -------------------------------------------------------------------


def _cli_setup(tmp_path: Path, store: PriceStore, server: MarketServer, **data: object) -> tuple[Path, dict[str, str]]:
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"data": {"dir": str(store.directory), "retries": 1, **data}, "model": {"dir": str(SHIPPED_MODELS)}}
        )
    )
    return config, {"OANDA_API_TOKEN": OANDA_TOKEN, "FXBOT_OANDA_API_URL": server.url}


def test_cli_fetch_twice(tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli) -> None:
    config, env = _cli_setup(tmp_path, store, server)
    first = fxbot_cli("fetch", "--config", str(config), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "provider oanda"
    assert "USDJPY: 11 new bar(s) (2024-12-16..2024-12-31); last bar 2024-12-31" in first.stdout
    second = fxbot_cli("fetch", "--pairs", "usd/jpy", "--config", str(config), env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[1:] == ["USDJPY: nothing new; last bar 2024-12-31"]
    assert OANDA_TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


def test_cli_fetch_refused_answer_exit_3(
    tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli
) -> None:
    config, env = _cli_setup(tmp_path, store, server)
    before = snapshot(store)
    server.token = "another-token"  # the server no longer accepts ours
    result = fxbot_cli("fetch", "--verbose", "--config", str(config), env=env)
    assert result.returncode == 3
    assert "API token was refused (HTTP 401" in result.stderr and "OANDA_API_TOKEN" in result.stderr
    assert OANDA_TOKEN not in result.stdout + result.stderr  # not even in the --verbose log and traceback
    assert snapshot(store) == before
    server.token = OANDA_TOKEN
    server.script.append(Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}))
    html = fxbot_cli("fetch", "--config", str(config), env=env)
    assert html.returncode == 3 and len(html.stderr.strip().splitlines()) == 1 and "HTML page" in html.stderr


def test_cli_oanda_without_token_is_a_config_error(
    tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli
) -> None:
    config, _ = _cli_setup(tmp_path, store, server, provider="oanda")
    result = fxbot_cli("fetch", "--config", str(config))
    assert result.returncode == 2 and "OANDA_API_TOKEN is not set" in result.stderr


def test_cli_yahoo_warns_about_the_day_boundary(
    tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli
) -> None:
    config, _ = _cli_setup(tmp_path, store, server, provider="yahoo")
    result = fxbot_cli("fetch", "--config", str(config), env={"FXBOT_YAHOO_API_URL": server.url})
    assert result.returncode == 0, result.stderr
    assert "WARNING fxbot.data.providers: Yahoo bars run midnight to midnight London time" in result.stderr
    assert "USDJPY: 11 new bar(s)" in result.stdout


def test_run_once_fetches_first_unless_no_fetch(
    tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli
) -> None:
    config, env = _cli_setup(tmp_path, store, server)
    skipped = fxbot_cli("run-once", "--dry-run", "--no-fetch", "--config", str(config), env=env)
    assert skipped.returncode == 0, skipped.stderr
    assert "data up to 2024-12-13" in skipped.stdout and server.requests == []
    fetched = fxbot_cli("run-once", "--dry-run", "--config", str(config), env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert "data up to 2024-12-31" in fetched.stdout and len(server.requests) == 3


def test_run_once_with_a_failing_provider_alerts_and_exits_3(
    tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli
) -> None:
    config, env = _cli_setup(tmp_path, store, server)
    server.token = "another-token"
    result = fxbot_cli("run-once", "--config", str(config), env=env)
    assert result.returncode == 3
    alert = next(line for line in result.stderr.splitlines() if line.startswith("ALERT: fxbot did not post calls"))
    assert "the data are stale" in alert and "token was refused" in alert
    assert "token was refused" in result.stderr and OANDA_TOKEN not in result.stderr


def test_copying_the_bundled_store_is_what_the_fixture_does(tmp_path: Path) -> None:
    # The CLI tests above rely on saved files matching the bundled ones byte for byte.
    copy = PriceStore(tmp_path)
    shutil.copy(BUNDLED_DATA / "USDJPY.csv", tmp_path / "USDJPY.csv")
    copy.save("USDJPY", copy.load("USDJPY"))
    assert (tmp_path / "USDJPY.csv").read_bytes() == (BUNDLED_DATA / "USDJPY.csv").read_bytes()


# --- another instrument's prices under the requested name (issue 12) -------------------------------


def test_another_instruments_prices_under_the_requested_name_are_refused(
    store: PriceStore, server: MarketServer
) -> None:
    # EUR_JPY candles labelled USD_JPY: 4 % from the stored USD/JPY closes, well inside data.max_jump.
    server.serve_instead, server.claim_requested = {"USD_JPY": "EUR_JPY"}, True
    before = snapshot(store)
    with pytest.raises(ProviderError) as info:
        fetch(store, oanda(server))
    message = str(info.value)
    assert "oanda USDJPY: the fetched closes differ from the stored ones by more than 2% on 6 of 6" in message
    assert "they look like EURJPY" in message and "\n" not in message
    assert snapshot(store) == before


def test_cli_fetch_of_another_instrument_exit_3_one_line(
    tmp_path: Path, store: PriceStore, server: MarketServer, fxbot_cli: FxbotCli
) -> None:
    config, env = _cli_setup(tmp_path, store, server)
    server.serve_instead = {"USD_JPY": "EUR_JPY"}
    before = snapshot(store)
    result = fxbot_cli("fetch", "--config", str(config), env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "asked for USD_JPY candles but the answer is for EUR_JPY" in result.stderr
    assert snapshot(store) == before
