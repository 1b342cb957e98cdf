"""Slack delivery end to end: the real slack_sdk clients against the Slack stand-in on 127.0.0.1.

Runs go through the CLI's ``main`` (in process, fast) or a subprocess where a crash is injected.
Assertions are on what the stand-in received and stored: count, method, channel, blocks, text.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from fxbot.cli import main
from fxbot.data.store import PriceStore

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, FxbotCli
from .support.env import clean_env
from .support.ledger import as_live
from .support.slack_server import TOKEN, WEBHOOK_PATH, Recorded, Reply, SlackStandIn

CHANNEL = "C0FXSIGNALS"
ALERTS = "C0FXALERTS"
DAY = "2024-06-14"


def write_config(tmp_path: Path, *, models: Path = SHIPPED_MODELS, locale: str = "en", **slack: Any) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(models)},
        "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
        "notify": {"locale": locale, "slack": {"channel": CHANNEL, "retries": 2, "timeout_seconds": 1, **slack}},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def use_bot(monkeypatch: pytest.MonkeyPatch, server: SlackStandIn, token: str = TOKEN) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("FXBOT_SLACK_API_URL", server.api_url)


def replaying(args: tuple[str, ...] | list[str]) -> list[str]:
    """``args`` with --replay after run-once when it posts a past --as-of (every DAY here is in the past)."""
    args = list(args)
    if args[:1] == ["run-once"] and "--as-of" in args and "--dry-run" not in args:
        args.insert(1, "--replay")
    return args


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(replaying(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def reports(server: SlackStandIn, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """The fxbot report messages (not alerts) stored in ``channel``."""
    return [m for m in server.posts(channel) if (m.get("metadata") or {}).get("event_type") == "fxbot_daily_calls"]


def deliveries(config: Path) -> list[sqlite3.Row]:
    path = yaml.safe_load(config.read_text())["ledger"]["path"]
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute("SELECT * FROM deliveries ORDER BY id"))


# -- happy path, exactly once ------------------------------------------------------------------


def test_happy_path_posts_one_message_with_three_pairs(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0, err
    posts = slack.calls("chat.postMessage")
    assert len(posts) == 1
    request = posts[0]
    assert request.http_method == "POST" and request.params["channel"] == CHANNEL
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    blocks = request.params["blocks"]
    assert blocks[0]["type"] == "header" and DAY in blocks[0]["text"]["text"]
    pair_sections = [b for b in blocks if b["type"] == "section" and "fields" in b]
    assert [s["text"]["text"].split("*")[1].split()[0] for s in pair_sections] == ["USD/JPY", "EUR/JPY", "GBP/JPY"]
    for section in pair_sections:
        assert ":large_green_circle:" in section["text"]["text"] or ":red_circle:" in section["text"]["text"]
        assert "/5 votes" in section["text"]["text"]
        fields = " ".join(f["text"] for f in section["fields"])
        assert "Leverage" in fields and "¥" in fields and "Units" in fields and "Last close" in fields
    usd = " ".join(f["text"] for f in pair_sections[0]["fields"])
    assert "1.79x" in usd and "¥1,790,000" in usd and "157.390" in usd and "11,373 USD" in usd
    context = " ".join(e["text"] for e in blocks[-1]["elements"])
    assert "Not investment advice." in context and "USDJPY-20241231" in context
    text = request.params["text"]
    assert text.startswith(f"fxbot calls as of {DAY} (data up to {DAY}):")
    assert "USD/JPY ▼ SELL 5/5" in text and "EUR/JPY" in text and "GBP/JPY" in text
    assert request.params["metadata"] == {"event_type": "fxbot_daily_calls", "event_payload": {"as_of": DAY}}
    assert len(reports(slack)) == 1
    rows = deliveries(config)
    assert [(r["status"], r["destination"], r["ts"]) for r in rows] == [("sent", CHANNEL, reports(slack)[0]["ts"])]


def test_second_run_same_day_does_not_post_and_force_does(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    assert run(capsys, "run-once", "--as-of", DAY, "--config", str(config))[0] == 0
    code, out, _ = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0
    assert f"already posted to {CHANNEL}" in out and "--force" in out
    assert len(slack.calls("chat.postMessage")) == 1
    code, _, _ = run(capsys, "run-once", "--as-of", DAY, "--force", "--config", str(config))
    assert code == 0 and len(reports(slack)) == 2
    # another day is another delivery
    assert run(capsys, "run-once", "--as-of", "2024-06-13", "--config", str(config))[0] == 0
    assert len(reports(slack)) == 3


def test_dry_run_posts_and_records_nothing(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    code, out, _ = run(capsys, "run-once", "--dry-run", "--as-of", DAY, "--config", str(config))
    assert code == 0 and "USD/JPY" in out
    assert slack.requests == [] and not (tmp_path / "state").exists()


# -- the crash window ----------------------------------------------------------------------------


def _spawn(config: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fxbot.cli", "run-once", "--replay", "--as-of", DAY, "--config", str(config), *extra],
        cwd=REPO,
        env=clean_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _crash_on(server: SlackStandIn, api: str) -> list[subprocess.Popen[str]]:
    """Kill the fxbot process the moment ``api`` arrives (after Slack stored the post, before it answers)."""
    victims: list[subprocess.Popen[str]] = []

    def kill(rec: Recorded) -> None:
        if rec.api == api and victims:
            victims[0].kill()
            victims[0].wait(timeout=30)

    server.after = kill
    return victims


@pytest.mark.parametrize("slack_stored_it", [True, False])
def test_crash_between_post_and_record_never_double_posts(
    slack: SlackStandIn, tmp_path: Path, slack_stored_it: bool, fxbot_cli: FxbotCli
) -> None:
    config = write_config(tmp_path)
    env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
    if not slack_stored_it:  # the process died before Slack took the message
        slack.reply("chat.postMessage", Reply(body="", process=False))
    victims = _crash_on(slack, "chat.postMessage")
    first = _spawn(config, env)
    victims.append(first)
    first.communicate(timeout=120)
    assert first.returncode < 0  # killed by the signal, not a clean exit
    assert [r["status"] for r in deliveries(config)] == ["pending"]
    looked = len(slack.calls("conversations.history"))  # the first run looked before posting
    slack.after = None
    second = fxbot_cli("run-once", "--replay", "--as-of", DAY, "--config", str(config), env=env)  # no kill now
    out, err = second.stdout, second.stderr
    assert second.returncode == 0, err
    # found at the first look; not found only after waiting twice for Slack to settle (0.5 s, 1 s)
    assert len(slack.calls("conversations.history")) - looked == (1 if slack_stored_it else 3)
    assert len(reports(slack)) == 1  # exactly one message in the channel either way
    if slack_stored_it:
        assert len(slack.calls("chat.postMessage")) == 1
        assert "interrupted run had already posted" in out
        assert [r["status"] for r in deliveries(config)] == ["sent"]
    else:
        assert len(slack.calls("chat.postMessage")) == 2
        assert [r["status"] for r in deliveries(config)] == ["failed", "sent"]


def test_webhook_crash_is_not_reposted_without_force(slack: SlackStandIn, tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    config = write_config(tmp_path)
    env = {"SLACK_WEBHOOK_URL": slack.webhook_url}
    victims = _crash_on(slack, "webhook")
    first = _spawn(config, env)
    victims.append(first)
    first.communicate(timeout=120)
    slack.after = None
    second = fxbot_cli("run-once", "--replay", "--as-of", DAY, "--config", str(config), env=env)  # no kill now
    err = second.stderr
    assert second.returncode == 4
    assert "never confirmed it" in err and "--force" in err
    report_posts = [p for p in slack.webhook_posts if "fxbot calls as of" in p["text"]]
    assert len(report_posts) == 1  # the alert about it is not a second report
    forced = fxbot_cli("run-once", "--replay", "--as-of", DAY, "--config", str(config), "--force", env=env)
    err = forced.stderr
    assert forced.returncode == 0, err
    assert len([p for p in slack.webhook_posts if "fxbot calls as of" in p["text"]]) == 2


# -- retries ----------------------------------------------------------------------------------------


def test_rate_limit_waits_retry_after_then_posts(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    slack.reply("chat.postMessage", Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))
    started = time.monotonic()
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path)))
    assert code == 0, err
    assert time.monotonic() - started >= 1.0
    assert len(slack.calls("chat.postMessage")) == 2 and len(reports(slack)) == 1


def test_server_errors_on_a_post_are_looked_for_then_retried_a_bounded_number_of_times(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    slack.reply("conversations.history", Reply(503, "busy"))  # a read changes nothing: slack_sdk retries it
    slack.reply("chat.postMessage", Reply(500, "oops"), Reply(502, "bad gateway"))  # Slack stored neither
    assert run(capsys, "run-once", "--as-of", DAY, "--config", str(config))[0] == 0
    assert len(slack.calls("chat.postMessage")) == 3 and len(reports(slack)) == 1
    assert len(slack.calls("conversations.history")) == 2 + 3 + 3  # the look first (503, retry), 3 per 5xx

    slack.reply("chat.postMessage", *[Reply(500, "oops")] * 3)
    code, _, err = run(capsys, "run-once", "--as-of", "2024-06-13", "--config", str(config))
    assert code == 4
    last = err.strip().splitlines()[-1]
    assert "no clear answer to any of 3 posts" in last and "Slack answered HTTP 500" in last
    assert f"not in channel {CHANNEL}" in last and "the next run looks in the channel again" in last
    assert len(slack.calls("chat.postMessage")) == 3 + 3 + 1  # 3 tries for the report, then the alert
    assert len(reports(slack)) == 1 and "fxbot alert" in slack.posts(CHANNEL)[-1]["text"]
    assert [r["status"] for r in deliveries(config)] == ["sent", "pending"]


def test_timeout_after_slack_posted_is_reconciled_not_reposted(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    slack.reply("chat.postMessage", Reply(delay=2.5))  # Slack posts, but answers after the 1 s timeout
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0, err
    assert len(slack.calls("chat.postMessage")) == 1 and len(reports(slack)) == 1
    assert [(r["status"], r["ts"]) for r in deliveries(config)] == [("sent", reports(slack)[0]["ts"])]


def test_timeouts_are_bounded_then_exit_4(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    slack.reply("chat.postMessage", *[Reply(body={"ok": True, "ts": "1.0"}, delay=1.5)] * 3)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 4
    assert "no clear answer to any of 3 posts of the calls (last: Slack did not answer within 1s" in err
    assert len([c for c in slack.calls("chat.postMessage") if c.params["channel"] == CHANNEL]) == 3 + 1
    assert [r["status"] for r in deliveries(config)] == ["pending"]  # the next run reconciles


# -- errors ----------------------------------------------------------------------------------------

ERRORS = {
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "token_revoked": "update SLACK_BOT_TOKEN",
    "not_authed": "check SLACK_BOT_TOKEN",
    "channel_not_found": "set notify.slack.channel to the channel ID",
    "not_in_channel": f"the bot is not in channel {CHANNEL} (not_in_channel): invite the bot to it with /invite @fxbot",
    "is_archived": f"channel {CHANNEL} is archived",
    "missing_scope": "needs chat:write",
}


@pytest.mark.parametrize(("error", "advice"), ERRORS.items())
def test_slack_errors_exit_4_with_one_actionable_line(
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: str,
    advice: str,
) -> None:
    use_bot(monkeypatch, slack)
    body = {"ok": False, "error": error, **({"needed": "chat:write"} if error == "missing_scope" else {})}
    slack.reply("chat.postMessage", Reply(200, body), Reply(200, body))  # the report, then the alert
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path)))
    assert code == 4
    last = err.strip().splitlines()[-1]
    assert last.startswith("fxbot: error: ") and advice in last and error in last
    assert len(slack.calls("chat.postMessage")) == 2 and slack.posts(CHANNEL) == []


def test_wrong_token_is_invalid_auth_from_the_server(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack, token="xoxb-wrong-token")
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path)))
    assert code == 4 and "check SLACK_BOT_TOKEN" in err


def test_channel_must_be_an_id(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path, channel="#fx")))
    assert code == 2 and "must be a channel ID like C0123456789" in err and slack.requests == []


# -- webhook ---------------------------------------------------------------------------------------


def test_webhook_posts_once_and_checks_the_status(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    config = write_config(tmp_path)
    assert run(capsys, "run-once", "--as-of", DAY, "--config", str(config))[0] == 0
    hooks = slack.calls("webhook")
    assert len(hooks) == 1 and hooks[0].http_method == "POST" and hooks[0].path == WEBHOOK_PATH
    assert hooks[0].params["text"].startswith(f"fxbot calls as of {DAY}")
    assert len([b for b in hooks[0].params["blocks"] if "fields" in b]) == 3
    assert slack.calls("chat.postMessage") == []
    code, out, _ = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0 and "already posted" in out and len(slack.calls("webhook")) == 1
    # a 500 is never re-sent (Slack may have posted): exit 4, check the channel, --force is the person's call
    slack.reply("webhook", Reply(500, "internal_error"))
    code, _, err = run(capsys, "run-once", "--as-of", "2024-06-13", "--config", str(config))
    assert code == 4 and "HTTP 500" in err and "`fxbot run-once --force` posts it again" in err
    assert len(slack.calls("webhook")) == 3  # the report, the 500, then the alert about it
    # a 404 no_service is final: exit 4 with what to do
    slack.reply("webhook", Reply(404, "no_service"), Reply(404, "no_service"))
    code, _, err = run(capsys, "run-once", "--as-of", "2024-06-12", "--config", str(config))
    assert code == 4 and "the webhook was removed (no_service)" in err.strip().splitlines()[-1]
    assert "update SLACK_WEBHOOK_URL" in err


def test_webhook_dropped_connection_is_not_retried(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    config = write_config(tmp_path)
    slack.reply("webhook", Reply(drop=True, process=True))  # Slack posted, then the connection dropped
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 4 and "may or may not be in the channel" in err and "--force" in err
    report_posts = [p for p in slack.webhook_posts if p["text"].startswith("fxbot calls")]
    assert len(report_posts) == 1 and [r["status"] for r in deliveries(config)] == ["pending"]


# -- alerts ----------------------------------------------------------------------------------------


def test_failed_run_posts_an_alert_to_the_error_channel(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path, models=tmp_path / "no-models", error_channel=ALERTS)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 3 and "no model manifest" in err
    [alert] = slack.calls("chat.postMessage")
    assert alert.params["channel"] == ALERTS
    assert alert.params["text"].startswith(f"fxbot alert: fxbot run failed (as of {DAY}): no model manifest")
    assert slack.posts(CHANNEL) == []
    path = yaml.safe_load(config.read_text())["ledger"]["path"]
    with sqlite3.connect(path) as db:
        status, error = db.execute("SELECT status, error FROM runs").fetchone()
    assert status == "failed" and "no model manifest" in error


@pytest.mark.parametrize("locale, head", [("en", "fxbot models: "), ("ja", "fxbot モデル: ")])
def test_a_notice_goes_to_the_report_channel_not_the_alerts(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locale: str, head: str
) -> None:
    """The model gate's decision is news for the channel's readers, not a failure for the error channel."""
    from fxbot import wiring
    from fxbot.config import Secrets, load_settings
    from fxbot.notify.manager import NotifierManager

    use_bot(monkeypatch, slack)
    settings = load_settings(write_config(tmp_path, locale=locale, error_channel=ALERTS))
    manager = NotifierManager(wiring.notifiers(settings, Secrets.from_env()), None)
    assert manager.notice("model gate USDJPY (as of 2024-06-10), challenger V: promoted V (was W)")
    [notice] = slack.calls("chat.postMessage")
    assert notice.params["channel"] == CHANNEL
    assert notice.params["text"] == f"{head}model gate USDJPY (as of 2024-06-10), challenger V: promoted V (was W)"
    # A notice Slack refuses is logged and reported as not delivered; it never raises into the run.
    slack.reply("chat.postMessage", Reply(200, {"ok": False, "error": "channel_not_found"}))
    assert manager.notice("model gate again") is False


def test_a_keyed_notice_reaches_each_notifier_once(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Retried after a clear refusal, never after an uncertain answer, and never again once delivered."""
    from fxbot import wiring
    from fxbot.config import Secrets, load_settings
    from fxbot.ledger import Ledger
    from fxbot.notify.manager import NotifierManager

    use_bot(monkeypatch, slack)
    settings = load_settings(write_config(tmp_path))
    ledger = Ledger(tmp_path / "ledger.sqlite")
    manager = NotifierManager(wiring.notifiers(settings, Secrets.from_env()), ledger)
    slack.reply("chat.postMessage", Reply(200, {"ok": False, "error": "channel_not_found"}))  # clear: nothing posted
    assert manager.notice("gate A", key="gate:A") is False
    assert manager.notice("gate A", key="gate:A") is True  # Slack tried again; the console had it already
    assert manager.notice("gate A", key="gate:A") is True  # delivered everywhere: nothing sent
    assert [c.params["text"] for c in slack.calls("chat.postMessage")] == ["fxbot models: gate A"] * 2
    assert capsys.readouterr().out.count("NOTICE: gate A") == 1

    # Store-then-fail: Slack stored it and answered 503; the look finds it, so it is recorded, never re-sent.
    slack.reply("chat.postMessage", Reply(503, "busy", process=True))  # a 5xx of chat.postMessage is not retried
    assert manager.notice("gate B", key="gate:B") is True
    assert [m["text"] for m in slack.posts(CHANNEL)].count("fxbot models: gate B") == 1
    tried = len(slack.calls("chat.postMessage"))
    assert manager.notice("gate B", key="gate:B") is True and len(slack.calls("chat.postMessage")) == tried
    ledger.close()


def test_a_gate_notice_slack_did_not_store_stays_pending_and_goes_out_with_the_next_run(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """500 on every try and nothing in the channel: not lost (it used to be recorded as sent), sent next time once."""
    from fxbot import wiring
    from fxbot.config import Secrets, load_settings
    from fxbot.ledger import Ledger
    from fxbot.notify.manager import NotifierManager

    use_bot(monkeypatch, slack)
    settings = load_settings(write_config(tmp_path))
    ledger = Ledger(tmp_path / "ledger.sqlite")
    manager = NotifierManager(wiring.notifiers(settings, Secrets.from_env()), ledger)
    # A 500 (never retried blindly for a post): the outcome is uncertain; the look finds nothing.
    slack.reply("chat.postMessage", Reply(500, {"ok": False, "error": "internal_error"}))
    assert manager.notice("gate C", key="gate:C") is False  # pending, not recorded as sent
    assert slack.posts(CHANNEL) == [] and not ledger.notice_sent("gate:C@slack")
    assert manager.notice("gate C", key="gate:C") is True  # the next run: looks, does not find it, sends it
    assert manager.notice("gate C", key="gate:C") is True  # then never again
    assert [m["text"] for m in slack.posts(CHANNEL)] == ["fxbot models: gate C"]
    assert capsys.readouterr().out.count("NOTICE: gate C") == 1  # the console had it the first time
    ledger.close()


def test_stale_data_alert_and_failed_alert_still_exit_non_zero(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    code, _, err = run(capsys, "run-once", "--config", str(config))  # bundled data end 2024-12-31: stale today
    assert code == 3 and "stale" in err
    [alert] = slack.calls("chat.postMessage")
    assert "fxbot did not post calls" in alert.params["text"] and "stale" in alert.params["text"]
    slack.reply("chat.postMessage", Reply(200, {"ok": False, "error": "channel_not_found"}))
    code, _, err = run(capsys, "run-once", "--config", str(config))
    assert code == 3 and len(slack.calls("chat.postMessage")) == 2


# -- chart, track record, locale --------------------------------------------------------------------


def test_chart_is_uploaded_into_the_report_thread(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path, chart=True)))
    assert code == 0, err
    [get_url] = slack.calls("files.getUploadURLExternal")
    [upload] = [r for r in slack.requests if r.api.startswith("upload/")]
    [complete] = slack.calls("files.completeUploadExternal")
    assert upload.raw.startswith(b"\x89PNG\r\n\x1a\n") and int(get_url.params["length"]) == len(upload.raw)
    assert complete.params["channel_id"] == CHANNEL
    assert complete.params["thread_ts"] == reports(slack)[0]["ts"]
    assert json.loads(complete.params["files"])[0]["id"] == upload.api.split("/")[1]


def test_track_record_comes_from_realized_outcomes(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    assert run(capsys, "run-once", "--as-of", "2024-06-13", "--config", str(config))[0] == 0
    first_text = slack.posts(CHANNEL)[0]["blocks"][-1]["elements"][1]["text"]
    assert first_text == "no scored calls yet"
    # Every day here is in the past, so every run is a replay, and a replay never counts as live: relabel the
    # first day's calls live, as if that day had been run after its own close.
    assert as_live(Path(yaml.safe_load(config.read_text())["ledger"]["path"])) == 3
    assert run(capsys, "run-once", "--as-of", DAY, "--config", str(config))[0] == 0
    # score 2024-06-13's calls by hand from the bars
    store = PriceStore(BUNDLED_DATA)
    calls = reports(slack)[0]["blocks"]
    right = ups = 0
    for section in [b for b in calls if "fields" in b]:
        pair = section["text"]["text"].split("*")[1].split()[0].replace("/", "")
        closes = store.load(pair).to_frame()["close"]
        move = closes.loc["2024-06-14"] / closes.loc["2024-06-13"] - 1
        buy = "BUY" in section["text"]["text"]
        right += int((move > 0) == buy)
        ups += int(move > 0)  # always-buy on the same days
    second = reports(slack)[1]["blocks"][-1]["elements"][1]["text"]
    assert second == f"last 3 calls: {right} right; always-buy {ups}"
    code, out, _ = run(capsys, "history", "--days", "5", "--config", str(config))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["DAY", "PAIR", "CALL", "VOTES", "MOVE", "RESULT", "DELIVERY", "KIND"]
    day13 = [ln for ln in lines if ln.startswith("2024-06-13")]
    assert len(day13) == 3 and all("sent" in ln and ("right" in ln or "wrong" in ln) for ln in day13)
    assert sum("right" in ln.split()[5] for ln in day13) == right
    assert any(ln.strip().startswith("USD/JPY:") and "right (" in ln for ln in lines)


def test_japanese_locale(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    assert run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path, locale="ja")))[0] == 0
    [post] = slack.calls("chat.postMessage")
    assert post.params["text"].startswith(f"fxbot シグナル {DAY} 時点")
    assert "USD/JPY ▼ 売り 5/5" in post.params["text"] and "投資助言ではありません。" in post.params["text"]
    fields = " ".join(f["text"] for b in post.params["blocks"] if "fields" in b for f in b["fields"])
    assert "レバレッジ" in fields and "想定元本" in fields


# -- check --------------------------------------------------------------------------------------------


def test_check_calls_slack_but_posts_nothing(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path, error_channel=ALERTS)
    code, out, _ = run(capsys, "check", "--config", str(config))
    assert code == 3  # the bundled data are stale today; everything else is fine
    assert "slack: token ok: bot fxbot in workspace Test" in out
    assert f"slack: channel {CHANNEL} (#fx-signals) reachable" in out and f"error channel {ALERTS}" in out
    assert "model: USDJPY: USDJPY-20241231" in out and "(stale)" in out
    assert f"slack: the bot can read the history of {CHANNEL}" in out
    apis = ["auth.test", "conversations.info", "conversations.info", "conversations.history"]
    assert [r.api for r in slack.requests] == apis
    slack.channel_info["is_member"] = False
    code, out, _ = run(capsys, "check", "--config", str(config))
    assert code == 4 and "/invite @fxbot" in out
    assert slack.calls("chat.postMessage") == [] and not (tmp_path / "state").exists()


# -- secrets ------------------------------------------------------------------------------------------


def test_secrets_never_appear_in_output_logs_or_ledger(
    slack: SlackStandIn, tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    config = write_config(tmp_path)
    outputs: list[str] = []
    bot = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
    slack.reply("chat.postMessage", Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    for args in (("run-once", "--replay", "--as-of", DAY), ("run-once", "--replay", "--as-of", DAY), ("check",)):
        result = fxbot_cli(*args, "-v", "--config", str(config), env=bot)
        outputs += [result.stdout, result.stderr]
    bad = fxbot_cli(
        "run-once", "--replay", "-v", "--as-of", DAY, "--config", str(config), env={**bot, "SLACK_BOT_TOKEN": "x"}
    )
    outputs += [bad.stdout, bad.stderr]
    hook = {"SLACK_WEBHOOK_URL": slack.webhook_url}
    slack.reply("webhook", Reply(503, "busy"), Reply(404, "no_service"))  # the report (not re-sent), the alert
    result = fxbot_cli("run-once", "--replay", "-v", "--as-of", "2024-06-13", "--config", str(config), env=hook)
    outputs += [result.stdout, result.stderr]
    assert result.returncode == 4 and len(slack.calls("webhook")) == 2
    # nothing listens on this port: slack_sdk retries the connection and logs the URL it retries
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}{WEBHOOK_PATH}"
    result = fxbot_cli(
        "run-once",
        "--replay",
        "-v",
        "--as-of",
        "2024-06-12",
        "--config",
        str(config),
        env={"SLACK_WEBHOOK_URL": closed},
    )
    outputs += [result.stdout, result.stderr]
    assert result.returncode == 4 and "cannot reach Slack's webhook" in result.stderr
    assert "Going to retry the same request: POST [redacted]" in result.stderr  # logged, redacted
    state = b"".join(p.read_bytes() for p in sorted((tmp_path / "state").rglob("*")) if p.is_file())
    assert len(slack.calls("chat.postMessage")) >= 2
    secret_path = WEBHOOK_PATH.rsplit("/", 1)[1]
    for secret in (TOKEN, "TESTSECRET", secret_path):
        assert all(secret not in text for text in outputs), secret
        assert secret.encode() not in state
    assert "[redacted]" in result.stderr


def test_ledger_refuses_a_newer_schema(tmp_path: Path) -> None:
    from fxbot.errors import ConfigError
    from fxbot.ledger import Ledger

    ledger = Ledger(tmp_path / "l.sqlite")
    ledger.start_run(dt.date(2024, 6, 14))
    ledger.close()
    with sqlite3.connect(tmp_path / "l.sqlite") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ConfigError, match="schema version 99, newer"):
        Ledger(tmp_path / "l.sqlite").runs()


# -- import cost -------------------------------------------------------------------------------------


def test_importing_the_slack_package_imports_no_pandas() -> None:
    code = "import sys, fxbot.notify.slack; print(sorted(m for m in ('pandas', 'tensorflow') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_bad_channel_value_is_echoed_only_when_it_looks_like_a_channel_name() -> None:
    from fxbot.errors import ConfigError
    from fxbot.notify.slack import _validate_channel

    with pytest.raises(ConfigError, match=r"got '#fx-signals'"):
        _validate_channel("#fx-signals", "notify.slack.channel")
    pasted = "Zq9!pasted-Secret-Value-5e4d3c2b1a"
    with pytest.raises(ConfigError, match=r"the value is not shown") as info:
        _validate_channel(pasted, "notify.slack.channel")
    assert pasted not in str(info.value)
