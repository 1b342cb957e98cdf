"""`fxbot slack-app` against loopback stand-ins: the Web API (tests/support/slack_server.py) and a Socket
Mode WebSocket server (tests/support/socket_mode_server.py) that apps.connections.open points to.

Each test starts the real CLI in a child process with both (fake) tokens, sends Slack-format envelopes
and checks: the acknowledgement within 3 s, the answer on the command's response_url (ephemeral,
Block Kit), the App Home through views.publish, refusals, a dropped link and a reconnect, a stale
link that ends the process with exit 4, Japanese, and that no token shows in any output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket as sockets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fxbot import wiring
from fxbot.config import settings_from_mapping
from fxbot.slack_app import views
from fxbot.slack_app.answers import Answers, week_blocks

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, invoke_fxbot, run_fxbot
from .support.env import clean_env
from .support.ledger import as_live
from .support.slack_server import APP_TOKEN, TOKEN, SlackStandIn
from .support.socket_mode_server import SocketModeStandIn
from .test_liveness import NotifySocket

USER, OTHER_USER = "U0ALLOWED1", "U0STRANGER"
CHANNEL, OTHER_CHANNEL = "C0ALLOWED1", "C0ELSEWHERE"


@pytest.fixture(scope="module")
def seeded_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger with three replayed daily runs (the first two calls scored by the later runs)."""
    folder = tmp_path_factory.mktemp("ledger")
    config = folder / "c.yaml"
    config.write_text(yaml.safe_dump(_raw(folder / "fxbot.sqlite")))
    for day in ("2024-12-27", "2024-12-30", "2024-12-31"):
        run = invoke_fxbot("run-once", "--replay", "--no-fetch", "--as-of", day, "--config", str(config))
        assert run.returncode == 0, run.stderr
    as_live(folder / "fxbot.sqlite")  # they stand for live runs: a replay never counts in a live figure
    return folder / "fxbot.sqlite"


def _raw(ledger: Path, locale: str = "en", **app: Any) -> dict[str, Any]:
    return {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(ledger)},
        "notify": {"locale": locale},
        "slack_app": {
            "allowed_users": [USER],
            "allowed_channels": [CHANNEL],
            "keepalive_seconds": 0.2,
            "ping_interval_seconds": 1.0,
            "stale_after_seconds": 9.0,
            "home_poll_seconds": 0.2,
            **app,
        },
    }


class Running:
    """One `fxbot slack-app` child with its stand-ins."""

    def __init__(self, proc: subprocess.Popen[str], web: SlackStandIn, socket: SocketModeStandIn, log: Path) -> None:
        self.proc, self.web, self.socket, self.log = proc, web, socket, log

    def ask(self, text: str, user: str = USER, channel: str = CHANNEL) -> tuple[float, dict[str, Any]]:
        """Send `/fxbot text`; returns (seconds to the ack, the body posted to response_url)."""
        key = f"{time.monotonic_ns()}"
        envelope = self.socket.slash_command(text, user=user, channel=channel, response_url=self.web.response_url(key))
        acked = self.socket.wait_ack(envelope, timeout=3.0)
        _, body = self.web.wait_response(key, timeout=15)
        return acked, body

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    """``start(raw)`` runs `fxbot slack-app` with ``raw`` as its config against fresh stand-ins."""
    stack: list[tuple[subprocess.Popen[str], Any, SocketModeStandIn, SlackStandIn]] = []

    def _start(raw: dict[str, Any], *, verbose: bool = True, extra_env: dict[str, str] | None = None) -> Running:
        socket = SocketModeStandIn().__enter__()
        web = SlackStandIn(socket_url=socket.next_url).__enter__()
        config = tmp_path / f"app{len(stack)}.yaml"
        config.write_text(yaml.safe_dump(raw))
        log = tmp_path / f"app{len(stack)}.log"
        out = log.open("w")
        env = clean_env(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_APP_TOKEN": APP_TOKEN,
                "FXBOT_SLACK_API_URL": web.api_url,
                **(extra_env or {}),
            }
        )
        args = [sys.executable, "-m", "fxbot.cli", "slack-app", "--config", str(config), *(["-v"] if verbose else [])]
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        stack.append((proc, out, socket, web))
        socket.wait_connections(1, timeout=30)
        return Running(proc, web, socket, log)

    yield _start
    for proc, out, socket, web in stack:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out.close()
        web.__exit__()
        socket.__exit__()


def _text(body: dict[str, Any]) -> str:
    """Everything a person would read in an answer: the fallback and every block's text."""
    parts = [body.get("text", "")]
    for block in body.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        parts += [e.get("text", "") for e in block.get("elements") or []]
    return "\n".join(parts)


def _no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in (TOKEN, APP_TOKEN, "TESTSECRET", "APPSECRET"):
            assert secret not in text


def test_every_command_is_acked_in_time_and_answered_ephemerally(
    start: Any, seeded_ledger: Path, tmp_path: Path
) -> None:
    ledger = tmp_path / "fxbot.sqlite"
    shutil.copy(seeded_ledger, ledger)
    app = start(_raw(ledger))
    answers = {}
    commands = (
        "status",
        "history",
        "history 2",
        "week",
        "week 2024-12-31",
        "week soon",
        "help",
        "",
        "bogus words",
        "record",
        "version",
    )
    for text in (*commands, "history 0"):
        acked, body = app.ask(text)
        assert acked < 3.0
        assert body["response_type"] == "ephemeral" and body.get("replace_original") is False
        assert views.block_problems(body["blocks"]) == [], text
        answers[text] = _text(body)
    assert "fxbot status" in answers["status"] and "last run: " in answers["status"]
    assert "as of 2024-12-31, ok" in answers["status"] and "next scheduled run:" in answers["status"]
    assert "model: USDJPY: USDJPY-" in answers["status"] and "trained to " in answers["status"]
    assert "ledger: " in answers["status"] and "3 runs (0 failed)" in answers["status"]
    assert "*2024-12-31*" in answers["history 2"] and "*2024-12-30*" in answers["history 2"]
    assert "*2024-12-27*" not in answers["history 2"] and "*2024-12-27*" in answers["history"]
    assert "USD/JPY" in answers["history"] and "Accuracy of all scored calls" in answers["history"]
    assert "right" in answers["history"] or "wrong" in answers["history"]  # the 12-27 calls were scored
    # the newest closed week by the clock: the seeded calls (for Dec 30 and 31, 2024) only in the running record
    assert "fxbot weekly summary: week to " in answers["week"] and "running 3/6 right" in answers["week"]
    week = answers["week 2024-12-31"]  # the week the scored calls were for, read as they are
    assert "week to 2025-01-03" in week and "this week 3/6 right (always-buy 1/6)" in week
    assert "takes a day of the week as YYYY-MM-DD" in answers["week soon"]
    assert "`/fxbot history [N]`" in answers["help"] and answers[""] == answers["help"]
    assert "I don't know `bogus`" in answers["bogus words"]
    assert "from 1 to 30" in answers["history 0"]
    assert "fxbot track record" in answers["record"] and "always-buy on the same calls" in answers["record"]
    assert "Walk-forward (a backtest, not live)" in answers["record"] and "`site.dir`" in answers["record"]
    assert "fxbot 0.1.0 · Python 3." in answers["version"] and "USDJPY: USDJPY-" in answers["version"]
    assert "`/fxbot record`" in answers["help"] and "`/fxbot version`" in answers["help"]
    assert app.proc.poll() is None
    _no_secrets(app.output(), *answers.values())


def test_someone_not_allowed_gets_a_polite_refusal_that_reveals_nothing(start: Any, seeded_ledger: Path) -> None:
    app = start(_raw(seeded_ledger))
    for user, channel in ((OTHER_USER, CHANNEL), (USER, OTHER_CHANNEL), (OTHER_USER, OTHER_CHANNEL)):
        for text in ("status", "history 5", "help"):
            acked, body = app.ask(text, user=user, channel=channel)
            said = _text(body)
            assert acked < 3.0 and body["response_type"] == "ephemeral"
            assert "Sorry, I can't answer that here" in said
            for revealing in ("USDJPY", "USD/JPY", "ledger", "2024", "model", "/fxbot"):
                assert revealing not in said
    envelope = app.socket.home_opened(OTHER_USER)
    app.socket.wait_ack(envelope)
    deadline = time.monotonic() + 10
    while not app.web.views.get(OTHER_USER) and time.monotonic() < deadline:
        time.sleep(0.05)
    (view,) = app.web.views[OTHER_USER]
    home = "\n".join(b["text"]["text"] for b in view["blocks"])
    assert "only shown to the people allowed" in home and "USD/JPY" not in home and "2024" not in home


def test_app_home_is_published_on_open_and_refreshed_after_a_new_run(
    start: Any, seeded_ledger: Path, tmp_path: Path
) -> None:
    ledger = tmp_path / "fxbot.sqlite"
    shutil.copy(seeded_ledger, ledger)
    raw = _raw(ledger)
    app = start(raw)
    envelope = app.socket.home_opened(USER)
    assert app.socket.wait_ack(envelope) < 3.0
    deadline = time.monotonic() + 15
    while not app.web.views.get(USER) and time.monotonic() < deadline:
        time.sleep(0.05)
    (first,) = app.web.views[USER]
    assert views.block_problems(first["blocks"], "home") == []
    home = _text({"blocks": first["blocks"]})
    assert "Calls on the bar of 2024-12-31" in home and "USD/JPY" in home
    assert "Risk of these calls* (as recorded): gross 4.50x equity, ¥4,500,000 notional" in home
    assert "USD/JPY BUY 1.79x, ¥1,790,000" in home or "USD/JPY SELL 1.79x, ¥1,790,000" in home
    assert "scored calls: the bot" in home and "always-buy" in home
    assert "P/L following the calls* " in home and "always-buy on the same calls " in home  # live P/L
    assert "last run: " in home and "as of 2024-12-31" in home
    # the daily run (another process) records a new run: the home is published again, unasked
    config = tmp_path / "daily.yaml"
    config.write_text(yaml.safe_dump(raw))
    run = run_fxbot("run-once", "--replay", "--no-fetch", "--as-of", "2024-12-26", "--force", "--config", str(config))
    assert run.returncode == 0, run.stderr
    deadline = time.monotonic() + 15
    while len(app.web.views[USER]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(app.web.views[USER]) >= 2
    assert "as of 2024-12-26" in _text({"blocks": app.web.views[USER][-1]["blocks"]})
    assert "refreshing 1 App Home" in app.output()


def test_a_dropped_link_reconnects_and_answers_again(start: Any, seeded_ledger: Path) -> None:
    app = start(_raw(seeded_ledger))
    app.ask("help")
    opened = len(app.web.calls("apps.connections.open"))
    app.socket.drop()
    app.socket.wait_connections(2, timeout=20)
    assert len(app.web.calls("apps.connections.open")) > opened  # a fresh URL for the new link
    acked, body = app.ask("status")
    assert acked < 3.0 and "fxbot status" in _text(body)
    deadline = time.monotonic() + 10
    while "Socket Mode reconnected" not in app.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "INFO fxbot.slack_app.app: slack-app: Socket Mode reconnected" in app.output()
    assert app.proc.poll() is None


def test_slacks_refresh_request_moves_to_a_new_link(start: Any, seeded_ledger: Path) -> None:
    app = start(_raw(seeded_ledger))
    app.ask("help")
    app.socket.ask_to_reconnect()
    app.socket.wait_connections(2, timeout=20)
    # slack_sdk's built-in client takes up to its 3 s socket timeout to let go of the old link, and reads
    # the new one only then: an envelope Slack sent on the new link meanwhile would be acknowledged late.
    app.socket.wait_closed(1, timeout=10)
    acked, body = app.ask("history 1")
    assert acked < 3.0 and "fxbot history" in _text(body)
    assert app.proc.poll() is None


def test_a_stale_link_ends_the_process_with_exit_4(start: Any, seeded_ledger: Path) -> None:
    app = start(_raw(seeded_ledger))
    app.ask("help")
    app.socket.pong = False  # the link stays open, but nothing answers any more
    code = app.proc.wait(30)
    output = app.output()
    assert code == 4, output
    assert "WARNING fxbot.slack_app.app: slack-app: the Slack connection is stale: no pong" in output
    assert "fxbot: error: the Slack Socket Mode connection is stale" in output
    _no_secrets(output)


def test_a_link_that_cannot_come_back_after_a_drop_ends_the_process_with_exit_4(
    start: Any, seeded_ledger: Path
) -> None:
    from .support.slack_server import Reply

    app = start(_raw(seeded_ledger))
    app.ask("help")
    # Slack has trouble: every new connection URL is refused, so the client keeps trying and never gets back
    app.web.reply("apps.connections.open", *[Reply(body={"ok": False, "error": "internal_error"})] * 500)
    app.socket.drop()
    code = app.proc.wait(30)
    output = app.output()
    assert code == 4, output
    assert "the Slack connection is stale: no pong on the Socket Mode connection for" in output
    assert "(socket not connected" in output and app.socket.connections == 1
    _no_secrets(output)


def test_systemd_hears_ready_and_the_watchdog_while_the_link_is_fresh(start: Any, seeded_ledger: Path) -> None:
    notify = NotifySocket(f"@fxbot-slack-app-{time.monotonic_ns()}")
    try:
        app = start(_raw(seeded_ledger), extra_env={"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "300000000"})
        deadline = time.monotonic() + 15
        while sum("WATCHDOG=1" in d for d in notify.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        received = notify.drain()
        assert any(d.startswith("READY=1") for d in received)
        assert sum("WATCHDOG=1" in d for d in received) >= 3
        app.socket.pong = False
        assert app.proc.wait(30) == 4
        assert not any(d.startswith("STOPPING=1") for d in notify.drain())  # a stale exit is no clean stop
    finally:
        notify.close()


def test_japanese_answers(start: Any, seeded_ledger: Path) -> None:
    app = start(_raw(seeded_ledger, locale="ja"))
    said = {text: _text(app.ask(text)[1]) for text in ("status", "history 1", "help", "week", "record", "version")}
    said["refusal"] = _text(app.ask("status", user=OTHER_USER)[1])
    assert "fxbot の状態" in said["status"] and "前回の実行:" in said["status"] and "次回の実行予定:" in said["status"]
    for english in ("last run", "next scheduled", "bars", "members", "trained", "up to date", "runs (", "model age"):
        assert english not in said["status"]
    assert "fxbot の成績" in said["record"] and "バックテスト" in said["record"] and "right" not in said["record"]
    assert "fxbot のバージョン" in said["version"] and "までのデータで学習" in said["version"]
    assert "fxbot の履歴: 直近1日" in said["history 1"] and "的中率" in said["history 1"]
    assert ("買い" in said["history 1"] or "売り" in said["history 1"]) and "未配信" in said["history 1"]
    assert "BUY" not in said["history 1"] and "SELL" not in said["history 1"]
    assert "使えるコマンド" in said["help"]
    assert "fxbot 週次サマリー" in said["week"] and "weekly" not in said["week"]
    assert "申し訳ありません" in said["refusal"]


def test_empty_allow_lists_are_said_at_start(start: Any, seeded_ledger: Path) -> None:
    app = start(_raw(seeded_ledger, allowed_users=[], allowed_channels=[]))
    assert "slack_app.allowed_users and slack_app.allowed_channels are both empty" in app.output()
    assert "every /fxbot command is refused" in app.output()
    _, body = app.ask("status")  # and so it is
    assert "Sorry, I can't answer that here" in _text(body)


def test_a_refused_token_is_one_line_naming_it_and_no_secret(tmp_path: Path) -> None:
    with SocketModeStandIn() as socket, SlackStandIn(socket_url=socket.next_url, app_token="xapp-other") as web:
        config = tmp_path / "c.yaml"
        config.write_text(yaml.safe_dump(_raw(tmp_path / "l.sqlite")))
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "FXBOT_SLACK_API_URL": web.api_url}
        run = run_fxbot("slack-app", "--config", str(config), "-v", env=env, timeout=60)
    assert run.returncode == 2
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in run.stderr
    _no_secrets(run.stdout, run.stderr)
    missing = run_fxbot("slack-app", "--config", str(config), env={"SLACK_BOT_TOKEN": TOKEN})
    assert missing.returncode == 2 and "needs SLACK_APP_TOKEN" in missing.stderr


def test_week_is_the_weekly_posts_summary_read_only(tmp_path: Path, seeded_ledger: Path) -> None:
    from fxbot.notify.messages import summary_blocks
    from fxbot.weekly import SummaryDependencies, build_summary

    ledger = tmp_path / "l.sqlite"
    shutil.copy(seeded_ledger, ledger)
    before = ledger.read_bytes()
    now = dt.datetime(2025, 1, 6, 12, tzinfo=dt.UTC)  # Monday: the newest closed week ends Friday 2025-01-03
    for locale in ("en", "ja"):
        settings = settings_from_mapping(_raw(ledger, locale=locale))
        answer = week_blocks(settings, now)
        assert views.block_problems(answer.blocks) == []
        store = wiring.store(settings)
        with contextlib.closing(wiring.ledger(settings)) as opened:
            expected = build_summary(settings, SummaryDependencies(store, opened), dt.date(2025, 1, 3), score=False)
        assert answer.blocks == summary_blocks(expected, locale)  # the weekly post's own builder and renderer
        assert Answers(settings, now=lambda: now).command("week") == answer
    assert ledger.read_bytes() == before  # nothing scored or written
    missing = settings_from_mapping(_raw(tmp_path / "none.sqlite"))
    assert "0/0 right this week" in week_blocks(missing, now).text and not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ({"allowed_users": ["C0NOTAUSER"]}, r"slack_app\.allowed_users\.0: must be a Slack ID like U0123ABCD"),
        ({"allowed_channels": ["#fx-signals"]}, r"allowed_channels\.0: must be a Slack ID like C0123ABCD, got '#fx"),
        ({"allowed_users": ["U0AAAAAAA", "U0AAAAAAA"]}, r"allowed_users: U0AAAAAAA is listed twice"),
        ({"stale_after_seconds": 50, "ping_interval_seconds": 10}, r"stale_after_seconds: must be longer than 5 ping"),
        ({"stale_after_seconds": 2}, r"slack_app\.stale_after_seconds: Expected `float` >= 5"),
    ],
)
def test_bad_access_lists_are_refused_with_the_key(tmp_path: Path, app: dict[str, Any], message: str) -> None:
    from fxbot.errors import ConfigError

    raw = _raw(tmp_path / "l.sqlite")
    raw["slack_app"] = app
    with pytest.raises(ConfigError, match=message):
        settings_from_mapping(raw)


def test_check_tries_the_app_token_and_the_rendered_answers(seeded_ledger: Path, tmp_path: Path) -> None:
    from fxbot.check import check_slack_app
    from fxbot.config import Secrets
    from fxbot.status import CheckResult

    settings = settings_from_mapping(_raw(seeded_ledger))
    with SocketModeStandIn() as socket, SlackStandIn(socket_url=socket.next_url) as web:

        def check(**env: str) -> CheckResult:
            result = CheckResult()
            check_slack_app(settings, Secrets.from_env({"FXBOT_SLACK_API_URL": web.api_url, **env}), result)
            return result

        assert check(SLACK_BOT_TOKEN=TOKEN).lines == []  # no app token: the app is not set up, nothing to say
        good = check(SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN=APP_TOKEN)
        assert good.exit_code == 0, good.lines
        assert good.lines[0] == "slack app: app-level token ok (apps.connections.open issued a Socket Mode URL)"
        assert good.lines[1].startswith("slack app: 8 rendered answers fit Block Kit's limits")
        (opened,) = web.calls("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
        assert socket.connections == 0  # the URL is never used: check connects to nothing
        wrong = check(SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN=TOKEN)  # the bot token pasted in the wrong place
        assert wrong.exit_code == 2
        assert "PROBLEM slack app: Slack refused SLACK_APP_TOKEN (not_allowed_token_type)" in wrong.lines[0]
        alone = check(SLACK_APP_TOKEN=APP_TOKEN)
        assert alone.exit_code == 2 and "SLACK_BOT_TOKEN is not" in alone.lines[0]
        _no_secrets(*good.lines, *wrong.lines, *alone.lines)


def test_block_problems_finds_what_slack_would_refuse() -> None:
    assert views.block_problems([views.section("ok")]) == []
    assert views.block_problems([views.section("x")] * 51) == ["51 blocks; a message holds at most 50"]
    assert views.block_problems([views.section("x")] * 51, "home") == []
    long_header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    assert views.block_problems([long_header]) == ["block 0: header text must be 1-150 characters"]
    assert views.block_problems([{"type": "section", "text": {"type": "markdown", "text": "x"}}]) == [
        "block 0: text type must be plain_text or mrkdwn"
    ]
    assert views.block_problems([{"type": "banner"}]) == ["block 0: unknown type 'banner'"]
    assert views.header("y" * 400)["text"]["text"].endswith("…")  # the renderers cut rather than break


def test_access_needs_a_listed_user_in_a_listed_channel_and_nobody_by_default() -> None:
    from fxbot.config import SlackAppSettings
    from fxbot.slack_app.app import Access

    both = Access.from_settings(SlackAppSettings(allowed_users=[USER], allowed_channels=[CHANNEL]))
    assert both.command_allowed(USER, CHANNEL)
    assert not both.command_allowed(USER, OTHER_CHANNEL) and not both.command_allowed(OTHER_USER, CHANNEL)
    assert both.home_allowed(USER) and not both.home_allowed(OTHER_USER)
    channel_only = Access.from_settings(SlackAppSettings(allowed_channels=[CHANNEL]))
    assert channel_only.command_allowed(OTHER_USER, CHANNEL) and not channel_only.home_allowed(OTHER_USER)
    nobody = Access.from_settings(SlackAppSettings())
    assert not nobody.command_allowed(USER, CHANNEL) and not nobody.home_allowed(USER)


class _Session:
    def __init__(self, session_id: str, pong: float | None) -> None:
        self.session_id, self.last_ping_pong_time = session_id, pong

    def is_active(self) -> bool:
        return True


class _Client:
    def __init__(self, session: _Session | None) -> None:
        self.current_session = session


def test_freshness_counts_pongs_on_any_session_and_names_the_cause(caplog: pytest.LogCaptureFixture) -> None:
    from fxbot.slack_app.app import Freshness

    now = [1000.0]
    fresh = Freshness(clock=lambda: now[0])
    fresh.observe(_Client(_Session("s1", 1000.5)))
    now[0] = 1003.0
    assert fresh.problem(5.0, connected=True) is None
    # a new session (a reconnect) that never hears a pong does not reset the clock
    with caplog.at_level("INFO", logger="fxbot.slack_app.app"):
        fresh.observe(_Client(_Session("s2", None)))
    assert fresh.reconnects == 1 and "Socket Mode reconnected (new session s2)" in caplog.text
    fresh.auth_ok()
    now[0] = 1006.0
    problem = fresh.problem(5.0, connected=True)
    assert problem is not None and problem.startswith("no pong on the Socket Mode connection for 5.5 s")
    assert "connected but unanswered" in problem and "session s2" in problem
    fresh.observe(_Client(_Session("s2", 1005.9)))
    assert fresh.problem(5.0, connected=True) is None
    fresh.auth_error = "ratelimited"
    now[0] = 1009.0
    fresh.observe(_Client(_Session("s2", 1008.9)))
    assert fresh.problem(5.0, connected=True) == "auth.test has failed for 6.0 s (ratelimited)"


def test_risk_text_sums_the_recorded_positions_in_both_languages() -> None:
    positions = [("EURJPY", "BUY", 1.68, 1_680_000.0), ("GBPJPY", "SELL", 1.03, 1_030_000.0)]
    en = views.risk_text(positions, "en")
    assert en.startswith("*Risk of these calls* (as recorded): gross 2.71x equity, ¥2,710,000 notional; net +0.65x")
    assert en.endswith("EUR/JPY BUY 1.68x, ¥1,680,000 · GBP/JPY SELL 1.03x, ¥1,030,000")
    ja = views.risk_text(positions, "ja")
    assert "総建玉 資金の2.71倍" in ja and "ネット +0.65x" in ja and "GBP/JPY 売り 1.03倍、¥1,030,000" in ja


def test_sigterm_stops_it_cleanly(start: Any, seeded_ledger: Path) -> None:
    notify = NotifySocket(f"@fxbot-slack-app-stop-{time.monotonic_ns()}")
    try:
        app = start(_raw(seeded_ledger), extra_env={"NOTIFY_SOCKET": notify.address})
        app.ask("help")
        app.proc.terminate()
        assert app.proc.wait(20) == 0, app.output()
        assert any(d.startswith("STOPPING=1") for d in notify.drain())
        assert "Traceback" not in app.output() and "error" not in app.output().lower()
    finally:
        notify.close()


def test_no_network_to_slack_is_one_line_and_exit_4(tmp_path: Path) -> None:
    with sockets.socket() as probe:  # a loopback port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(_raw(tmp_path / "l.sqlite")))
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "FXBOT_SLACK_API_URL": f"http://127.0.0.1:{closed}/api/",
    }
    run = run_fxbot("slack-app", "--config", str(config), env=env, timeout=60)
    assert run.returncode == 4
    errors = [ln for ln in run.stderr.splitlines() if ln.startswith("fxbot: error:")]
    assert errors == [errors[0]] and "cannot reach Slack to open the Socket Mode connection" in errors[0]
    assert "Traceback" not in run.stderr
    _no_secrets(run.stdout, run.stderr)
