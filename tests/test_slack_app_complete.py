"""The Slack app, complete: the manifest's scopes, `/fxbot record` and `/fxbot version`, Japanese status and gate
notices, and what empty allow lists mean (said by `fxbot check`)."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from fxbot.calendar import next_trading_day
from fxbot.check import check_slack_app
from fxbot.config import Secrets, Settings, settings_from_mapping
from fxbot.model.gate import judge
from fxbot.model.gate_text import gate_notice
from fxbot.model.registry import Action, Entry
from fxbot.pipeline import RunOptions, run_once
from fxbot.slack_app import views
from fxbot.slack_app.answers import Answers
from fxbot.status import CheckResult
from fxbot.status_text import status_line

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS
from .support.slack_server import APP_TOKEN, TOKEN, SlackStandIn
from .support.socket_mode_server import SocketModeStandIn
from .test_post import english_words

MANIFEST = REPO / "deploy" / "slack-app-manifest.yaml"
#: The bot scope each Slack Web API method fxbot calls needs (channels:*; groups:* for a private channel).
SCOPE = {
    "chat_postMessage": "chat:write",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
    "conversations_info": "channels:read",
    "files_upload_v2": "files:write",
    "views_publish": None,  # a bot token may publish its own app's Home
    "auth_test": None,
    "apps_connections_open": None,  # the app-level token's connections:write, not a bot scope
}


def test_the_manifest_has_every_scope_fxbot_uses_and_the_docs_point_at_it() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    source = "\n".join(p.read_text() for p in (REPO / "fxbot").rglob("*.py"))
    called = set(re.findall(r"client\.(chat_[a-zA-Z]+|conversations_[a-z]+|files_[a-z0-9_]+|views_[a-z]+)\(", source))
    called |= set(re.findall(r"\.(chat_postMessage|files_upload_v2|auth_test|apps_connections_open)\b", source))
    assert called, "no Web API call found in fxbot/: the pattern above needs updating"
    unknown = called - set(SCOPE)
    assert not unknown, f"Web API methods without a known scope (add them to SCOPE and the manifest): {unknown}"
    needed = {SCOPE[m] for m in called if SCOPE[m]} | {"commands"}
    assert needed <= scopes and "files:write" in scopes
    assert {"groups:read", "groups:history"} <= scopes  # the same for a private channel
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/fxbot"
    for word in ("status", "history", "week", "record", "version", "help"):
        assert word in command["usage_hint"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    guide = (REPO / "docs" / "slack-app.md").read_text()
    assert "deploy/slack-app-manifest.yaml" in guide
    for page in [REPO / "README.md", *(REPO / "docs").rglob("*.md")]:  # one manifest, in one place
        assert "oauth_config:" not in page.read_text(), page


def _raw(tmp_path: Path, locale: str = "en", **app: Any) -> dict[str, Any]:
    return {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
        "notify": {"locale": locale},
        "slack_app": app,
    }


@pytest.fixture(scope="module")
def live_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four live daily runs in a row (console only): three days' calls scored."""
    folder = tmp_path_factory.mktemp("live")
    settings = settings_from_mapping(_raw(folder))
    from fxbot import wiring

    day = dt.date(2024, 12, 24)
    for _ in range(4):
        deps = wiring.daily_dependencies(settings, Secrets())
        deps.now = lambda day=day: dt.datetime.combine(next_trading_day(day), dt.time(1), dt.UTC)
        run_once(settings, deps, RunOptions(as_of=day, fetch=False))
        deps.ledger.close()
        day = next_trading_day(day)
    return folder


def _settings(folder: Path, locale: str = "en", **extra: Any) -> Settings:
    raw = _raw(folder, locale)
    raw.update(extra)
    return settings_from_mapping(raw)


def test_record_says_the_ledgers_live_pnl_against_always_buy_and_where_the_page_is(live_ledger: Path) -> None:
    settings = _settings(live_ledger, site={"dir": "/srv/fxbot-site", "url": "https://fx.example.org/record/"})
    answer = Answers(settings).command("record")
    assert views.block_problems(answer.blocks) == []
    text = "\n".join(b["text"]["text"] for b in answer.blocks if b["type"] in ("section", "header"))
    with sqlite3.connect(live_ledger / "state" / "ledger.sqlite") as db:
        n, right, ups, pnl, buy = db.execute(
            "SELECT COUNT(*), SUM(right), SUM(move > 0), SUM(CASE direction WHEN 'BUY' THEN 1 ELSE -1 END"
            " * notional_jpy * move), SUM(notional_jpy * move) FROM signals WHERE right IS NOT NULL"
        ).fetchone()
    assert n == 9  # three scored days x three pairs

    def yen(v: float) -> str:
        return f"{'-' if round(v) < 0 else '+'}¥{abs(round(v)):,}"

    assert f"*Live*: {n} scored calls (2024-12-26 to 2024-12-30): {right} right" in text
    assert f"always-buy on the same calls {ups} right" in text
    assert f"*P/L following the calls* {yen(pnl)}; always-buy on the same calls {yen(buy)}" in text
    assert "Walk-forward (a backtest, not live)*: 50.2% of 13,223 calls right, always-buy 51.1%" in text
    assert "No edge shown over always-buy" in text
    assert "The full record: https://fx.example.org/record/" in text
    folder_only = Answers(_settings(live_ledger, site={"dir": "/srv/fxbot-site"})).command("record")
    assert "The full record: /srv/fxbot-site/index.html" in folder_only.text + str(folder_only.blocks)
    ja = Answers(_settings(live_ledger, "ja")).command("record")
    ja_text = " ".join(b["text"]["text"] for b in ja.blocks if isinstance(b.get("text"), dict))
    assert english_words([ja_text.replace("McNemar", "")]) == [], ja_text
    assert f"評価済み {n}件" in ja_text and yen(pnl) in ja_text and "バックテスト" in ja_text


def _quoted_out(text: str, folder: Path) -> str:
    """``text`` without what a status line quotes as it is: the ledger's path, the cron expression, UTC."""
    text = re.sub(r"'[^']*' \w+", "", text.replace(str(folder / "state" / "ledger.sqlite"), ""))
    return text.replace(" UTC", "")


def test_status_and_the_app_home_health_are_japanese_under_ja(live_ledger: Path) -> None:
    settings = _settings(live_ledger, "ja", slack_app={"allowed_users": ["U0ALLOWED1"]})
    now = dt.datetime(2025, 1, 2, 1, tzinfo=dt.UTC)
    answers = Answers(settings, now=lambda: now)
    status = answers.command("status")
    lines = [_quoted_out(b["text"]["text"], live_ledger) for b in status.blocks if isinstance(b.get("text"), dict)]
    assert english_words(lines) == [], lines
    home = answers.home()
    assert views.block_problems(home["blocks"], "home") == []
    home_texts = [
        _quoted_out(b["text"]["text"], live_ledger) for b in home["blocks"] if isinstance(b.get("text"), dict)
    ]
    assert english_words(home_texts) == [], home_texts
    joined = "\n".join(home_texts)
    assert "前回の実行:" in joined and "シグナルに従った損益" in joined


def test_the_app_home_shows_the_pages_live_chart_when_site_url_is_set(live_ledger: Path) -> None:
    home = Answers(_settings(live_ledger, site={"url": "https://fx.example.org/record/"})).home()
    assert views.block_problems(home["blocks"], "home") == []
    [image] = [b for b in home["blocks"] if b["type"] == "image"]
    assert image["image_url"] == "https://fx.example.org/record/live-equity.png"
    assert image["alt_text"] == "Live P/L of following the calls (solid) and of always-buy (dashed)"
    assert not [b for b in Answers(_settings(live_ledger)).home()["blocks"] if b["type"] == "image"]


@pytest.mark.parametrize(
    "line",
    [
        "PROBLEM data: USDJPY: 4808 bars, last 2024-12-31, 12 trading day(s) behind 2025-01-17 (stale)",
        "model: EURJPY: EURJPY-20241231-a1bc08ba, 5 members, trained to 2024-12-31 (3 trading days ago)",
        "PROBLEM model age: trained to USDJPY 2024-12-31; the oldest is 400 days old, past "
        "lifecycle.max_model_age_days (180): `fxbot retrain` trains challengers",
        "challenger: USDJPY-20250301-0123abcd trained to 2025-02-28, on trial: the daily runs make its shadow "
        "calls and the gate decides after 20 scored ones",
        "PROBLEM rollback flag: USDJPY: the champion USDJPY-20241231-0c103168 got 30.0% of its last 40 calls right, "
        "always-buy 60.0% (random band ±20.4%); `fxbot models rollback USDJPY` restores the previous one",
        "last run: none yet (no ledger at state/fxbot.sqlite)",
        "next scheduled run: never ('15 22 * * mon-fri' UTC)",
    ],
)
def test_every_kind_of_status_line_is_said_in_japanese(line: str) -> None:
    said = status_line(line, "ja")
    assert said != line and said.startswith("PROBLEM ") == line.startswith("PROBLEM ")
    labels = (
        "データ:",
        "モデル:",
        "モデルの古さ:",
        "挑戦モデル:",
        "ロールバック警告:",
        "前回の実行:",
        "次回の実行予定:",
    )
    assert said.removeprefix("PROBLEM ").startswith(labels)
    for english in ("bars", "last ", "behind", "stale", "members", "trained", "ago", "oldest", "days old", "past ",
                    "on trial", "shadow", "champion", "right", "always-buy", "random band", "restores", "none yet",
                    "no ledger", "never", "next scheduled"):  # fmt: skip
        assert english not in said, english
    assert status_line(line, "en") == line


def _entry(action: Action, hits: list[bool], champion: list[bool], up: list[bool]) -> tuple[Entry, str]:
    decision = judge(hits, champion, up, 0.02)
    text = f"model gate USDJPY (as of 2024-06-20), challenger USDJPY-20240531-deadbeef: {decision.reason}"
    evidence = {**decision.evidence(), "notice": text}
    at, old, new = "2024-06-21T01:00:00+00:00", "USDJPY-20231231-0c103168", "USDJPY-20240531-deadbeef"
    return Entry(at, "USDJPY", action, old, new, "schedule", evidence), text


@pytest.mark.parametrize("action", ["promote", "passed", "keep"])
def test_the_gates_notice_is_japanese_under_ja(action: Action) -> None:
    up = [True, False] * 10
    hits = up if action != "keep" else [not u for u in up]
    entry, text = _entry(action, hits, up, up)
    said = gate_notice(entry, text, "ja")
    assert said.startswith("モデルゲート USDJPY（2024-06-20 時点）、挑戦モデル USDJPY-20240531-deadbeef")
    assert english_words([said.replace("McNemar", "").replace("lifecycle.auto_promote", "")]) == [], said
    assert "常に買い" in said and "シャドー" in said
    assert gate_notice(entry, text, "en") == text


def test_empty_allow_lists_are_said_by_fxbot_check(tmp_path: Path) -> None:
    with SocketModeStandIn() as socket, SlackStandIn(socket_url=socket.next_url) as web:
        secrets = Secrets.from_env(
            {"FXBOT_SLACK_API_URL": web.api_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
        )
        empty, users_only, both = CheckResult(), CheckResult(), CheckResult()
        check_slack_app(settings_from_mapping(_raw(tmp_path)), secrets, empty)
        check_slack_app(settings_from_mapping(_raw(tmp_path, allowed_channels=["C0ALLOWED1"])), secrets, users_only)
        ok = _raw(tmp_path, allowed_users=["U0ALLOWED1"], allowed_channels=["C0ALLOWED1"])
        check_slack_app(settings_from_mapping(ok), secrets, both)
    [line] = [ln for ln in empty.lines if "WARNING" in ln]
    assert "both empty, so every /fxbot command is refused and the App Home is shown to nobody" in line
    assert any("the App Home is shown to nobody" in ln for ln in users_only.lines)
    assert not any("WARNING" in ln for ln in both.lines)
