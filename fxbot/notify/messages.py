"""Slack message formatting: Block Kit blocks and a plain-text fallback, in English or Japanese.

Pure functions of a Report: no I/O. The text fallback is what phones and desktop notifications
show, so it carries the whole call in one line: each pair's direction and votes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from fxbot.notify.escape import slack_escape
from fxbot.pairs import get_pair
from fxbot.signals import Evidence, ModelAge, PairSignal, Report, TrackRecord

Locale = Literal["en", "ja"]
Block = dict[str, Any]

# Slack caps: a header's text at 150 characters, a section's text at 3000, a message at 50 blocks.
_HEADER_MAX = 150
_SECTION_MAX = 3000


class _Words(msgspec.Struct, frozen=True):  # a Struct: a frozen dataclass this wide costs ms of import
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
    track_buy: str
    no_track: str
    advice: str
    alert: str
    notice: str
    loss: str
    risk_na: str
    held: str
    held_value: str
    walk_forward: str
    wf_value: str
    portfolio: str
    gross: str
    tail: str
    worst: str
    over_budget: str
    basis: dict[str, str]
    evidence: str
    evidence_line: str
    no_evidence: str
    live: str
    no_edge: str
    edge: str
    worse: str
    worse_short: str
    worse_where: dict[str, str]
    times: str = "x"
    stop: str = ". "
    paren: tuple[str, str] = (" (", ")")
    header: tuple[str, ...] = (
        "PAIR",
        "LAST BAR",
        "CLOSE",
        "CALL FOR",
        "CALL",
        "VOTES",
        "LEVERAGE",
        "NOTIONAL JPY",
        "UNITS",
        "1-DAY 99% LOSS",
    )
    warning: str = "WARNING"
    track_label: str = "track record"
    trained_to: str = "models trained to {day} ({days} days)"
    trained_after: str = "models trained to {day} (after this day)"


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
        track_buy="; always-buy {buy}",
        no_track="no scored calls yet",
        advice="Not investment advice.",
        alert="fxbot alert",
        notice="fxbot models",
        loss="1-day 99% loss",
        risk_na="risk: n/a (needs {n} bars)",
        held="Held (close to close)",
        held_value="{open} → {close} New York",
        walk_forward="Walk-forward",
        wf_value="{acc} vs always-buy {buy} · p={p}",
        portfolio="Portfolio",
        gross="gross exposure {lev}x equity (¥{notional})",
        tail="{days}-day {conf} loss from history: {loss} ({pct} of equity; {basis})",
        worst="worst {days} days: {loss} ({pct}, {start} → {end})",
        over_budget="{mult}x the {budget} drawdown budget",
        basis={
            "book": "today's book",
            "filtered": "today's book at today's volatility",
            "calls": "following the calls, walk-forward",
        },
        evidence="Evidence",
        evidence_line=(
            "walk-forward {first} to {last}: the vote was right on {acc} of {n:,} calls, always-buy on the same "
            "calls {buy} (McNemar p={p})"
        ),
        no_evidence=(
            "no walk-forward evidence is stored with these models, so nothing says they beat simply buying "
            "(`fxbot backtest`, then `fxbot evidence`, stores it)"
        ),
        live="Live: {track}",
        no_edge=(
            "No edge: in the walk-forward these models did not beat simply buying every day ({pairs}). "
            "The call is shown, but treat it as no better than always-buy."
        ),
        edge="In the walk-forward these models beat always-buy on the same calls (significant at {alpha} after Holm).",
        worse=(
            "Worse than always-buy: {where}, the calls were right on {acc} of {n:,}, always-buy on the same calls "
            "{buy} (two-sided p={p}, days clustered). The call is shown, but following these models has done worse "
            "than simply buying every day."
        ),
        worse_short="worse than always-buy {where}: {acc} against {buy} over {n:,} calls (two-sided p={p})",
        worse_where={"live": "in live use", "walk-forward": "in the walk-forward"},
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
        track_buy="（常に買い: {buy}件）",
        no_track="評価済みのシグナルはまだありません",
        advice="投資助言ではありません。",
        alert="fxbot 警告",
        notice="fxbot モデル",
        loss="1日99%損失",
        risk_na="リスク: 算出不可（{n}本のバーが必要）",
        held="保有期間（終値から終値）",
        held_value="{open} → {close}（ニューヨーク時間）",
        walk_forward="ウォークフォワード検証",
        wf_value="{acc}（常に買い {buy}）· p値 {p}",
        portfolio="ポートフォリオ",
        gross="総エクスポージャー 自己資本の{lev}倍（¥{notional}）",
        tail="過去データによる{days}日間{conf}損失: {loss}（自己資本の{pct}、{basis}）",
        worst="過去最悪の{days}日間: {loss}（{pct}、{start} → {end}）",
        over_budget="損失許容額（自己資本の{budget}）の{mult}倍",
        basis={
            "book": "本日のポジション",
            "filtered": "本日のポジション・現在の変動率で換算",
            "calls": "シグナルに従った場合・ウォークフォワード検証",
        },
        evidence="検証結果",
        evidence_line=(
            "ウォークフォワード検証 {first} 〜 {last}: 多数決の正解率 {acc}（{n:,}件）、"
            "同じ日に常に買った場合 {buy}（p値 {p}）"
        ),
        no_evidence=(
            "このモデルにはウォークフォワード検証の結果が保存されていないため、常に買う場合より優れている根拠はありません"
            "（`fxbot backtest` の後 `fxbot evidence` で保存できます）"
        ),
        live="実運用: {track}",
        no_edge=(
            "優位性なし: ウォークフォワード検証では、このモデルは毎日買うだけの戦略に勝てませんでした（{pairs}）。"
            "シグナルは表示しますが、常に買う場合より優れているとは言えません。"
        ),
        edge="ウォークフォワード検証では、同じ日に常に買う場合を上回りました（多重検定補正後の有意水準 {alpha}）。",
        worse=(
            "常に買う場合より劣っています: {where}シグナルの正解率は {acc}（{n:,}件）、同じ日に常に買った場合は "
            "{buy} でした（日ごとにまとめた両側p値 {p}）。"
            "シグナルは表示しますが、従った結果は毎日買うだけより悪くなっています。"
        ),
        worse_short="{where}常に買う場合より劣っています: {acc}（常に買い {buy}、{n:,}件、両側p値 {p}）",
        worse_where={"live": "実運用では", "walk-forward": "ウォークフォワード検証では"},
        times="倍",
        stop="。",
        paren=("（", "）"),
        header=(
            "通貨ペア",
            "直近バー",
            "終値",
            "対象日",
            "売買",
            "票",
            "レバレッジ",
            "想定元本(円)",
            "数量",
            "1日99%損失",
        ),
        warning="警告",
        track_label="実績",
        trained_to="モデルの学習データは {day} まで（{days}日前）",
        trained_after="モデルの学習データは {day} まで（この日より後）",
    ),
}

#: Slack emoji and matplotlib colour of each configurable colour name (``notify.colors``).
EMOJI = {
    "green": ":large_green_circle:",
    "red": ":red_circle:",
    "blue": ":large_blue_circle:",
    "orange": ":large_orange_circle:",
    "purple": ":large_purple_circle:",
    "yellow": ":large_yellow_circle:",
}
DEFAULT_COLORS = ("green", "red")


def _words(locale: str) -> _Words:
    return _WORDS.get(locale, _WORDS["en"])


def _call(signal: PairSignal, words: _Words, colors: tuple[str, str] = DEFAULT_COLORS) -> tuple[str, str]:
    """(emoji for blocks, arrow + word for plain text); the emoji's colour is ``notify.colors``."""
    if signal.vote.direction.value == "BUY":
        return EMOJI.get(colors[0], EMOJI["green"]), f"▲ {words.buy}"
    return EMOJI.get(colors[1], EMOJI["red"]), f"▼ {words.sell}"


def track_text(track: TrackRecord | None, locale: str = "en") -> str:
    """E.g. ``last 20 calls: 11 right; always-buy 12`` (or the Japanese wording)."""
    words = _words(locale)
    if track is None or track.scored == 0:
        return words.no_track
    text = words.track.format(n=track.scored, right=track.right)
    if track.always_buy_right is not None:
        text += words.track_buy.format(buy=track.always_buy_right)
    return text


def model_age_text(age: ModelAge | None, locale: str = "en") -> str:
    """E.g. ``models trained to 2024-12-31 (35 days)``, with a warning sign past the age limit; "" if unknown."""
    if age is None:
        return ""
    words = _words(locale)
    if age.age_days < 0:  # a replay before the training end: the calls are in-sample (warned separately)
        return words.trained_after.format(day=_day(age.trained_to))
    text = words.trained_to.format(day=_day(age.trained_to), days=age.age_days)
    return f":warning: {text}" if age.too_old else text


def _day(day: dt.date) -> str:
    return day.isoformat()


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _p(value: float) -> str:
    if value < 0.001:
        return "<0.001"
    return f"{value:.2f}" if value >= 0.01 else f"{value:.3f}"


def _yen(value: float, sign: bool = False) -> str:
    text = f"¥{abs(value):,.0f}"
    if value < 0:
        return "-" + text
    return ("+" + text) if sign else text


def loss_text(signal: PairSignal, locale: str = "en") -> str:
    """The position's 1-day 99 % loss, e.g. ``¥40,294``, or ``risk: n/a (needs 61 bars)``."""
    words = _words(locale)
    risk = signal.risk
    if risk is None:
        return words.risk_na.format(n="?")
    if risk.loss_jpy is None:
        return words.risk_na.format(n=risk.needed_bars)
    return _yen(risk.loss_jpy)


def held_text(signal: PairSignal, locale: str = "en") -> str:
    """When the position is opened and closed, e.g. ``2024-06-14 17:00 → 2024-06-17 17:00 New York``."""
    words = _words(locale)
    if signal.risk is None:
        return words.held_value.format(open=f"{_day(signal.bar_date)} 17:00", close=f"{_day(signal.for_day)} 17:00")
    return words.held_value.format(
        open=signal.risk.opens_at.strftime("%Y-%m-%d %H:%M"), close=signal.risk.closes_at.strftime("%Y-%m-%d %H:%M")
    )


def walk_forward_text(evidence: Evidence, locale: str = "en") -> str:
    """One pair's walk-forward accuracy against always-buy on the same calls, and its p-value."""
    return _words(locale).wf_value.format(
        acc=_pct(evidence.accuracy), buy=_pct(evidence.always_buy_accuracy), p=_p(evidence.p_value)
    )


def portfolio_text(report: Report, locale: str = "en") -> str | None:
    """Gross exposure, the book's 20-day 99.9 % loss from history with its basis, the worst 20 days with their
    dates, and how far the loss exceeds the drawdown budget (``fxbot.risk``: the larger view leads)."""
    risk = report.portfolio_risk
    if risk is None:
        return None
    words = _words(locale)
    gross = sum(s.position.notional_jpy for s in report.signals)
    parts = [words.gross.format(lev=f"{risk.gross_leverage:.2f}", notional=f"{gross:,.0f}")]
    head, worst = risk.headline, risk.worst
    if head is not None:
        parts.append(
            words.tail.format(
                days=head.days,
                conf=f"{head.confidence * 100:g}%",
                loss=_yen(head.loss_jpy),
                pct=_pct(head.loss_jpy / risk.equity_jpy),
                basis=words.basis.get(head.source, head.source),
            )
        )
    if worst is not None:
        parts.append(
            words.worst.format(
                days=worst.days,
                loss=_yen(worst.worst_jpy),
                pct=_pct(worst.worst_jpy / risk.equity_jpy),
                start=_day(worst.worst_start),
                end=_day(worst.worst_end),
            )
        )
    multiple = risk.budget_multiple
    if multiple is not None and multiple > 1:
        parts.append(words.over_budget.format(mult=f"{multiple:.1f}", budget=f"{risk.budget * 100:g}%"))
    return " · ".join(parts)


def evidence_text(report: Report, locale: str = "en") -> str | None:
    """The pooled walk-forward line and the live track record beside always-buy (without stored evidence, a
    sentence saying there is none: a post never looks as if its models had been tested when they were not)."""
    found = report.evidence
    words = _words(locale)
    live = words.live.format(track=track_text(report.track, locale))
    short = _worse_figures(report, locale, words.worse_short)
    worse = f" {short}{words.stop.strip()}" if short else ""
    if not found:
        return f"{words.no_evidence}{words.stop}{live}{words.stop.strip()}{worse}" if report.signals else None
    e = found[0]
    line = words.evidence_line.format(
        first=e.first_day,
        last=e.last_day,
        acc=_pct(e.pooled_accuracy),
        n=e.pooled_calls,
        buy=_pct(e.pooled_always_buy_accuracy),
        p=_p(e.pooled_p_value),
    )
    return f"{line}{words.stop}{live}{words.stop.strip()}{worse}"


def _worse_figures(report: Report, locale: str, template: str) -> str:
    w, words = report.worse, _words(locale)
    if w is None:
        return ""
    where = words.worse_where.get(w.source, w.source)
    return template.format(where=where, acc=_pct(w.accuracy), buy=_pct(w.always_buy), n=w.calls, p=_p(w.p_value))


def worse_text(report: Report, locale: str = "en") -> str | None:
    """The plain sentence when a record is significantly worse than always-buy (``Report.worse``), else None."""
    return _worse_figures(report, locale, _words(locale).worse) or None


def edge_text(report: Report, locale: str = "en") -> str | None:
    """The plain sentence on whether the stored evidence shows an edge over always-buy; None without evidence."""
    worse = worse_text(report, locale)
    if worse is not None:  # worse than always-buy: said plainly, in place of "no better than"
        return worse
    found = report.evidence
    if not found:
        return None
    words = _words(locale)
    if report.no_edge:
        without = [e.pair for e in found if not (e.edge and e.pooled_edge)]
        pairs = ", ".join(get_pair(code).display for code in without)
        return words.no_edge.format(pairs=pairs)
    return words.edge.format(alpha=f"{found[0].alpha:g}")


def report_text(report: Report, locale: str = "en") -> str:
    """The one-line plain-text fallback (notifications, screen readers, clients without blocks)."""
    words = _words(locale)
    calls = " · ".join(f"{s.pair.display} {_call(s, words)[1]} {s.vote.label}" for s in report.signals)
    title = words.title.format(as_of=_day(report.as_of))
    data_to = words.data_to.format(day=_day(report.last_bar))
    edge = f"{edge_text(report, locale)} " if report.edge_warning else ""
    return f"{title}{words.paren[0]}{data_to}{words.paren[1]}: {calls}{words.stop}{edge}{words.advice}"


def _field(label: str, value: str) -> Block:
    return {"type": "mrkdwn", "text": f"*{label}*\n{value}"}


def report_blocks(report: Report, locale: str = "en", colors: tuple[str, str] = DEFAULT_COLORS) -> list[Block]:
    """The report as Block Kit: header, warnings, one section per pair, portfolio risk, evidence, context."""
    words = _words(locale)
    header = f"{words.title.format(as_of=_day(report.as_of))} · {words.data_to.format(day=_day(report.last_bar))}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:_HEADER_MAX], "emoji": True}},
    ]
    for warning in report.warnings:  # they quote outside text (a provider's error): escaped
        text = f":warning: {slack_escape(warning)}"[:_SECTION_MAX]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    edge = edge_text(report, locale)
    if edge is not None and report.edge_warning:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f":warning: *{edge}*"[:_SECTION_MAX]}})
    blocks.append({"type": "divider"})
    for s in report.signals:
        emoji, call = _call(s, words, colors)
        votes = words.votes.format(label=s.vote.label)
        for_day = words.for_day.format(day=_day(s.for_day))
        fields = [
            _field(words.leverage, f"{s.position.leverage:.2f}{words.times}"),
            _field(words.notional, f"¥{s.position.notional_jpy:,.0f}"),
            _field(words.units, f"{s.position.units:,.0f} {s.pair.base}"),
            _field(words.last_close, f"{s.close:.{s.pair.price_decimals}f} ({_day(s.bar_date)})"),
            _field(words.loss, loss_text(s, locale)),
            _field(words.held, held_text(s, locale)),
        ]
        if s.evidence is not None:
            fields.append(_field(words.walk_forward, walk_forward_text(s.evidence, locale)))
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{emoji} *{s.pair.display}  {call}*  {votes} · {for_day}"},
                "fields": fields,
            }
        )
    portfolio = portfolio_text(report, locale)
    if portfolio is not None:
        text = f"*{words.portfolio}* {portfolio}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}})
    evidence = evidence_text(report, locale)
    if evidence is not None:
        text = f"*{words.evidence}* {evidence}" + (f" {edge}" if edge is not None and not report.edge_warning else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}})
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


def report_lines(report: Report, locale: str = "en") -> list[str]:
    """The report as plain text for the console: a table with each call's risk, then portfolio and evidence."""
    words = _words(locale)
    header = list(words.header)
    rows = [
        [
            s.pair.display,
            s.bar_date.isoformat(),
            f"{s.close:.{s.pair.price_decimals}f}",
            s.for_day.isoformat(),
            words.buy if s.vote.direction.value == "BUY" else words.sell,
            s.vote.label,
            f"{s.position.leverage:.2f}{words.times}",
            f"{s.position.notional_jpy:,.0f}",
            f"{s.position.units:,.0f} {s.pair.base}",
            loss_text(s, locale),
        ]
        for s in report.signals
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    title = words.title.format(as_of=_day(report.as_of))
    lines = [f"{title}{words.paren[0]}{words.data_to.format(day=_day(report.last_bar))}{words.paren[1]}"]
    for warning in report.warnings:
        lines.append(f"{words.warning}: {warning}")
    edge = edge_text(report, locale)
    if edge is not None and report.edge_warning:
        lines.append(f"{words.warning}: {edge}")
    lines.append("  ".join(_pad(h, w, left=True) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        lines.append(
            "  ".join(_pad(c, w, left=i < 2 or i == 4) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    for s in report.signals:
        held = f"{s.pair.display}: {words.held}: {held_text(s, locale)}"
        if s.evidence is not None:
            held += f" · {words.walk_forward}: {walk_forward_text(s.evidence, locale)}"
        lines.append(held)
    portfolio = portfolio_text(report, locale)
    if portfolio is not None:
        lines.append(f"{words.portfolio}: {portfolio}")
    evidence = evidence_text(report, locale)
    if evidence is not None:
        lines.append(
            f"{words.evidence}: {evidence}" + (f" {edge}" if edge is not None and not report.edge_warning else "")
        )
    versions = sorted({s.model_version for s in report.signals})
    age = model_age_text(report.model_age, locale).removeprefix(":warning: ")
    lines.append(f"{words.models}: {', '.join(versions)}" + (f" · {age}" if age else ""))
    if report.track is not None or report.track_record:
        lines.append(f"{words.track_label}: {track_text(report.track, locale)}")
    lines.append(words.advice)
    return lines


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text


_WARNINGS: dict[str, dict[str, str]] = {
    "stale": {
        "ja": (
            "データが古くなっています{which}: 最新のバーは {oldest}（{as_of} の{lag}営業日前）です。"
            "これらのシグナルは {for_day} 向けで、翌営業日向けではありません。{hint}"
        ),
    },
    "stale_which": {"ja": "（{pairs}）"},
    "stale_hint": {"ja": "`fxbot fetch` または `fxbot import-csv` でデータを更新してください。"},
    "in_sample": {
        "en": (
            "{pairs}: the models were trained on these days' outcomes, so the calls are in-sample "
            "replays, not forecasts; `fxbot backtest` gives honest figures"
        ),
        "ja": (
            "{pairs}: モデルはこれらの日の値動きで学習済みのため、シグナルは予測ではなく学習期間内の再現です。"
            "正直な数値は `fxbot backtest` で確認できます。"
        ),
    },
    "model_age_trial": {
        "en": (
            "the models are {days} days old (trained on bars up to {trained_to}; lifecycle.max_model_age_days "
            "is {limit}): newer models are on trial ({versions}); the gate decides after {shadow_days} scored "
            "shadow calls (`fxbot status`)"
        ),
        "ja": (
            "モデルが古くなっています: 学習データは {trained_to} まで（{days}日前、lifecycle.max_model_age_days は "
            "{limit}日）。新しいモデル（{versions}）を試験中です。シャドーシグナルが {shadow_days} 件評価されると"
            "ゲートが判定します（`fxbot status`）。"
        ),
    },
    "fetch": {
        "en": "fetching new bars failed, the calls use the stored bars: {error}",
        "ja": "新しいバーの取得に失敗したため、保存済みのバーでシグナルを出しています（詳細はログを参照）。",
    },
    "model_age": {
        "en": (
            "the models are {days} days old (trained on bars up to {trained_to}; lifecycle.max_model_age_days "
            "is {limit}): run `fxbot retrain` (needs fxbot[train]) or import newer models with `fxbot models import`"
        ),
        "ja": (
            "モデルが古くなっています: 学習データは {trained_to} まで（{days}日前、lifecycle.max_model_age_days は "
            "{limit}日）。`fxbot retrain`（fxbot[train] が必要）で再学習するか、`fxbot models import` で新しいモデルを"
            "取り込んでください。"
        ),
    },
    "rollback": {
        "en": (
            "ROLLBACK FLAG {pair}: the champion {version} got {acc} of its last {n} calls right, always-buy {buy} "
            "(random band ±{band}); `fxbot models rollback {pair}` restores the previous champion (never done "
            "automatically)"
        ),
        "ja": (
            "ロールバック候補 {pair}: 現行モデル {version} の直近{n}件の正解率は {acc}、常に買った場合は {buy}"
            "（偶然の範囲 ±{band}）。`fxbot models rollback {pair}` で前のモデルに戻せます（自動では戻しません）。"
        ),
    },
    "replay": {
        "en": (
            "REPLAY: these are the calls fxbot would have made after {as_of}'s close, run on "
            "{today}; they are not for trading now"
        ),
        "ja": "再現: {as_of} の終値後に出したはずのシグナルを {today} に実行したものです。今の取引用ではありません。",
    },
}


def warning_text(kind: str, locale: str = "en", **params: object) -> str:
    """A warning that reaches a post, in ``locale`` (English where no translation is kept)."""
    texts = _WARNINGS[kind]
    return texts.get(locale, texts.get("en", "")).format(**params)


# Alerts and notices are for Slack, and their message quotes outside text (errors, file names): escaped.


def alert_text(message: str, locale: str = "en") -> str:
    """The plain text of a failure alert (``message`` escaped for Slack)."""
    return f"{_words(locale).alert}: {slack_escape(message)}"


def notice_text(message: str, locale: str = "en") -> str:
    """The plain text of a notice (news that is not a failure: the model gate's decision), escaped for Slack."""
    return f"{_words(locale).notice}: {slack_escape(message)}"


def notice_blocks(message: str, locale: str = "en") -> list[Block]:
    """A notice as one short section."""
    text = f":arrows_counterclockwise: *{_words(locale).notice}*: {slack_escape(message)}"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}}]


def alert_blocks(message: str, locale: str = "en") -> list[Block]:
    """A failure alert as one short section."""
    text = f":rotating_light: *{_words(locale).alert}*: {slack_escape(message)}"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}}]
