"""Each posted day's outcome, once, in its post's thread (bot token) or as a line in the next post (webhook).

Live daily runs (``now`` the evening after each bar day, so nothing is a replay) against the Slack
stand-in on 127.0.0.1 with the real slack_sdk; the expected figures are recomputed from the bundled bars.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from fxbot import wiring
from fxbot.calendar import next_trading_day
from fxbot.config import Secrets, SecretStr, Settings, settings_from_mapping
from fxbot.data.store import PriceStore
from fxbot.pipeline import RunOptions, run_once

from .conftest import BUNDLED_DATA, SHIPPED_MODELS
from .support.slack_server import TOKEN, WEBHOOK_PATH, Reply, SlackStandIn

CHANNEL = "C0FXSIGNALS"
DAY1 = dt.date(2024, 6, 12)
DAY2 = next_trading_day(DAY1)
DAY3 = next_trading_day(DAY2)
NOTIONAL = {"USDJPY": 1_790_000, "EURJPY": 1_680_000, "GBPJPY": 1_030_000}


def _settings(tmp_path: Path, locale: str = "en") -> Settings:
    return settings_from_mapping(
        {
            "data": {"dir": str(BUNDLED_DATA)},
            "model": {"dir": str(SHIPPED_MODELS)},
            "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
            "notify": {"locale": locale, "slack": {"channel": CHANNEL, "retries": 1, "timeout_seconds": 1}},
        }
    )


def _run(settings: Settings, secrets: Secrets, day: dt.date, *, replay: bool = False) -> None:
    """The run of ``day`` as the daily job makes it the evening after (a replay: a week later)."""
    deps = wiring.daily_dependencies(settings, secrets)
    evening = next_trading_day(day) if not replay else day + dt.timedelta(days=8)
    deps.now = lambda: dt.datetime.combine(evening, dt.time(1), dt.UTC)
    try:
        run_once(settings, deps, RunOptions(as_of=day, fetch=False, replay=replay))
    finally:
        deps.ledger.close()


def _bot(slack: SlackStandIn) -> Secrets:
    return Secrets(slack_bot_token=SecretStr(TOKEN), slack_api_url=slack.api_url)


def _daily(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [m for m in slack.posts(CHANNEL) if (m.get("metadata") or {}).get("event_type") == "fxbot_daily_calls"]


def _moves(day: dt.date) -> dict[str, float]:
    """Each pair's move from ``day``'s close to the next bar's, from the bundled bars."""
    store = PriceStore(BUNDLED_DATA)
    out = {}
    for code in NOTIONAL:
        bars = store.load(code)
        close = float(bars.up_to(day).close[-1])
        out[code] = float(bars.since(day + dt.timedelta(days=1)).close[0]) / close - 1.0
    return out


def _deliveries(tmp_path: Path, destination: str) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite") as db:
        return db.execute(
            "SELECT as_of, status, ts FROM deliveries WHERE destination = ? ORDER BY id", (destination,)
        ).fetchall()


def test_the_next_run_replies_in_the_first_posts_thread_once(slack: SlackStandIn, tmp_path: Path) -> None:
    settings, secrets = _settings(tmp_path), _bot(slack)
    _run(settings, secrets, DAY1)
    [first] = _daily(slack)
    assert slack.calls("chat.postMessage")[0].params.get("thread_ts") is None
    _run(settings, secrets, DAY2)

    [reply] = slack.replies(CHANNEL, first["ts"])
    [reply_call] = [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts")]
    assert reply_call.params["thread_ts"] == first["ts"]  # in the first post's thread, not the channel
    assert reply["metadata"] == {"event_type": "fxbot_call_outcome", "event_payload": {"as_of": DAY1.isoformat()}}
    assert len(_daily(slack)) == 2  # the second day's calls are a post of their own
    text = reply["text"]
    assert text.splitlines()[0] == f"Outcome of the calls as of {DAY1.isoformat()}"
    # per pair: the call, right or wrong, the move, P/L at the posted leverage, always-buy's on the same day
    moves = _moves(DAY1)
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite") as db:
        calls = dict(db.execute("SELECT pair, direction FROM signals WHERE as_of = ?", (DAY1.isoformat(),)))
    total = buy_total = 0.0
    right = 0
    for code, move in moves.items():
        sign = 1 if calls[code] == "BUY" else -1
        pnl, buy = sign * move * NOTIONAL[code], move * NOTIONAL[code]
        total, buy_total, right = total + pnl, buy_total + buy, right + int(sign * move > 0)
        display = f"{code[:3]}/{code[3:]}"
        [line] = [ln for ln in text.splitlines() if ln.startswith(display)]
        assert (":white_check_mark: right" if sign * move > 0 else ":x: wrong") in line
        assert f"move {move:+.2%}" in line
        assert f"P/L {'-' if round(pnl) < 0 else '+'}¥{abs(round(pnl)):,}" in line
        assert f"always-buy {'-' if round(buy) < 0 else '+'}¥{abs(round(buy)):,}" in line
    [all_line] = [ln for ln in text.splitlines() if ln.startswith("All:")]
    assert all_line.startswith(f"All: {right}/3 right · P/L {'-' if round(total) < 0 else '+'}¥{abs(round(total)):,}")
    # recorded in the ledger like a post: the reply's own delivery row, sent, with Slack's ts
    assert _deliveries(tmp_path, f"outcome:{CHANNEL}") == [(DAY1.isoformat(), "sent", reply["ts"])]

    _run(settings, secrets, DAY3)  # replies to DAY2's post once; adds nothing to DAY1's thread
    assert slack.replies(CHANNEL, first["ts"]) == [reply]
    second = _daily(slack)[1]
    assert len(slack.replies(CHANNEL, second["ts"])) == 1
    _run(settings, secrets, DAY3)  # the same day again: nothing new anywhere
    assert len(slack.replies(CHANNEL, first["ts"])) == 1 and len(slack.replies(CHANNEL, second["ts"])) == 1
    assert len([c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts")]) == 2


def test_a_reply_slack_stored_but_answered_503_is_found_in_the_thread_not_sent_again(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    settings, secrets = _settings(tmp_path), _bot(slack)
    _run(settings, secrets, DAY1)
    [first] = _daily(slack)
    # the day's post goes through; the reply is stored and then answered 503 (store-then-fail)
    slack.reply("chat.postMessage", Reply(), Reply(503, "busy", process=True))
    _run(settings, secrets, DAY2)
    assert len(slack.replies(CHANNEL, first["ts"])) == 1
    [(_, status, ts)] = _deliveries(tmp_path, f"outcome:{CHANNEL}")
    assert status == "sent" and ts == slack.replies(CHANNEL, first["ts"])[0]["ts"]
    assert slack.calls("conversations.replies")  # looked in the thread, not the channel


def test_a_reply_left_pending_by_a_crash_is_reconciled_before_any_new_attempt(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    settings, secrets = _settings(tmp_path), _bot(slack)
    _run(settings, secrets, DAY1)
    [first] = _daily(slack)
    # the reply is stored but answered internal_error, and the thread cannot be read afterwards: no clear
    # answer, so the reply's row stays pending (as after a crash between the post and its record)
    slack.reply("chat.postMessage", Reply(), Reply(200, {"ok": False, "error": "internal_error"}, process=True))
    slack.reply("conversations.replies", Reply(), *[Reply(500, "down")] * 30)
    _run(settings, secrets, DAY2)
    assert len(slack.replies(CHANNEL, first["ts"])) == 1  # Slack stored it
    assert _deliveries(tmp_path, f"outcome:{CHANNEL}") == [(DAY1.isoformat(), "pending", None)]
    slack.scripts.clear()
    _run(settings, secrets, DAY2)  # the next run looks in the thread first
    assert len(slack.replies(CHANNEL, first["ts"])) == 1
    assert _deliveries(tmp_path, f"outcome:{CHANNEL}")[-1][1] == "sent"


def test_no_reply_for_a_replay_nor_in_a_replay(slack: SlackStandIn, tmp_path: Path) -> None:
    settings, secrets = _settings(tmp_path), _bot(slack)
    _run(settings, secrets, DAY1, replay=True)
    [first] = _daily(slack)
    _run(settings, secrets, DAY2, replay=True)  # a replay run replies to nothing
    assert slack.replies(CHANNEL, first["ts"]) == []
    _run(settings, secrets, DAY3)  # a live run does not reply to replayed posts either
    assert all(slack.replies(CHANNEL, m["ts"]) == [] for m in _daily(slack))
    assert _deliveries(tmp_path, f"outcome:{CHANNEL}") == []
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite") as db:
        never = db.execute("SELECT as_of, destination FROM no_outcome ORDER BY as_of").fetchall()
    assert never == [(DAY1.isoformat(), CHANNEL), (DAY2.isoformat(), CHANNEL)]


def test_japanese_reply(slack: SlackStandIn, tmp_path: Path) -> None:
    settings, secrets = _settings(tmp_path, "ja"), _bot(slack)
    _run(settings, secrets, DAY1)
    _run(settings, secrets, DAY2)
    [first] = _daily(slack)[:1]
    [reply] = slack.replies(CHANNEL, first["ts"])
    assert reply["text"].splitlines()[0] == f"{DAY1.isoformat()} 時点のシグナルの結果"
    assert "合計: 3件中" in reply["text"] and "常に買い" in reply["text"]
    assert "投資助言ではありません。" in reply["text"]
    for word in ("right", "wrong", "move", "always-buy", "All"):
        assert word not in reply["text"]


def test_a_webhook_carries_a_compact_line_in_the_next_post_once(slack: SlackStandIn, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    secrets = Secrets(slack_webhook_url=SecretStr(slack.base + WEBHOOK_PATH))
    _run(settings, secrets, DAY1)
    _run(settings, secrets, DAY2)
    _run(settings, secrets, DAY3)
    first, second, third = slack.webhook_posts
    assert "Outcome of the calls" not in first["text"]
    assert second["text"].startswith(f"Outcome of the calls as of {DAY1.isoformat()}: ")
    assert second["blocks"][1]["type"] == "context"
    assert third["text"].startswith(f"Outcome of the calls as of {DAY2.isoformat()}: ")
    assert DAY1.isoformat() not in third["text"].split("fxbot calls")[0]  # DAY1's line is not repeated
