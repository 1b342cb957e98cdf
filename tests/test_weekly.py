"""The weekly summary against the Slack stand-in: posted once per week, not again, a 5xx alerted, Japanese.

The ledger is filled by real daily runs (console only) over two weeks of bundled bars; the summary
then goes through the real slack_sdk to the stand-in on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fxbot.cli import main
from fxbot.config import ScheduleSettings
from fxbot.errors import ConfigError
from fxbot.extras import install_hint
from fxbot.scheduler import Daemon

from .conftest import BUNDLED_DATA, SHIPPED_MODELS
from .support.ledger import as_live
from .support.slack_server import TOKEN, Reply, SlackStandIn
from .test_post import english_words

CHANNEL = "C0FXSIGNALS"
ALERTS = "C0FXALERTS"
FRIDAY = "2024-06-14"
DAYS = ["2024-06-06", "2024-06-07", "2024-06-10", "2024-06-11", "2024-06-12", "2024-06-13", "2024-06-14"]


def _config(tmp_path: Path, **notify: Any) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
        "notify": {
            "slack": {"channel": CHANNEL, "error_channel": ALERTS, "retries": 1, "timeout_seconds": 1, "chart": True},
            **notify,
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A ledger holding the calls of DAYS (recorded by real runs, no Slack)."""
    path = _config(tmp_path)
    for day in DAYS:
        assert main(["run-once", "--replay", "--no-fetch", "--as-of", day, "--config", str(path)]) == 0
    as_live(tmp_path / "state" / "ledger.sqlite")  # they stand for a live week: a replay never counts in a summary
    return path


def _bot(monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("FXBOT_SLACK_API_URL", slack.api_url)


def _summaries(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [m for m in slack.posts(CHANNEL) if (m.get("metadata") or {}).get("event_type") == "fxbot_weekly_summary"]


def _rows(config: Path, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(yaml.safe_load(config.read_text())["ledger"]["path"]) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql))


def test_no_chart_is_uploaded_with_chart_false(
    slack: SlackStandIn, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = yaml.safe_load(config.read_text())
    raw["notify"]["slack"]["chart"] = False
    config.write_text(yaml.safe_dump(raw))
    _bot(monkeypatch, slack)
    assert main(["summary", "--week", "2024-06-12", "--config", str(config)]) == 0
    assert len(_summaries(slack)) == 1
    assert not [r for r in slack.requests if r.api.startswith(("files.", "upload/"))]  # no chart, no files:write


def test_without_matplotlib_the_summary_is_posted_and_the_missing_chart_said_once(
    slack: SlackStandIn, config: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _bot(monkeypatch, slack)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [charts] extra were not installed
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    assert main(["summary", "--week", "2024-06-12", "--config", str(config)]) == 0
    assert len(_summaries(slack)) == 1
    assert not [r for r in slack.requests if r.api.startswith(("files.", "upload/"))]
    said = [r.getMessage() for r in caplog.records if "without its chart" in r.getMessage()]
    assert len(said) == 1 and install_hint("charts") in said[0]


def test_weekly_summary_is_posted_once_with_its_chart_and_not_again(
    slack: SlackStandIn, config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _bot(monkeypatch, slack)
    assert main(["summary", "--week", "2024-06-12", "--config", str(config)]) == 0
    [post] = _summaries(slack)
    assert post["metadata"]["event_payload"] == {"week_end": FRIDAY}
    # The week's calls are those closed Monday-Friday: made after the closes of Jun 7, 10, 11, 12, 13.
    week = _rows(config, "SELECT right, move FROM signals WHERE outcome_day BETWEEN '2024-06-10' AND '2024-06-14'")
    right, ups = sum(r["right"] for r in week), sum(r["move"] > 0 for r in week)
    assert len(week) == 15
    assert post["text"].startswith(f"fxbot weekly summary, week to {FRIDAY}: {right}/15 right this week")
    assert f"(always-buy {ups})" in post["text"]
    sections = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
    assert [s.split("*")[1] for s in sections] == ["USD/JPY", "EUR/JPY", "GBP/JPY", "All pairs", "Loss from history"]
    # the last post's 20-day loss from history, and the week's scored days against their 1-day figures
    assert "20-day 99.9% ¥" in sections[-1] and "the 1-day 99% figure was exceeded on" in sections[-1]
    sections = sections[:-1]
    assert f"this week {right}/15 right (always-buy {ups}/15)" in sections[-1]
    assert "99% coin-flip band" in sections[-1] and "max drawdown ¥" in sections[-1]
    basis = post["blocks"][-1]["elements"][0]["text"]
    assert "USD/JPY 1.79x" in basis and "0.4/0.6/1 pips" in basis and "with rollover" in basis
    [upload] = slack.calls("files.completeUploadExternal")
    assert upload.params["thread_ts"] == post["ts"]
    assert json.loads(upload.params["files"])[0]["id"]
    assert [(r["destination"], r["as_of"], r["status"]) for r in _rows(config, "SELECT * FROM deliveries")] == [
        (f"weekly:{CHANNEL}", FRIDAY, "sent")
    ]

    capsys.readouterr()
    assert main(["summary", "--week", FRIDAY, "--config", str(config)]) == 0
    assert len(_summaries(slack)) == 1 and len(slack.calls("chat.postMessage")) == 1
    assert f"the weekly summary of the week to {FRIDAY} was already posted to {CHANNEL}" in capsys.readouterr().out
    # a lost ledger row cannot repost: the channel is looked at first
    with sqlite3.connect(yaml.safe_load(config.read_text())["ledger"]["path"]) as db:
        db.execute("DELETE FROM deliveries")
    assert main(["summary", "--week", FRIDAY, "--config", str(config)]) == 0
    assert len(_summaries(slack)) == 1


def test_a_5xx_on_the_summary_is_alerted_and_exits_4(
    slack: SlackStandIn, config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _bot(monkeypatch, slack)
    slack.reply("chat.postMessage", Reply(503, "busy"), Reply(503, "busy"))  # both tries (retries: 1)
    assert main(["summary", "--week", FRIDAY, "--config", str(config)]) == 4
    assert _summaries(slack) == []
    [alert] = slack.posts(ALERTS)
    assert alert["text"].startswith(f"fxbot alert: fxbot weekly summary failed (week to {FRIDAY}): no clear answer")
    assert [r["status"] for r in _rows(config, "SELECT * FROM deliveries")] == ["pending"]
    # The next run looks in the channel, finds nothing and posts.
    assert main(["summary", "--week", FRIDAY, "--config", str(config)]) == 0
    assert len(_summaries(slack)) == 1


def test_a_week_not_closed_yet_is_refused_unless_dry_run(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    future = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    assert main(["summary", "--week", future, "--config", str(config)]) == 2
    assert "has not closed yet" in capsys.readouterr().err
    assert main(["summary", "--week", FRIDAY, "--dry-run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"fxbot weekly summary: week to {FRIDAY}\nUSD/JPY:\n  this week ")
    assert _rows(config, "SELECT * FROM deliveries") == []


def test_japanese_summary_has_no_english_words_left(
    slack: SlackStandIn, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bot(monkeypatch, slack)
    ja = config.parent / "ja.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["notify"]["locale"] = "ja"
    ja.write_text(yaml.safe_dump(cfg))
    assert main(["summary", "--week", FRIDAY, "--config", str(ja)]) == 0
    [post] = _summaries(slack)
    texts = [post["text"]]
    for block in post["blocks"]:
        texts += [block["text"]["text"]] if "text" in block else []
        texts += [e["text"] for e in block.get("elements", [])]
    # "pips" is the unit traders in Japan write too; nothing else may stay English
    assert english_words([t.replace("pips", "") for t in texts]) == []
    assert "週次サマリー" in post["text"] and "全通貨ペア" in "\n".join(texts)


def test_the_daemons_summary_job_posts_in_a_child_and_alerts_a_failure(
    slack: SlackStandIn, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bot(monkeypatch, slack)  # the child inherits the environment
    alerts: list[str] = []
    daemon = Daemon(
        ScheduleSettings(job_timeout=120), config, alert=alerts.append, summary_trigger=None, reload_schedule=None
    )
    assert daemon.scheduler.get_job("fxbot-weekly-summary") is not None  # from schedule.summary_cron
    result = daemon.summary_job()
    assert result.exit_code == 0 and alerts == []
    [post] = _summaries(slack)  # the newest closed week: no calls of it in this ledger, still one post
    assert dt.date.fromisoformat(post["metadata"]["event_payload"]["week_end"]).weekday() == 4
    assert daemon.summary_job().exit_code == 0 and len(_summaries(slack)) == 1  # once per week

    # Another channel, and Slack answers 503 to both tries of the summary: the child alerts, exits 4,
    # and the daemon alerts too.
    other = config.parent / "other.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["notify"]["slack"]["channel"] = "C0OTHER"
    other.write_text(yaml.safe_dump(cfg))
    slack.reply("chat.postMessage", Reply(503, "busy"), Reply(503, "busy"))
    failing = Daemon(ScheduleSettings(job_timeout=120, summary_cron=""), other, alert=alerts.append)
    assert failing.scheduler.get_job("fxbot-weekly-summary") is None  # an empty summary_cron: no job
    assert failing.summary_job().exit_code == 4
    assert len(alerts) == 1 and alerts[0].startswith("fxbot: the weekly summary failed: the summary run exited")
    assert "weekly summary failed" in slack.posts(ALERTS)[-1]["text"] and slack.posts("C0OTHER") == []


def test_a_bad_summary_cron_is_one_line_from_check_and_the_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"schedule": {"summary_cron": "30 22 * * 5"}}))
    assert main(["check", "--config", str(config)]) != 0
    assert "schedule.summary_cron weekday field '5' uses numbers" in capsys.readouterr().out
    with pytest.raises(ConfigError, match=r"schedule\.summary_cron"):
        Daemon(ScheduleSettings(summary_cron="30 22 * *"), None, alert=print)
