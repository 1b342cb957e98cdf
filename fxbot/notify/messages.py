"""Slack message formatting: Block Kit blocks and a plain-text fallback, in English or Japanese.

Pure functions of a Report: no I/O. The text fallback is what phones and desktop notifications
show, so it carries the whole call in one line: each pair's direction and votes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from fxbot.signals import ModelAge, PairSignal, Report, TrackRecord

Locale = Literal["en", "ja"]
Block = dict[str, Any]

# Slack caps: a header's text at 150 characters, a section's text at 3000, a message at 50 blocks.
_HEADER_MAX = 150
_SECTION_MAX = 3000


@dataclass(frozen=True)
class _Words:
    title: str
    data_to: str
    buy: str
    sell: str
    votes: str
    for_day: str
    leverage: str
    notional: str
    units: str
    last_close: str
    models: str
    track: str
    no_track: str
    advice: str
    alert: str
    stop: str = ". "
    paren: tuple[str, str] = (" (", ")")
    trained_to: str = "models trained to {day} ({days} days)"


_WORDS: dict[str, _Words] = {
    "en": _Words(
        title="fxbot calls as of {as_of}",
        data_to="data up to {day}",
        buy="BUY",
        sell="SELL",
        votes="{label} votes",
        for_day="for {day}",
        leverage="Leverage",
        notional="Notional",
        units="Units",
        last_close="Last close",
        models="Models",
        track="last {n} calls: {right} right",
        no_track="no scored calls yet",
        advice="Not investment advice.",
        alert="fxbot alert",
    ),
    "ja": _Words(
        title="fxbot シグナル {as_of} 時点",
        data_to="データは {day} まで",
        buy="買い",
        sell="売り",
        votes="{label}票",
        for_day="{day} 向け",
        leverage="レバレッジ",
        notional="想定元本",
        units="数量",
        last_close="直近終値",
        models="モデル",
        track="直近{n}件: {right}件的中",
        no_track="評価済みのシグナルはまだありません",
        advice="投資助言ではありません。",
        alert="fxbot 警告",
        stop="。",
        paren=("（", "）"),
        trained_to="モデルの学習データは {day} まで（{days}日前）",
    ),
}


def _words(locale: str) -> _Words:
    return _WORDS.get(locale, _WORDS["en"])


def _call(signal: PairSignal, words: _Words) -> tuple[str, str]:
    """(emoji for blocks, arrow + word for plain text): green up for BUY, red down for SELL."""
    if signal.vote.direction.value == "BUY":
        return ":large_green_circle:", f"▲ {words.buy}"
    return ":red_circle:", f"▼ {words.sell}"


def track_text(track: TrackRecord | None, locale: str = "en") -> str:
    """E.g. ``last 20 calls: 11 right`` (or the Japanese wording)."""
    words = _words(locale)
    if track is None or track.scored == 0:
        return words.no_track
    return words.track.format(n=track.scored, right=track.right)


def model_age_text(age: ModelAge | None, locale: str = "en") -> str:
    """E.g. ``models trained to 2024-12-31 (35 days)``, with a warning sign past the age limit; "" if unknown."""
    if age is None:
        return ""
    text = _words(locale).trained_to.format(day=_day(age.trained_to), days=age.age_days)
    return f":warning: {text}" if age.too_old else text


def _day(day: dt.date) -> str:
    return day.isoformat()


def report_text(report: Report, locale: str = "en") -> str:
    """The one-line plain-text fallback (notifications, screen readers, clients without blocks)."""
    words = _words(locale)
    calls = " · ".join(f"{s.pair.display} {_call(s, words)[1]} {s.vote.label}" for s in report.signals)
    title = words.title.format(as_of=_day(report.as_of))
    data_to = words.data_to.format(day=_day(report.last_bar))
    return f"{title}{words.paren[0]}{data_to}{words.paren[1]}: {calls}{words.stop}{words.advice}"


def report_blocks(report: Report, locale: str = "en") -> list[Block]:
    """The report as Block Kit: header, warnings, one section per pair, and a context line."""
    words = _words(locale)
    header = f"{words.title.format(as_of=_day(report.as_of))} · {words.data_to.format(day=_day(report.last_bar))}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:_HEADER_MAX], "emoji": True}},
    ]
    for warning in report.warnings:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {warning}"[:_SECTION_MAX]}})
    blocks.append({"type": "divider"})
    for s in report.signals:
        emoji, call = _call(s, words)
        votes = words.votes.format(label=s.vote.label)
        for_day = words.for_day.format(day=_day(s.for_day))
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"{emoji} *{s.pair.display}  {call}*  {votes} · {for_day}",
                },
                "fields": [
                    {"type": "mrkdwn", "text": f"*{words.leverage}*\n{s.position.leverage:.2f}x"},
                    {"type": "mrkdwn", "text": f"*{words.notional}*\n¥{s.position.notional_jpy:,.0f}"},
                    {"type": "mrkdwn", "text": f"*{words.units}*\n{s.position.units:,.0f} {s.pair.base}"},
                    {
                        "type": "mrkdwn",
                        "text": f"*{words.last_close}*\n{s.close:.{s.pair.price_decimals}f} ({_day(s.bar_date)})",
                    },
                ],
            }
        )
    versions = ", ".join(sorted({s.model_version for s in report.signals}))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{words.models}: {versions}"},
                {"type": "mrkdwn", "text": track_text(report.track, locale)},
                *([{"type": "mrkdwn", "text": age}] if (age := model_age_text(report.model_age, locale)) else []),
                {"type": "mrkdwn", "text": words.advice},
            ],
        }
    )
    return blocks


def alert_text(message: str, locale: str = "en") -> str:
    """The plain text of a failure alert."""
    return f"{_words(locale).alert}: {message}"


def alert_blocks(message: str, locale: str = "en") -> list[Block]:
    """A failure alert as one short section."""
    text = f":rotating_light: *{_words(locale).alert}*: {message}"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}}]
