"""`fxbot check` tries what a deployment needs: the OANDA token and host, write access, every member.

OANDA is the loopback stand-in; nothing here touches the internet. ``NOW`` is the morning after the
bundled history's last bar, so the data are up to date and only the fault under test is a problem.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fxbot.check import run_checks
from fxbot.cli import main
from fxbot.config import Secrets, SecretStr, Settings, settings_from_mapping
from fxbot.data.store import PriceStore
from fxbot.extras import install_hint

from .conftest import BUNDLED_DATA, SHIPPED_MODELS
from .support.market_servers import OANDA_TOKEN, MarketServer

NOW = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)  # the bundled bars end on 2024-12-31


def _settings(tmp_path: Path, **sections: Any) -> Settings:
    raw: dict[str, Any] = {
        "data": {"dir": str(BUNDLED_DATA), "retries": 0, "timeout_seconds": 2},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
    }
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return settings_from_mapping(raw)


def _problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("PROBLEM ")]


@pytest.fixture
def oanda(bundled_store: PriceStore) -> Iterator[MarketServer]:
    server = MarketServer({code: bundled_store.load(code) for code in ("USDJPY", "EURJPY", "GBPJPY")}).start()
    try:
        yield server
    finally:
        server.stop()


def _oanda_secrets(url: str, token: str = OANDA_TOKEN) -> Secrets:
    return Secrets(oanda_api_token=SecretStr(token), oanda_api_url=url)


def test_everything_fine_is_exit_0_and_says_config_ok_first(tmp_path: Path) -> None:
    result = run_checks(_settings(tmp_path), Secrets(), NOW, config_source="my.yaml")
    assert result.exit_code == 0, result.lines
    assert result.lines[0] == "config: ok (my.yaml)" and _problems(result.lines) == []
    for code in ("USDJPY", "EURJPY", "GBPJPY"):
        [line] = [ln for ln in result.lines if ln.startswith(f"model: {code}: ")]
        assert "5 members" in line and "all loaded (litert) and run on 2024-12-31: P(up) 0." in line
    assert any(ln.startswith("ledger: ") and "(created by the first run)" in ln for ln in result.lines)
    assert not (tmp_path / "state").exists()  # judged by its parent; nothing is left behind


# -- OANDA: one small request tries the token and the host -------------------------------------------


def test_check_tries_the_oanda_token_and_host_with_one_request(tmp_path: Path, oanda: MarketServer) -> None:
    settings = _settings(tmp_path, data={"provider": "oanda"})
    result = run_checks(settings, _oanda_secrets(oanda.url), NOW)
    assert result.exit_code == 0, result.lines
    assert "data provider: oanda token and host ok (4 daily bar(s) of USDJPY since 2024-12-25)" in result.lines
    [request] = oanda.requests
    assert request.path == "/v3/instruments/USD_JPY/candles"


def test_a_refused_oanda_token_is_one_problem_line_without_the_token(tmp_path: Path, oanda: MarketServer) -> None:
    settings = _settings(tmp_path, data={"provider": "auto"})  # auto picks oanda: a token is set
    wrong = "wrong-oanda-token-0123456789"
    result = run_checks(settings, _oanda_secrets(oanda.url, wrong), NOW)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem.startswith("PROBLEM data provider: OANDA: the API token was refused (HTTP 401")
    assert "check OANDA_API_TOKEN" in problem
    assert all(wrong not in line and OANDA_TOKEN not in line for line in result.lines)


def test_an_unreachable_oanda_host_is_one_problem_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run_checks(_settings(tmp_path, data={"provider": "oanda"}), _oanda_secrets(closed), NOW)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem.startswith("PROBLEM data provider: OANDA: cannot connect to 127.0.0.1:")


def test_no_oanda_request_without_oanda(tmp_path: Path, oanda: MarketServer) -> None:
    result = run_checks(_settings(tmp_path), Secrets(oanda_api_url=oanda.url), NOW)
    assert result.exit_code == 0 and oanda.requests == []


# -- write access ----------------------------------------------------------------------------------


def test_an_unwritable_directory_is_a_problem_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    settings = _settings(tmp_path, ledger={"path": str(blocker / "state" / "ledger.sqlite")})
    result = run_checks(settings, Secrets(), NOW)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem.startswith(f"PROBLEM ledger.path: directory {blocker / 'state'} is not writable ({blocker} is")
    assert "give the user running fxbot write access to it or point ledger.path elsewhere" in problem


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any mode bits")
def test_a_read_only_data_directory_is_a_problem(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, data)
    data.chmod(0o555)
    try:
        result = run_checks(_settings(tmp_path, data={"dir": str(data)}), Secrets(), NOW)
    finally:
        data.chmod(0o755)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem.startswith(f"PROBLEM data.dir: directory {data} is not writable (cannot create a file in {data}")


# -- every member is loaded and run once --------------------------------------------------------------


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    for code in ("USDJPY", "EURJPY", "GBPJPY"):
        shutil.copytree(SHIPPED_MODELS / code, folder / code)
    return folder


def test_a_truncated_member_file_is_a_problem(tmp_path: Path, models: Path) -> None:
    member = models / "EURJPY" / "member_3.tflite"
    member.write_bytes(member.read_bytes()[:-100])
    result = run_checks(_settings(tmp_path, model={"dir": str(models)}), Secrets(), NOW)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem.startswith(f"PROBLEM model: model file {member} is not a valid .tflite model")


def test_a_manifest_that_cannot_vote_is_a_problem(tmp_path: Path, models: Path) -> None:
    path = models / "GBPJPY" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["scaler_std"][3] = 0.0
    path.write_text(json.dumps(raw))
    result = run_checks(_settings(tmp_path, model={"dir": str(models)}), Secrets(), NOW)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem == f"PROBLEM model: {path}: scaler_std.3 is 0.0; a spread must be above 0: " + (
        "restore the models folder or retrain with `fxbot train`"
    )


def test_fewer_members_than_training_members_is_a_problem(tmp_path: Path) -> None:
    training = {"members": 7, "seeds": [11, 23, 37, 41, 53, 61, 67]}
    result = run_checks(_settings(tmp_path, training=training), Secrets(), NOW)
    assert result.exit_code == 3
    problems = _problems(result.lines)
    assert len(problems) == 3 and all("5 member(s), fewer than training.members (7)" in p for p in problems)


# -- a configuration problem is exit 2, never under "config: ok" -------------------------------------


def test_a_config_problem_is_exit_2_and_no_line_says_config_ok(tmp_path: Path) -> None:
    settings = _settings(tmp_path, data={"provider": "oanda"})  # but no OANDA_API_TOKEN
    later = NOW + dt.timedelta(days=60)  # stale data (3) too: the config comes first
    result = run_checks(settings, Secrets(), later, config_source="my.yaml")
    assert result.exit_code == 2
    assert not any("config: ok" in line for line in result.lines)
    assert result.lines[0] == "config: my.yaml loaded, but a setting is wrong: see the PROBLEM line(s)"
    assert "PROBLEM data provider: data.provider is oanda but OANDA_API_TOKEN is not set" in result.lines[1]


def test_cli_check_with_an_empty_slack_channel_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"data": {"dir": str(BUNDLED_DATA)}, "model": {"dir": str(SHIPPED_MODELS)}}))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-fake-test-token")
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 2
    assert out.startswith(f"config: {config} loaded, but a setting is wrong") and "config: ok" not in out
    assert "PROBLEM slack: notify.slack.channel is empty" in out


@pytest.mark.slow
def test_a_truncated_savedmodel_is_a_problem_with_the_tensorflow_engine(tmp_path: Path, models: Path) -> None:
    variables = models / "USDJPY" / "member_1.savedmodel" / "variables" / "variables.data-00000-of-00001"
    variables.write_bytes(variables.read_bytes()[:-50])
    settings = _settings(tmp_path, model={"dir": str(models), "engine": "tensorflow"})
    result = run_checks(settings, Secrets(), NOW)
    assert result.exit_code == 3
    [problem] = _problems(result.lines)
    assert problem.startswith(f"PROBLEM model: SavedModel {variables.parent.parent} cannot be loaded")
    assert any("all loaded (tensorflow) and run on 2024-12-31" in line for line in result.lines)  # the others


def test_a_chart_without_matplotlib_is_a_config_problem_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(tmp_path, notify={"slack": {"chart": True}}, site={"dir": str(tmp_path / "site")})
    assert _problems(run_checks(settings, Secrets(), NOW).lines) == []  # matplotlib is installed here
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [charts] extra were not: find_spec says None
    result = run_checks(settings, Secrets(), NOW)
    problems = _problems(result.lines)
    assert [p.split(":")[0] for p in problems] == ["PROBLEM charts", "PROBLEM charts"]
    assert "notify.slack.chart is on" in problems[0] and "site.dir is set" in problems[1]
    assert all(install_hint("charts") in p for p in problems)
    assert result.exit_code == 2 and result.lines[0].startswith("config: built-in defaults loaded, but a setting")
