"""Block Kit for `fxbot slack-app`: each answer and the App Home, in English or Japanese. Pure: no I/O.

Every function takes values already read (status lines, ledger rows) and returns an ``Answer`` (a
plain-text fallback and Block Kit blocks) or a Home view. ``block_problems`` checks a rendering
against Slack's documented Block Kit limits; `fxbot check` runs it on samples, because the Web API
has no public method that validates blocks without posting them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fxbot.ledger import BookRisk, HistoryRow
from fxbot.notify.escape import slack_escape
from fxbot.pairs import get_pair
from fxbot.signals import TrackRecord

Block = dict[str, Any]
Surface = Literal["message", "home"]

#: Slack's caps: blocks per message / per Home view, a section's text, a header's text, fields per section.
MAX_BLOCKS = {"message": 50, "home": 100}
SECTION_MAX = 3000
HEADER_MAX = 150
FIELDS_MAX = 10
FIELD_MAX = 2000
CONTEXT_ELEMENTS_MAX = 10
#: The most bar days `/fxbot history N` shows: one section per day keeps a message under 50 blocks.
HISTORY_MAX_DAYS = 30
HISTORY_DEFAULT_DAYS = 5


@dataclass(frozen=True)
class Answer:
    """What a command replies: ``text`` for notifications and screen readers, ``blocks`` for the client."""

    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class Versus:
    """The live record of the calls against always-buy on the same scored days."""

    scored: int
    right: int
    buy_right: int


#: The ledger's delivery states (``Ledger.history``'s summary), as a reader would say them.
_DELIVERY: dict[str, dict[str, str]] = {
    "en": {"not delivered": "not delivered", "sent": "sent", "pending": "unconfirmed", "failed": "failed"},
    "ja": {"not delivered": "未配信", "sent": "配信済み", "pending": "未確認", "failed": "配信失敗"},
}

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "status": "fxbot status",
        "status_ok": "All checks passed.",
        "status_bad": "Something needs attention (marked :warning:).",
        "history": "fxbot history: the last {n} day(s)",
        "no_history": "No calls recorded yet: the daily run records them.",
        "pending": "pending",
        "BUY": "BUY",
        "SELL": "SELL",
        "right": "right",
        "wrong": "wrong",
        "accuracy": "Accuracy of all scored calls (live only; replays never count)",
        "replay_mark": "replay, not counted",
        "none_scored": "none scored yet: a call is scored once the next trading day's bar is stored",
        "help": "fxbot: what you can ask",
        "help_body": (
            "`/fxbot status`: last run, next run, data age, models and their age, ledger health\n"
            "`/fxbot history [N]`: the calls of the last N days (default {default}, at most {most}) "
            "with outcome and delivery\n"
            "`/fxbot week [DATE]`: the weekly summary of the newest closed week, or of DATE's week\n"
            "`/fxbot record`: the live track record and P/L against always-buy, and where the full page is\n"
            "`/fxbot version`: fxbot's version and the models in use\n"
            "`/fxbot help`: this list\n"
            "Answers are visible only to you. Nothing here posts, trades or retrains."
        ),
        "unknown": "I don't know `{word}`.",
        "bad_n": "`history` takes a number of days from 1 to {most}, e.g. `/fxbot history 10`.",
        "week": "`/fxbot week` takes a day of the week as YYYY-MM-DD, e.g. `/fxbot week 2024-12-27`.",
        "refusal": "Sorry, I can't answer that here. Ask the person who runs fxbot if you need access.",
        "home_title": "fxbot",
        "today": "Latest calls",
        "today_of": "Calls on the bar of {day}",
        "no_calls": "No calls recorded yet.",
        "record": "Live track record",
        "record_line": "{scored} scored calls: the bot {right} right ({share}), always-buy {buy} right ({buy_share})",
        "record_none": "No call scored yet.",
        "record_note": "Skill counts only against always-buy on the same calls. Not investment advice.",
        "health": "Health",
        "risk": "*Risk of these calls* (as recorded): gross {gross}x equity, ¥{notional} notional; net {net}",
        "risk_pair": "{pair} {direction} {leverage}x, ¥{notional}",
        "risk_history": (
            "20-day 99.9% loss from history ¥{loss} ({pct} of equity) · worst 20 days ¥{worst} ({start} → {end})"
        ),
        "updated": "Updated {when}",
        "chart_alt": "Live P/L of following the calls (solid) and of always-buy (dashed)",
        "not_allowed_home": "This App Home is only shown to the people allowed to ask fxbot.",
    },
    "ja": {
        "status": "fxbot の状態",
        "status_ok": "すべてのチェックに合格しました。",
        "status_bad": "確認が必要な項目があります（:warning: の行）。",
        "history": "fxbot の履歴: 直近{n}日",
        "no_history": "まだシグナルの記録がありません。毎日の実行で記録されます。",
        "pending": "未確定",
        "BUY": "買い",
        "SELL": "売り",
        "right": "的中",
        "wrong": "外れ",
        "accuracy": "評価済みシグナルの的中率（実運用のみ、再現実行は含みません）",
        "replay_mark": "再現実行、集計対象外",
        "none_scored": "評価済みのシグナルはまだありません（翌営業日の足が保存されると評価されます）",
        "help": "fxbot: 使えるコマンド",
        "help_body": (
            "`/fxbot status`: 前回と次回の実行、データの鮮度、モデルとその学習期間、台帳の状態\n"
            "`/fxbot history [N]`: 直近N日のシグナルと結果・配信状況（既定 {default}、最大 {most}）\n"
            "`/fxbot week [日付]`: 直近の締まった週、または指定日の週の週次サマリー\n"
            "`/fxbot record`: 実運用の成績と損益（常に買う場合との比較）、成績ページの場所\n"
            "`/fxbot version`: fxbot のバージョンと使用中のモデル\n"
            "`/fxbot help`: この一覧\n"
            "回答はあなたにだけ表示されます。投稿・取引・再学習は行いません。"
        ),
        "unknown": "`{word}` は分かりません。",
        "bad_n": "`history` には 1 から {most} までの日数を指定してください（例: `/fxbot history 10`）。",
        "week": "`/fxbot week` には週内の日付を YYYY-MM-DD で指定してください（例: `/fxbot week 2024-12-27`）。",
        "refusal": "申し訳ありませんが、ここではお答えできません。利用には fxbot の管理者にご相談ください。",
        "home_title": "fxbot",
        "today": "最新のシグナル",
        "today_of": "{day} の足に基づくシグナル",
        "no_calls": "まだシグナルの記録がありません。",
        "record": "実運用の成績",
        "record_line": "評価済み {scored}件: ボット {right}件的中（{share}）、常に買い {buy}件的中（{buy_share}）",
        "record_none": "評価済みのシグナルはまだありません。",
        "record_note": "実力は同じシグナルでの「常に買い」との比較でのみ判断します。投資助言ではありません。",
        "health": "稼働状況",
        "risk": "*このシグナルのリスク*（記録値）: 総建玉 資金の{gross}倍、想定元本 ¥{notional}、ネット {net}",
        "risk_pair": "{pair} {direction} {leverage}倍、¥{notional}",
        "risk_history": (
            "過去データによる20日間99.9%損失 ¥{loss}（自己資本の{pct}）· 過去最悪の20日間 ¥{worst}（{start} → {end}）"
        ),
        "updated": "更新 {when}",
        "chart_alt": "実運用の累積損益: 実線はシグナルに従った場合、破線は常に買った場合",
        "not_allowed_home": "この App Home は fxbot の利用を許可された方にだけ表示されます。",
    },
}


def words(locale: str) -> dict[str, str]:
    """The wording of ``locale`` (English for anything else)."""
    return _WORDS.get(locale, _WORDS["en"])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    """A header block (plain text, cut to Slack's 150 characters)."""
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, HEADER_MAX), "emoji": True}}


def section(text: str) -> Block:
    """A mrkdwn section (cut to Slack's 3000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}}


def context(text: str) -> Block:
    """A context line in small grey type."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}]}


def _share(right: int, scored: int) -> str:
    return f"{right / scored:.0%}" if scored else "-"


def status_answer(lines: Sequence[str], exit_code: int, locale: str) -> Answer:
    """`/fxbot status`: the lines of ``fxbot status`` (fxbot.status), problems marked."""
    w = words(locale)
    lines = [slack_escape(line) for line in lines]  # they quote files and errors
    body = "\n".join(
        f":warning: {line.removeprefix('PROBLEM ')}" if line.startswith("PROBLEM ") else f"• {line}" for line in lines
    )
    verdict = w["status_ok"] if exit_code == 0 else w["status_bad"]
    blocks = [header(w["status"]), section(verdict), section(body)]
    return Answer(f"{w['status']}: {verdict}", blocks)


def _row_line(row: HistoryRow, w: dict[str, str]) -> str:
    arrow = "▲" if row.direction == "BUY" else "▼"
    move = w["pending"] if row.move is None else f"{row.move:+.2%}"
    verdict = "" if row.right is None else (" :white_check_mark: " + w["right"] if row.right else " :x: " + w["wrong"])
    direction = w.get(row.direction, row.direction)
    replay = "" if row.kind == "live" else f" ({w['replay_mark']})"
    return f"{get_pair(row.pair).display} {arrow} {direction} {row.votes}/{row.members} · {move}{verdict}{replay}"


def delivery_text(summary: str, locale: str) -> str:
    """The ledger's delivery summary (``sent``, ``pending, sent``, ``not delivered``) in ``locale``."""
    said = _DELIVERY.get(locale, _DELIVERY["en"])
    return ", ".join(said.get(part, part) for part in summary.split(", "))


def history_answer(rows: Sequence[HistoryRow], accuracy: dict[str, TrackRecord], days: int, locale: str) -> Answer:
    """`/fxbot history N`: one section per bar day (calls, realized move, result, delivery), then accuracy."""
    w = words(locale)
    title = w["history"].format(n=days)
    if not rows:
        return Answer(f"{title}: {w['no_history']}", [header(title), section(w["no_history"])])
    blocks = [header(title)]
    by_day: dict[dt.date, list[HistoryRow]] = {}
    for row in rows:
        by_day.setdefault(row.bar_date, []).append(row)
    for day, day_rows in sorted(by_day.items(), reverse=True)[:HISTORY_MAX_DAYS]:
        lines = "\n".join(_row_line(r, w) for r in day_rows)
        delivery = delivery_text(day_rows[0].delivery, locale)
        blocks.append(section(f"*{day.isoformat()}* ({delivery})\n{lines}"))
    if accuracy:
        acc = " · ".join(
            f"{get_pair(code).display} {rec.right}/{rec.scored} ({_share(rec.right, rec.scored)})"
            for code, rec in sorted(accuracy.items())
        )
    else:
        acc = w["none_scored"]
    blocks.append(context(f"{w['accuracy']}: {acc}"))
    return Answer(f"{title}: {len(rows)} call(s)", blocks)


def help_answer(locale: str, unknown: str | None = None) -> Answer:
    """`/fxbot help` (also the answer to a word fxbot does not know, which it names first)."""
    w = words(locale)
    body = w["help_body"].format(default=HISTORY_DEFAULT_DAYS, most=HISTORY_MAX_DAYS)
    blocks = [header(w["help"]), section(body)]
    if unknown is not None:
        # Only the first word, cut short: the reply is ephemeral, but it need not echo a paragraph.
        word = slack_escape(_cut(unknown, 30).replace("`", "'"))
        blocks.insert(0, section(w["unknown"].format(word=word)))
    return Answer(w["help"], blocks)


def bad_history_count(locale: str) -> Answer:
    """`/fxbot history` with something that is not a number of days from 1 to the most."""
    text = words(locale)["bad_n"].format(most=HISTORY_MAX_DAYS)
    return Answer(text, [section(text)])


def bad_week_day(locale: str) -> Answer:
    """`/fxbot week` with something other than a date after it."""
    text = words(locale)["week"]
    return Answer(text, [section(text)])


def refusal(locale: str) -> Answer:
    """The answer to anyone not allowed to ask: polite, and it reveals nothing about the bot."""
    text = words(locale)["refusal"]
    return Answer(text, [section(text)])


def versus_always_buy(rows: Iterable[HistoryRow]) -> Versus:
    """The scored live calls, how many were right, and how many always-buy would have got right on the same days
    (a replayed call never counts)."""
    scored = [r for r in rows if r.right is not None and r.move is not None and r.kind == "live"]
    return Versus(
        scored=len(scored),
        right=sum(1 for r in scored if r.right),
        buy_right=sum(1 for r in scored if r.move is not None and r.move > 0),
    )


def risk_text(positions: Sequence[tuple[str, str, float, float]], locale: str, book: BookRisk | None = None) -> str:
    """Gross and net leverage and notional of one day's calls, each pair's, and the book's loss from history (as
    the post showed it; from the ledger's record)."""
    w = words(locale)
    gross = sum(lev for _, _, lev, _ in positions)
    net = sum(lev if direction == "BUY" else -lev for _, direction, lev, _ in positions)
    notional = sum(n for *_, n in positions)
    head = w["risk"].format(gross=f"{gross:.2f}", notional=f"{notional:,.0f}", net=f"{net:+.2f}x")
    pairs = " · ".join(
        w["risk_pair"].format(
            pair=get_pair(code).display,
            direction=w.get(direction, direction),
            leverage=f"{lev:.2f}",
            notional=f"{n:,.0f}",
        )
        for code, direction, lev, n in positions
    )
    if book is None or book.loss_20d_jpy is None or book.worst_20d_jpy is None or book.worst_start is None:
        return f"{head}\n{pairs}"
    tail = w["risk_history"].format(
        loss=f"{book.loss_20d_jpy:,.0f}",
        pct=f"{book.loss_20d_jpy / book.equity_jpy:.1%}",
        worst=f"{book.worst_20d_jpy:,.0f}",
        start=book.worst_start.isoformat(),
        end=book.worst_end.isoformat() if book.worst_end else "",
    )
    return f"{head}\n{pairs}\n{tail}"


def home_view(
    latest: Sequence[HistoryRow],
    versus: Versus,
    status_lines: Sequence[str],
    status_code: int,
    locale: str,
    now: dt.datetime,
    positions: Sequence[tuple[str, str, float, float]] = (),
    book: BookRisk | None = None,
    pnl: Sequence[str] = (),
    chart_url: str | None = None,
) -> dict[str, Any]:
    """The App Home: the latest calls and their risk, the live record against always-buy, and the bot's health."""
    w = words(locale)
    blocks: list[Block] = [
        header(w["home_title"]),
        context(w["updated"].format(when=now.strftime("%Y-%m-%d %H:%M UTC"))),
    ]
    blocks.append(header(w["today"]))
    if latest:
        lines = "\n".join(_row_line(r, w) for r in latest)
        blocks.append(section(f"*{w['today_of'].format(day=latest[0].bar_date.isoformat())}*\n{lines}"))
        if positions:
            blocks.append(section(risk_text(positions, locale, book)))
    else:
        blocks.append(section(w["no_calls"]))
    blocks.append({"type": "divider"})
    blocks.append(header(w["record"]))
    if versus.scored:
        line = w["record_line"].format(
            scored=versus.scored,
            right=versus.right,
            share=_share(versus.right, versus.scored),
            buy=versus.buy_right,
            buy_share=_share(versus.buy_right, versus.scored),
        )
    else:
        line = w["record_none"]
    blocks += [section(line), *(section(extra) for extra in pnl)]  # ``pnl``: live P/L against always-buy
    if chart_url:  # the page's live curves (Slack fetches the image from ``site.url``)
        blocks.append({"type": "image", "image_url": chart_url, "alt_text": w["chart_alt"]})
        blocks.append(context(w["chart_alt"]))
    blocks += [context(w["record_note"]), {"type": "divider"}, header(w["health"])]
    blocks += status_answer(status_lines, status_code, locale).blocks[1:]
    return {"type": "home", "blocks": blocks[: MAX_BLOCKS["home"]]}


def home_not_allowed(locale: str) -> dict[str, Any]:
    """The App Home of someone not allowed to ask: nothing about the bot."""
    return {"type": "home", "blocks": [section(words(locale)["not_allowed_home"])]}


_KNOWN_BLOCKS = {"header", "section", "context", "divider", "actions", "image", "rich_text"}


def block_problems(blocks: Sequence[Block], surface: Surface = "message") -> list[str]:
    """What breaks Slack's documented Block Kit limits in ``blocks`` (empty: none found)."""
    problems = []
    if len(blocks) > MAX_BLOCKS[surface]:
        problems.append(f"{len(blocks)} blocks; a {surface} holds at most {MAX_BLOCKS[surface]}")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind not in _KNOWN_BLOCKS:
            problems.append(f"block {i}: unknown type {kind!r}")
            continue
        text = block.get("text")
        if kind == "header":
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                problems.append(f"block {i}: a header needs plain_text")
            elif not 0 < len(text.get("text", "")) <= HEADER_MAX:
                problems.append(f"block {i}: header text must be 1-{HEADER_MAX} characters")
        if kind == "section":
            fields = block.get("fields") or []
            if text is None and not fields:
                problems.append(f"block {i}: a section needs text or fields")
            if isinstance(text, dict) and not 0 < len(text.get("text", "")) <= SECTION_MAX:
                problems.append(f"block {i}: section text must be 1-{SECTION_MAX} characters")
            if len(fields) > FIELDS_MAX or any(len(f.get("text", "")) > FIELD_MAX for f in fields):
                problems.append(f"block {i}: at most {FIELDS_MAX} fields of {FIELD_MAX} characters")
        if kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= CONTEXT_ELEMENTS_MAX:
                problems.append(f"block {i}: a context holds 1-{CONTEXT_ELEMENTS_MAX} elements")
        if isinstance(text, dict) and text.get("type") not in ("plain_text", "mrkdwn"):
            problems.append(f"block {i}: text type must be plain_text or mrkdwn")
    return problems
