"""The dead-man's switch: FXBOT_PING_URL pings against a loopback stand-in, for run-once and the pinger itself."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import yaml

from fxbot.config import Secrets, SecretStr
from fxbot.errors import DeliveryError, StaleDataError
from fxbot.heartbeat import Pinger, exit_code_of
from fxbot.monitor import JobMonitor, exit_code_for

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli
from .support.ping_server import KEY, PingStandIn

UNREACHABLE = f"http://127.0.0.1:9/ping/{KEY}"  # the discard port: connection refused


def _config(tmp_path: Path, **extra: object) -> Path:
    cfg: dict[str, object] = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "fxbot.sqlite")},
        **extra,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


# A past day, posted to the console only: exit 0. Without --as-of the bundled data are stale: exit 3.
OK_RUN = ("run-once", "--no-fetch", "--as-of", "2024-12-31", "--force")
STALE_RUN = ("run-once", "--no-fetch")


def test_exit_codes_reported_for_killed_children() -> None:
    assert exit_code_of(0) == 0 and exit_code_of(4) == 4
    assert exit_code_of(None) == 137  # killed after schedule.job_timeout (SIGKILL)
    assert exit_code_of(-9) == 137 and exit_code_of(-15) == 143  # killed by a signal: 128 + N
    assert exit_code_of(300) == 255


def test_exit_code_for_matches_the_cli() -> None:
    assert exit_code_for(None) == 0
    assert exit_code_for(StaleDataError("old")) == 3 and exit_code_for(DeliveryError("slack")) == 4
    assert exit_code_for(KeyboardInterrupt()) == 130 and exit_code_for(RuntimeError("bug")) == 1
    assert exit_code_for(SystemExit(2)) == 2


def test_pinger_start_success_and_failure_paths_share_a_run_id() -> None:
    with PingStandIn() as server:
        pinger = Pinger(SecretStr(server.url), timeout=5)
        assert pinger.start("r1") and pinger.end(0, "r1")
        assert pinger.start("r2") and pinger.end(4, "r2") and pinger.end(None, "r3")
        assert server.paths() == ["/start", "", "/start", "/4", "/137"]
        assert server.rids() == ["r1", "r1", "r2", "r2", "r3"]


def test_no_url_is_a_no_op() -> None:
    pinger = Pinger(None)
    assert not pinger.enabled and not pinger.start("r") and not pinger.end(0, "r")


def test_unreachable_url_warns_once_without_the_url(caplog: pytest.LogCaptureFixture) -> None:
    pinger = Pinger(SecretStr(UNREACHABLE), timeout=2)
    with caplog.at_level(logging.WARNING, logger="fxbot.heartbeat"):
        assert not pinger.start("r") and not pinger.end(0, "r") and not pinger.end(3, "r")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "start ping to FXBOT_PING_URL failed" in warnings[0]
    assert KEY not in caplog.text and "127.0.0.1:9" not in caplog.text


def test_a_ping_that_gets_through_rearms_the_warning(caplog: pytest.LogCaptureFixture) -> None:
    with PingStandIn(status=500) as server, caplog.at_level(logging.WARNING, logger="fxbot.heartbeat"):
        pinger = Pinger(SecretStr(server.url), timeout=2)
        assert not pinger.start("r") and not pinger.end(0, "r")
        server.status = 200
        assert pinger.start("r")
        server.status = 503
        assert not pinger.end(0, "r")
    assert len(caplog.records) == 2 and "HTTP Error 500" in caplog.records[0].getMessage()
    assert KEY not in caplog.text


def test_a_slow_service_never_holds_the_run_longer_than_the_timeout() -> None:
    with PingStandIn(delay=10) as server:
        pinger = Pinger(SecretStr(server.url), timeout=0.5)
        started = time.monotonic()
        assert not pinger.start("r")
        assert time.monotonic() - started < 3


def test_a_failed_ping_is_retried_a_bounded_number_of_times_within_a_few_seconds() -> None:
    with PingStandIn(statuses=[503, 502]) as server:  # two blips, then the service answers
        pinger = Pinger(SecretStr(server.url), timeout=2)
        started = time.monotonic()
        assert pinger.start("r")
        assert server.paths() == ["/start"] * 3 and time.monotonic() - started < 3
    with PingStandIn(status=503) as server:  # down throughout: three tries, then given up
        pinger = Pinger(SecretStr(server.url), timeout=2)
        started = time.monotonic()
        assert not pinger.end(0, "r")
        assert server.paths() == [""] * 3 and time.monotonic() - started < 2 + 2.5
    with PingStandIn(status=404) as server:  # a wrong or deleted check: retrying cannot help
        assert not Pinger(SecretStr(server.url), timeout=2).start("r")
        assert server.paths() == ["/start"]


def test_the_start_ping_never_delays_the_job_and_still_arrives_before_the_end() -> None:
    with PingStandIn(delay=1.5) as server:
        monitor = JobMonitor(Pinger(SecretStr(server.url), timeout=5))
        started = time.monotonic()
        with monitor.job():
            entered = time.monotonic() - started
        assert entered < 0.5  # the body (the run and its post) did not wait for the slow service
        assert server.paths() == ["/start", ""]  # start first, then the end


def test_job_monitor_pings_the_exit_code_of_what_the_body_raised() -> None:
    with PingStandIn() as server:
        monitor = JobMonitor(Pinger(SecretStr(server.url)))
        with monitor.job():
            pass
        with pytest.raises(StaleDataError), monitor.job():
            raise StaleDataError("old bars")
        assert server.paths() == ["/start", "", "/start", "/3"]


def test_secrets_read_the_ping_url_and_never_print_it() -> None:
    secrets = Secrets.from_env({"FXBOT_PING_URL": f"https://hc-ping.com/{KEY}"})
    assert secrets.ping_url is not None and secrets.ping_url.get_secret_value().endswith(KEY)
    assert KEY not in repr(secrets) and KEY not in str(secrets.ping_url)
    assert Secrets.from_env({"FXBOT_PING_URL": "  "}).ping_url is None


def test_run_once_pings_start_then_success(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    with PingStandIn() as server:
        run = fxbot_cli(*OK_RUN, "--config", str(_config(tmp_path)), env={"FXBOT_PING_URL": server.url})
        assert run.returncode == 0, run.stderr
        assert server.paths() == ["/start", ""]
        rids = server.rids()
        assert rids[0] and rids[0] == rids[1]
    assert KEY not in run.stdout + run.stderr


def test_run_once_pings_its_exit_code_on_failure(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    with PingStandIn() as server:
        run = fxbot_cli(*STALE_RUN, "--config", str(_config(tmp_path)), env={"FXBOT_PING_URL": server.url})
        assert run.returncode == 3, run.stderr
        assert server.paths() == ["/start", "/3"]
    assert KEY not in run.stdout + run.stderr


def test_unreachable_ping_url_is_a_warning_and_the_run_succeeds(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    run = fxbot_cli(*OK_RUN, "--config", str(_config(tmp_path)), env={"FXBOT_PING_URL": UNREACHABLE})
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("FXBOT_PING_URL failed") == 1  # logged once, not for the end ping again
    assert "fxbot calls as of 2024-12-31" in run.stdout
    assert KEY not in run.stdout + run.stderr


def test_verbose_logs_never_show_the_ping_url(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    with PingStandIn() as server:
        run = fxbot_cli(*OK_RUN, "-v", "--config", str(_config(tmp_path)), env={"FXBOT_PING_URL": server.url})
    assert run.returncode == 0 and KEY not in run.stdout + run.stderr


def test_dry_run_and_supervised_runs_do_not_ping(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    config = str(_config(tmp_path))
    with PingStandIn() as server:
        dry = fxbot_cli("run-once", "--dry-run", "--no-fetch", "--config", config, env={"FXBOT_PING_URL": server.url})
        child = fxbot_cli(*OK_RUN, "--supervised", "--config", config, env={"FXBOT_PING_URL": server.url})
        assert dry.returncode == 0 and child.returncode == 0, dry.stderr + child.stderr
        assert server.paths() == []


def test_without_a_ping_url_no_http_client_is_imported(tmp_path: Path) -> None:
    from .test_import_rules import _modules_after

    modules = _modules_after([*OK_RUN, "--config", str(_config(tmp_path))], tmp_path)
    assert {"urllib.request", "http.client", "fxbot.heartbeat", "fxbot.metrics"} & modules == set()
    pinged = _modules_after([*OK_RUN, "--config", str(_config(tmp_path))], tmp_path, {"FXBOT_PING_URL": UNREACHABLE})
    assert "urllib.request" in pinged and "requests" not in {m.split(".")[0] for m in pinged}
