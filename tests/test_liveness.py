"""A daemon you know is alive: parent pings around each child, sd_notify datagrams, the liveness file, alerts."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from fxbot.config import ScheduleSettings
from fxbot.health import ALIVE_FILE_NAME, AliveFile, health_check
from fxbot.scheduler import CHILD_GRACE_SECONDS, TICK_SECONDS, Daemon, daily_command, wedged
from fxbot.sdnotify import SystemdNotifier, Watchdog

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, FxbotCli, run_fxbot
from .support.env import clean_env
from .support.ping_server import KEY, PingStandIn
from .support.slack_server import TOKEN, Reply, SlackStandIn


class NotifySocket:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET; a thread collects what it receives."""

    def __init__(self, address: str, read: bool = True) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.settimeout(0.1)
        self.received: list[str] = []
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        if read:  # systemd reads at once; a socket nobody reads fills up after a few datagrams
            self._reader.start()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                self.received.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def drain(self) -> list[str]:
        """Every datagram received so far."""
        time.sleep(0.3)
        return list(self.received)

    def close(self) -> None:
        self._closed.set()
        if self._reader.is_alive():
            self._reader.join(2)
        self.sock.close()


@pytest.fixture
def abstract_socket() -> Iterator[NotifySocket]:
    server = NotifySocket(f"@fxbot-test-{uuid.uuid4().hex}")
    yield server
    server.close()


def test_notifier_sends_datagrams_to_a_path_socket() -> None:
    folder = tempfile.mkdtemp(prefix="fxn", dir="/tmp")  # a short path: unix socket paths end at 108 bytes
    try:
        server = NotifySocket(os.path.join(folder, "notify"))
        notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": server.address, "WATCHDOG_USEC": "120000000"})
        assert notifier.enabled and notifier.watchdog_seconds == 120
        assert notifier.ready("next run soon") and notifier.watchdog() and notifier.status("two\nlines")
        assert server.drain() == ["READY=1\nSTATUS=next run soon", "WATCHDOG=1", "STATUS=two lines"]
        server.close()
    finally:
        shutil.rmtree(folder)


def test_notifier_abstract_socket_and_no_socket(abstract_socket: NotifySocket) -> None:
    assert SystemdNotifier(abstract_socket.address).stopping("bye")
    assert abstract_socket.drain() == ["STOPPING=1\nSTATUS=bye"]
    quiet = SystemdNotifier.from_environ({})
    assert not quiet.enabled and not quiet.watchdog() and quiet.watchdog_seconds is None
    other = SystemdNotifier.from_environ({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_seconds is None  # the watchdog is another process's
    gone = SystemdNotifier("/nonexistent/notify")
    assert not gone.watchdog()  # a dead socket is not the daemon's failure


def test_a_receiver_that_does_not_read_never_blocks_the_daemon() -> None:
    deaf = NotifySocket(f"@fxbot-test-{uuid.uuid4().hex}", read=False)
    try:
        notifier = SystemdNotifier(deaf.address)
        started = time.monotonic()
        sent = [notifier.watchdog() for _ in range(500)]
        assert time.monotonic() - started < 2
        assert sent[0] and not sent[-1]  # the queue filled up: later datagrams are dropped, not waited for
    finally:
        deaf.close()


def test_watchdog_stops_beating_while_wedged_and_resumes() -> None:
    beats: list[float] = []
    problem: list[str | None] = [None]
    watchdog = Watchdog(0.05, lambda: problem[0], lambda: beats.append(time.monotonic()))
    watchdog.start()
    time.sleep(0.3)
    assert len(beats) >= 3
    problem[0] = "the scheduler has not ticked for 45 s"
    time.sleep(0.1)
    frozen = len(beats)
    time.sleep(0.3)
    assert len(beats) == frozen  # wedged: no beat, so systemd's WatchdogSec runs out
    problem[0] = None
    time.sleep(0.2)
    watchdog.stop()
    assert len(beats) > frozen


def test_wedged_reasons() -> None:
    timeout = 600.0
    assert wedged(100.0, 95.0, True, None, timeout) is None
    assert "not ticked" in (wedged(100.0, 100.0 - TICK_SECONDS * 4, True, None, timeout) or "")
    assert wedged(100.0, 0.0, False, None, timeout) is None  # before the scheduler starts (catch-up)
    late = 1000.0 - timeout - CHILD_GRACE_SECONDS - 1
    assert "past its 600 s timeout" in (wedged(1000.0, 999.0, False, late, timeout) or "")
    assert wedged(1000.0, 999.0, True, 1000.0 - timeout, timeout) is None  # run_child kills it at the timeout


def test_daemon_counts_a_child_past_its_timeout_as_wedged() -> None:
    clock = [1000.0]
    daemon = Daemon(ScheduleSettings(job_timeout=10), None, alert=lambda m: None, clock=lambda: clock[0])
    assert daemon.wedged() is None
    daemon._job_started = clock[0]
    clock[0] += 10 + CHILD_GRACE_SECONDS + 1
    assert "past its 10 s timeout" in (daemon.wedged() or "")


def test_the_child_is_told_not_to_ping() -> None:
    assert daily_command(None, supervised=True)[-1] == "--supervised"
    assert "--supervised" not in daily_command(None)


def test_health_check_reads_the_liveness_file(tmp_path: Path) -> None:
    path = tmp_path / ALIVE_FILE_NAME
    code, line = health_check(path, 120)
    assert code == 1 and "not running" in line
    alive = AliveFile(path)
    alive.begin()
    alive.touch()
    code, line = health_check(path, 120)
    assert code == 0 and f"pid {os.getpid()}" in line
    old = time.time() - 600
    os.utime(path, (old, old))
    code, line = health_check(path, 120)
    assert code == 1 and "no sign of life for 600 s" in line


def _daemon_config(tmp_path: Path, job_timeout: float, **extra: object) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "fxbot.sqlite")},
        "metrics": {"textfile": str(tmp_path / "fxbot.prom")},
        "schedule": {"cron": "* * * * * *", "job_timeout": job_timeout},
        **extra,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _metrics(path: Path) -> dict[str, float]:
    """Samples without a pair label, by name (the track-record window label dropped)."""
    families = text_string_to_metric_families(path.read_text())
    return {s.name: s.value for f in families for s in f.samples if "pair" not in s.labels}


def _run_daemon(config: Path, env: dict[str, str], days: int = 1) -> subprocess.CompletedProcess[str]:
    args = ["schedule", "--config", str(config), "--replay-from", "2024-12-30", "--replay-days", str(days)]
    return run_fxbot(*args, env=env, timeout=120)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _slack_env(slack: SlackStandIn, **extra: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url, **extra}


def _hanging_slack_config(tmp_path: Path, job_timeout: float) -> Path:
    # Slack holds the day's post for 60 s: the child hangs in chat.postMessage until it is killed
    notify = {"slack": {"channel": "C0FXSIGNALS", "error_channel": "C0FXALERTS", "retries": 0, "timeout_seconds": 90}}
    return _daemon_config(tmp_path, job_timeout=job_timeout, notify=notify)


def test_daemon_pings_for_a_child_killed_with_sigkill(
    tmp_path: Path, slack: SlackStandIn, abstract_socket: NotifySocket
) -> None:
    slack.reply("chat.postMessage", Reply(delay=60, process=False, body={"ok": True}))
    config = _hanging_slack_config(tmp_path, job_timeout=300)
    with PingStandIn() as server:
        env = _slack_env(slack, FXBOT_PING_URL=server.url, NOTIFY_SOCKET=abstract_socket.address)
        env["WATCHDOG_USEC"] = "400000"
        args = ["schedule", "--config", str(config), "--replay-from", "2024-12-30", "--replay-days", "1"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "fxbot.cli", *args],
            cwd=REPO,
            env=clean_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not slack.calls("chat.postMessage") and time.monotonic() < deadline:
                time.sleep(0.1)  # the child is now stuck in its post
            assert slack.calls("chat.postMessage"), "the child never reached Slack"
            (child,) = _children(proc.pid)
            os.kill(child, signal.SIGKILL)  # as the OOM killer would
            try:
                out, _ = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(f"the daemon did not finish:\n{proc.communicate()[0]}") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, out
        assert server.paths() == ["/start", "/137"]  # the parent reported the kill; the child never pinged
        assert len(set(server.rids())) == 1
    assert "killed by signal 9" in out and KEY not in out and TOKEN not in out
    metrics = _metrics(tmp_path / "fxbot.prom")
    assert metrics["fxbot_last_run_exit_code"] == 137 and metrics["fxbot_last_run_peak_rss_bytes"] > 0
    assert "fxbot_last_success_timestamp_seconds" not in metrics
    notes = abstract_socket.drain()
    assert notes[0].startswith("READY=1\nSTATUS=next run ")
    assert "WATCHDOG=1" in notes
    assert any(n.startswith("STATUS=running the daily job for 2024-12-30") for n in notes)
    assert notes[-1].startswith("STOPPING=1\nSTATUS=stopping; ") and "exit 137" in notes[-1]
    assert (tmp_path / "state" / ALIVE_FILE_NAME).exists()


@pytest.mark.slow
def test_daemon_pings_for_a_child_killed_past_its_timeout(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.reply("chat.postMessage", Reply(delay=60, process=False, body={"ok": True}))
    config = _hanging_slack_config(tmp_path, job_timeout=8)
    with PingStandIn() as server:
        run = _run_daemon(config, _slack_env(slack, FXBOT_PING_URL=server.url))
        assert run.returncode == 0, run.stderr
        assert server.paths() == ["/start", "/137"]
    assert "hung and was killed" in run.stderr
    assert _metrics(tmp_path / "fxbot.prom")["fxbot_last_run_exit_code"] == 137


def test_daemon_pings_success_and_writes_the_childs_metrics(tmp_path: Path) -> None:
    config = _daemon_config(tmp_path, job_timeout=120)
    with PingStandIn() as server:
        run = _run_daemon(config, {"FXBOT_PING_URL": server.url}, days=2)
        assert run.returncode == 0, run.stderr
        assert server.paths() == ["/start", "", "/start", ""]
    metrics = _metrics(tmp_path / "fxbot.prom")
    assert metrics["fxbot_last_run_exit_code"] == 0
    assert metrics["fxbot_last_run_peak_rss_bytes"] > 20 * 2**20  # the child's (numpy + LiteRT), not the daemon's
    # Day 1's calls were scored by day 2's bars, but the daemon replayed both days: replays never count as live.
    assert metrics["fxbot_track_record_calls"] == 0
    with contextlib.closing(sqlite3.connect(tmp_path / "state" / "fxbot.sqlite")) as db:
        assert db.execute("SELECT kind, COUNT(right) FROM signals GROUP BY kind").fetchall() == [("replay", 3)]
    health = run_fxbot("status", "--health", "--config", str(config))
    assert health.returncode == 0 and "daemon: alive" in health.stdout  # it beat moments ago


def test_daemon_with_an_unreachable_ping_url_still_runs(tmp_path: Path) -> None:
    config = _daemon_config(tmp_path, job_timeout=120)
    run = _run_daemon(config, {"FXBOT_PING_URL": f"http://127.0.0.1:9/ping/{KEY}"})
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("FXBOT_PING_URL failed") == 1 and KEY not in run.stderr
    assert _metrics(tmp_path / "fxbot.prom")["fxbot_last_run_exit_code"] == 0


def test_status_health_fails_without_a_live_daemon(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    config = _daemon_config(tmp_path, job_timeout=60)
    run = fxbot_cli("status", "--health", "--config", str(config))
    assert run.returncode == 1 and "unhealthy" in run.stdout


def test_a_sigkilled_daemon_goes_unhealthy(tmp_path: Path) -> None:
    config = _daemon_config(tmp_path, job_timeout=60, heartbeat={"max_age_seconds": 30})
    config.write_text(config.read_text().replace("'* * * * * *'", "'0 0 1 1 *'"))  # nothing fires
    proc = subprocess.Popen(
        [sys.executable, "-m", "fxbot.cli", "schedule", "--config", str(config), "--replay-from", "2024-12-30"],
        cwd=REPO,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    alive = tmp_path / "state" / ALIVE_FILE_NAME
    try:
        deadline = time.monotonic() + 30
        while not alive.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert run_fxbot("status", "--health", "--config", str(config)).returncode == 0
    finally:
        proc.kill()
        proc.wait()
    old = time.time() - 31  # as if 31 s had passed since its last beat
    os.utime(alive, (old, old))
    run = run_fxbot("status", "--health", "--config", str(config))
    assert run.returncode == 1 and "no sign of life" in run.stdout


def test_alert_command_reaches_the_error_channel(tmp_path: Path, slack: SlackStandIn, fxbot_cli: FxbotCli) -> None:
    cfg = {"notify": {"slack": {"channel": "C0FXSIGNALS", "error_channel": "C0FXALERTS", "retries": 0}}}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
    run = fxbot_cli("alert", "fxbot: systemd unit fxbot-run-once.service failed", "--config", str(config), env=env)
    assert run.returncode == 0, run.stderr
    assert [m["text"] for m in slack.posts("C0FXALERTS")] == [
        "fxbot alert: fxbot: systemd unit fxbot-run-once.service failed"
    ]
    assert "fxbot-run-once.service failed" in run.stdout + run.stderr  # and the journal
    assert TOKEN not in run.stdout + run.stderr


def test_alert_command_exits_4_when_slack_is_unreachable(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": "http://127.0.0.1:9/api/"}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"notify": {"slack": {"channel": "C0FXSIGNALS", "retries": 0}}}))
    run = fxbot_cli("alert", "disk", "full", "--config", str(config), env=env)
    assert run.returncode == 4 and "disk full" in run.stdout + run.stderr


def test_alive_file_touch_survives_an_unwritable_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    alive = AliveFile(tmp_path / "missing" / "deeper" / ALIVE_FILE_NAME)
    with caplog.at_level("WARNING", logger="fxbot.health"):
        alive.touch()  # warns, never raises
        alive.touch()  # and warns once, not at every beat
    assert not alive.path.exists()
    [warning] = caplog.records
    assert warning.getMessage() == (
        f"cannot write the liveness file {alive.path} (No such file or directory); `status --health` will fail"
    )
    alive.path.parent.mkdir(parents=True)
    alive.touch()  # the folder is back: the beats land again
    assert alive.path.exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    caplog.clear()
    with caplog.at_level("WARNING", logger="fxbot.health"):
        AliveFile(blocker / ALIVE_FILE_NAME).begin()  # its folder is a file: it cannot even be made
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot write the liveness file {blocker / ALIVE_FILE_NAME} (File exists); `status --health` will fail"
    ]
    assert blocker.read_text() == ""


def test_watchdog_thread_is_not_left_running(tmp_path: Path) -> None:
    alive = AliveFile(tmp_path / ALIVE_FILE_NAME)
    daemon = Daemon(
        ScheduleSettings(cron="0 3 1 1 *"),
        None,
        alert=lambda m: None,
        now=lambda: dt.datetime.now(dt.UTC),
        alive_file=alive,
    )
    assert not daemon.watchdog._thread.is_alive()  # not before run()
    seen: list[bool] = []

    def stop_once_running() -> None:
        deadline = time.monotonic() + 30
        while not daemon.scheduler.running and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(daemon.watchdog._thread.is_alive())
        daemon.stop(signal.SIGTERM)

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    stopper = threading.Thread(target=stop_once_running, daemon=True)
    stopper.start()
    try:
        daemon.run()  # blocks in the scheduler until the stop
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    stopper.join(10)
    assert seen == [True]  # the watchdog ran beside the scheduler...
    assert not daemon.watchdog._thread.is_alive()  # ...and run() ended it on the way out
    assert alive.path.read_text() == f"{os.getpid()}\n"


def test_a_stop_that_comes_before_the_scheduler_starts_is_not_lost() -> None:
    daemon = Daemon(ScheduleSettings(cron="0 3 1 1 *"), None, alert=lambda m: None)
    daemon.stop(signal.SIGTERM)  # between run()'s last look at the stop flag and the scheduler's start
    runner = threading.Thread(target=daemon.scheduler.start, daemon=True)
    runner.start()
    runner.join(10)
    assert not runner.is_alive()  # it started, saw the stop, and shut down


def test_alert_command_redacts_known_secrets_and_escapes_mentions(
    tmp_path: Path, slack: SlackStandIn, fxbot_cli: FxbotCli
) -> None:
    """`fxbot alert` never posts a secret as typed, and `<!channel>` in it pings nobody."""
    cfg = {"notify": {"slack": {"channel": "C0FXSIGNALS", "error_channel": "C0FXALERTS", "retries": 0}}}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    oanda = "0123456789abcdef0123456789abcdef-FAKEfakeFAKEfakeFAKEfakeFAKEfake"
    env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url, "OANDA_API_TOKEN": oanda}
    run = fxbot_cli("alert", f"<!channel> token {TOKEN} and {oanda} leaked", "--config", str(config), env=env)
    assert run.returncode == 0, run.stderr
    [post] = slack.posts("C0FXALERTS")
    assert post["text"] == "fxbot alert: &lt;!channel&gt; token [redacted] and [redacted] leaked"
    console = run.stdout + run.stderr
    assert "ALERT: <!channel> token [redacted] and [redacted] leaked" in console  # the console is not Slack
    assert TOKEN not in console and oanda not in console
