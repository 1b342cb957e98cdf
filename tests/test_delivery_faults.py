"""Delivery under the faults the adversarial pass found (issue 12), against the Slack stand-in on 127.0.0.1.

Each test scripts one fault the way Slack (or a proxy in front of it) produces it and counts what
reached the channel: a report is posted at most once per day, and what the ledger records is what
was actually posted. Runs go through the CLI's ``main`` in process; a subprocess where a run must
be killed or could hang.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_fxbot
from .support.slack_server import TOKEN, Reply, SlackStandIn
from .test_slack import DAY, _crash_on, _spawn, deliveries, reports, run, use_bot, write_config

UNCERTAIN_ANSWERS: dict[str, tuple[int, dict[str, Any] | str]] = {
    "non-json-200": (200, "<html><body>upstream hiccup</body></html>"),
    "broken-json-200": (200, '{"ok": true, "ts": '),
    "fatal_error": (200, {"ok": False, "error": "fatal_error"}),
    "internal_error": (200, {"ok": False, "error": "internal_error"}),
}


def _sent(config: Path) -> list[tuple[str, str | None]]:
    return [(r["status"], r["ts"]) for r in deliveries(config)]


# -- 1. store-then-5xx: no blind server-error retry of chat.postMessage -------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_after_slack_stored_the_post_is_reconciled_not_reposted(
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: int,
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    slack.reply("chat.postMessage", Reply(status, "upstream error", process=True))
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0, err
    assert len(slack.calls("chat.postMessage")) == 1 and len(reports(slack)) == 1
    assert _sent(config) == [("sent", reports(slack)[0]["ts"])]


def test_503_on_every_answer_still_posts_once(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path, retries=3)
    slack.reply("chat.postMessage", *[Reply(503, "busy", process=True)] * 4)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0, err
    assert len(reports(slack)) == 1 and _sent(config) == [("sent", reports(slack)[0]["ts"])]


@pytest.mark.parametrize("status", [500, 503])
def test_webhook_5xx_is_never_resent_automatically(
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: int,
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    config = write_config(tmp_path)

    def report_posts() -> int:
        return len([p for p in slack.webhook_posts if p["text"].startswith("fxbot calls")])

    slack.reply("webhook", Reply(status, "service unavailable", process=True))
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    last = err.strip().splitlines()[-1]
    assert code == 4 and "check the channel" in last and "fxbot run-once --force" in last
    assert report_posts() == 1 and [r["status"] for r in deliveries(config)] == ["pending"]
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))  # the next run does not either
    assert code == 4 and "--force" in err and report_posts() == 1
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--force", "--config", str(config))  # the person's call
    assert code == 0, err
    assert report_posts() == 2


# -- 2. 200 with a non-JSON body, ok:false fatal_error / internal_error: uncertain ---------------------


@pytest.mark.parametrize("answer", UNCERTAIN_ANSWERS.keys())
def test_uncertain_answer_after_slack_stored_the_post_is_reconciled(
    slack: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)
    status, body = UNCERTAIN_ANSWERS[answer]
    slack.reply("chat.postMessage", Reply(status, body, process=True))
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0, err
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))  # the next run
    assert code == 0, err
    assert len(reports(slack)) == 1
    assert _sent(config) == [("sent", reports(slack)[0]["ts"])]


# -- 3. slow acceptance: the post lands after the client timed out --------------------------------------


def test_a_post_that_lands_after_the_timeout_is_waited_for(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    config = write_config(tmp_path)  # timeout_seconds: 1
    slack.reply("chat.postMessage", Reply(process_after=1.75))  # stored 0.75 s after the client gave up
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    slack.wait_idle()
    assert code == 0, err
    assert len(slack.calls("chat.postMessage")) == 1 and len(reports(slack)) == 1
    assert _sent(config) == [("sent", reports(slack)[0]["ts"])]


# -- 4. a host clock 300 s ahead of Slack's -------------------------------------------------------------


def test_a_clock_300s_ahead_of_slacks_does_not_hide_the_post(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlackStandIn(clock_offset=-300) as slack:
        use_bot(monkeypatch, slack)
        config = write_config(tmp_path)
        slack.reply("chat.postMessage", Reply(delay=2.5))  # stored, answered after the 1 s timeout
        code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
        slack.wait_idle()
        assert code == 0, err
        assert len(slack.calls("chat.postMessage")) == 1 and len(reports(slack)) == 1
        assert _sent(config) == [("sent", reports(slack)[0]["ts"])]


def test_a_clock_300s_ahead_does_not_hide_an_interrupted_runs_post(tmp_path: Path) -> None:
    with SlackStandIn(clock_offset=-300) as slack:
        config = write_config(tmp_path)
        env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
        victims = _crash_on(slack, "chat.postMessage")  # killed after Slack stored the post
        first = _spawn(config, env)
        victims.append(first)
        first.communicate(timeout=120)
        slack.after = None
        second = _spawn(config, env)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert len(slack.calls("chat.postMessage")) == 1 and len(reports(slack)) == 1
        assert _sent(config) == [("sent", reports(slack)[0]["ts"])]


# -- 5. the ledger lost after a post ----------------------------------------------------------------------


def test_a_lost_ledger_cannot_cause_a_second_post(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bot(monkeypatch, slack)
    code, _, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(write_config(tmp_path)))
    assert code == 0, err
    # The same channel with a ledger that knows nothing of it: deleted, truncated, or a new host.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    config = write_config(fresh)
    code, out, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
    assert code == 0, err
    assert len(slack.calls("chat.postMessage")) == 1 and len(reports(slack)) == 1
    assert "already in the channel" in out
    assert _sent(config) == [("sent", reports(slack)[0]["ts"])]  # the ledger learns what was posted


# -- 6. Retry-After without bound ---------------------------------------------------------------------------


@pytest.mark.parametrize("credential", ["bot", "webhook"])
def test_a_retry_after_beyond_the_cap_gives_up_at_once(slack: SlackStandIn, tmp_path: Path, credential: str) -> None:
    config = write_config(tmp_path)  # max_retry_after_seconds: the default (60)
    limited = Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "86400"})
    if credential == "bot":
        env = {"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
        slack.reply("chat.postMessage", limited, limited)  # the report, then the alert
    else:
        env = {"SLACK_WEBHOOK_URL": slack.webhook_url}
        slack.reply("webhook", Reply(429, "rate_limited", {"Retry-After": "86400"}), limited)
    try:
        result = run_fxbot("run-once", "--replay", "--as-of", DAY, "--config", str(config), env=env, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("fxbot slept on Retry-After: 86400")
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 4, result.stderr
    assert "Retry-After" in last and "86400" in last and "notify.slack.max_retry_after_seconds" in last
    assert reports(slack) == [] and slack.webhook_posts == []


# -- 7. a redirect to another origin ------------------------------------------------------------------------


@pytest.mark.parametrize("credential", ["bot", "webhook"])
def test_a_redirect_to_another_origin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], credential: str
) -> None:
    with SlackStandIn() as elsewhere, SlackStandIn(redirect_to=elsewhere.base) as slack:
        if credential == "bot":
            use_bot(monkeypatch, slack)
        else:
            monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        config = write_config(tmp_path)
        code, out, err = run(capsys, "run-once", "--as-of", DAY, "--config", str(config))
        assert elsewhere.requests == []  # neither the token nor the message went there
        assert code == 4
        target = elsewhere.base.removeprefix("http://")
        last = err.strip().splitlines()[-1]
        assert "redirect" in last and target in last
        assert TOKEN not in out + err and "WEBHOOKSECRET" not in out + err
        assert all(r["status"] != "sent" for r in deliveries(config))
