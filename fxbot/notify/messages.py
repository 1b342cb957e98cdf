"""Every Slack message fxbot posts, rendered in one place: Block Kit blocks and a plain-text fallback.

The daily report, a posted day's outcome (a thread reply, or compact lines on a webhook's next
post), the weekly summary, alerts and notices, in English or Japanese; the words come from the one
catalogue (``fxbot.notify.catalogue``), and the phrases here (track record, risk, evidence, a
week's lines) are shared with the console's table (``fxbot.notify.console``). Pure functions: no
I/O. The text fallback is what phones and desktop notifications show, so it carries the whole
call in one line: each pair's direction and votes.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from fxbot.notify.catalogue import Words, words
from fxbot.notify.escape import slack_escape
from fxbot.outcome import yen
from fxbot.pairs import get_pair

if TYPE_CHECKING:
    from fxbot.outcome import CallOutcome, DayOutcome
    from fxbot.signals import Evidence, ModelAge, PairSignal, Report, TrackRecord
    from fxbot.summary import Scope, WeeklySummary

Block = dict[str, Any]

# Slack caps: a header's text at 150 characters, a section's text at 3000, a message at 50 blocks.
_HEADER_MAX = 150
_SECTION_MAX = 3000


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


def _call(signal: PairSignal, w: Words, colors: tuple[str, str] = DEFAULT_COLORS) -> tuple[str, str]:
    """(emoji for blocks, arrow + word for plain text); the emoji's colour is ``notify.colors``."""
    if signal.vote.direction.value == "BUY":
        return EMOJI.get(colors[0], EMOJI["green"]), f"▲ {w.buy}"
    return EMOJI.get(colors[1], EMOJI["red"]), f"▼ {w.sell}"


def track_text(track: TrackRecord | None, locale: str = "en") -> str:
    """E.g. ``last 20 calls: 11 right; always-buy 12`` (or the Japanese wording)."""
    w = words(locale)
    if track is None or track.scored == 0:
        return w.no_track
    text = w.track.format(n=track.scored, right=track.right)
    if track.always_buy_right is not None:
        text += w.track_buy.format(buy=track.always_buy_right)
    return text


def model_age_text(age: ModelAge | None, locale: str = "en") -> str:
    """E.g. ``models trained to 2024-12-31 (35 days)``, with a warning sign past the age limit; "" if unknown."""
    if age is None:
        return ""
    w = words(locale)
    if age.age_days < 0:  # a replay before the training end: the calls are in-sample (warned separately)
        return w.trained_after.format(day=_day(age.trained_to))
    text = w.trained_to.format(day=_day(age.trained_to), days=age.age_days)
    return f":warning: {text}" if age.too_old else text


def _day(day: dt.date) -> str:
    return day.isoformat()


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _p(value: float) -> str:
    if value < 0.001:
        return "<0.001"
    return f"{value:.2f}" if value >= 0.01 else f"{value:.3f}"


def _pct_or_dash(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else _pct(value)


def _yen(value: float) -> str:
    """Yen, unsigned unless negative: ¥1,234 / -¥1,234 (signed P/L is ``fxbot.outcome.yen``)."""
    text = f"¥{abs(value):,.0f}"
    return "-" + text if value < 0 else text


def loss_text(signal: PairSignal, locale: str = "en") -> str:
    """The position's 1-day 99 % loss, e.g. ``¥40,294``, or ``risk: n/a (needs 61 bars)``."""
    w = words(locale)
    risk = signal.risk
    if risk is None:
        return w.risk_na.format(n="?")
    if risk.loss_jpy is None:
        return w.risk_na.format(n=risk.needed_bars)
    return _yen(risk.loss_jpy)


def held_text(signal: PairSignal, locale: str = "en") -> str:
    """When the position is opened and closed, e.g. ``2024-06-14 17:00 → 2024-06-17 17:00 New York``."""
    w = words(locale)
    if signal.risk is None:
        return w.held_value.format(open=f"{_day(signal.bar_date)} 17:00", close=f"{_day(signal.for_day)} 17:00")
    return w.held_value.format(
        open=signal.risk.opens_at.strftime("%Y-%m-%d %H:%M"), close=signal.risk.closes_at.strftime("%Y-%m-%d %H:%M")
    )


def walk_forward_text(evidence: Evidence, locale: str = "en") -> str:
    """One pair's walk-forward accuracy against always-buy on the same calls, and its p-value."""
    return words(locale).wf_value.format(
        acc=_pct(evidence.accuracy), buy=_pct(evidence.always_buy_accuracy), p=_p(evidence.p_value)
    )


def portfolio_text(report: Report, locale: str = "en") -> str | None:
    """Gross exposure, the book's 20-day 99.9 % loss from history with its basis, the worst 20 days with their
    dates, and how far the loss exceeds the drawdown budget (``fxbot.risk``: the larger view leads)."""
    risk = report.portfolio_risk
    if risk is None:
        return None
    w = words(locale)
    gross = sum(s.position.notional_jpy for s in report.signals)
    parts = [w.gross.format(lev=f"{risk.gross_leverage:.2f}", notional=f"{gross:,.0f}")]
    head, worst = risk.headline, risk.worst
    if head is not None:
        parts.append(
            w.tail.format(
                days=head.days,
                conf=f"{head.confidence * 100:g}%",
                loss=_yen(head.loss_jpy),
                pct=_pct(head.loss_jpy / risk.equity_jpy),
                basis=w.basis.get(head.source, head.source),
            )
        )
    if worst is not None:
        parts.append(
            w.worst.format(
                days=worst.days,
                loss=_yen(worst.worst_jpy),
                pct=_pct(worst.worst_jpy / risk.equity_jpy),
                start=_day(worst.worst_start),
                end=_day(worst.worst_end),
            )
        )
    multiple = risk.budget_multiple
    if multiple is not None and multiple > 1:
        parts.append(w.over_budget.format(mult=f"{multiple:.1f}", budget=f"{risk.budget * 100:g}%"))
    return " · ".join(parts)


def evidence_text(report: Report, locale: str = "en") -> str | None:
    """The pooled walk-forward line and the live track record beside always-buy (without stored evidence, a
    sentence saying there is none: a post never looks as if its models had been tested when they were not)."""
    found = report.evidence
    w = words(locale)
    live = w.live.format(track=track_text(report.track, locale))
    short = _worse_figures(report, locale, w.worse_short)
    worse = f" {short}{w.stop.strip()}" if short else ""
    if not found:
        return f"{w.no_evidence}{w.stop}{live}{w.stop.strip()}{worse}" if report.signals else None
    e = found[0]
    line = w.evidence_line.format(
        first=e.first_day,
        last=e.last_day,
        acc=_pct(e.pooled_accuracy),
        n=e.pooled_calls,
        buy=_pct(e.pooled_always_buy_accuracy),
        p=_p(e.pooled_p_value),
    )
    return f"{line}{w.stop}{live}{w.stop.strip()}{worse}"


def _worse_figures(report: Report, locale: str, template: str) -> str:
    worse = report.worse
    if worse is None:
        return ""
    where = words(locale).worse_where.get(worse.source, worse.source)
    return template.format(
        where=where, acc=_pct(worse.accuracy), buy=_pct(worse.always_buy), n=worse.calls, p=_p(worse.p_value)
    )


def worse_text(report: Report, locale: str = "en") -> str | None:
    """The plain sentence when a record is significantly worse than always-buy (``Report.worse``), else None."""
    return _worse_figures(report, locale, words(locale).worse) or None


def edge_text(report: Report, locale: str = "en") -> str | None:
    """The plain sentence on whether the stored evidence shows an edge over always-buy; None without evidence."""
    worse = worse_text(report, locale)
    if worse is not None:  # worse than always-buy: said plainly, in place of "no better than"
        return worse
    found = report.evidence
    if not found:
        return None
    w = words(locale)
    if report.no_edge:
        without = [e.pair for e in found if not (e.edge and e.pooled_edge)]
        pairs = ", ".join(get_pair(code).display for code in without)
        return w.no_edge.format(pairs=pairs)
    return w.edge.format(alpha=f"{found[0].alpha:g}")


def report_text(report: Report, locale: str = "en") -> str:
    """The one-line plain-text fallback (notifications, screen readers, clients without blocks)."""
    w = words(locale)
    calls = " · ".join(f"{s.pair.display} {_call(s, w)[1]} {s.vote.label}" for s in report.signals)
    title = w.title.format(as_of=_day(report.as_of))
    data_to = w.data_to.format(day=_day(report.last_bar))
    edge = f"{edge_text(report, locale)} " if report.edge_warning else ""
    return f"{title}{w.paren[0]}{data_to}{w.paren[1]}: {calls}{w.stop}{edge}{w.advice}"


def _field(label: str, value: str) -> Block:
    return {"type": "mrkdwn", "text": f"*{label}*\n{value}"}


def report_blocks(report: Report, locale: str = "en", colors: tuple[str, str] = DEFAULT_COLORS) -> list[Block]:
    """The report as Block Kit: header, warnings, one section per pair, portfolio risk, evidence, context."""
    w = words(locale)
    header = f"{w.title.format(as_of=_day(report.as_of))} · {w.data_to.format(day=_day(report.last_bar))}"
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
        emoji, call = _call(s, w, colors)
        votes = w.votes.format(label=s.vote.label)
        for_day = w.for_day.format(day=_day(s.for_day))
        fields = [
            _field(w.leverage, f"{s.position.leverage:.2f}{w.times}"),
            _field(w.notional, f"¥{s.position.notional_jpy:,.0f}"),
            _field(w.units, f"{s.position.units:,.0f} {s.pair.base}"),
            _field(w.last_close, f"{s.close:.{s.pair.price_decimals}f} ({_day(s.bar_date)})"),
            _field(w.loss, loss_text(s, locale)),
            _field(w.held, held_text(s, locale)),
        ]
        if s.evidence is not None:
            fields.append(_field(w.walk_forward, walk_forward_text(s.evidence, locale)))
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{emoji} *{s.pair.display}  {call}*  {votes} · {for_day}"},
                "fields": fields,
            }
        )
    portfolio = portfolio_text(report, locale)
    if portfolio is not None:
        text = f"*{w.portfolio}* {portfolio}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}})
    evidence = evidence_text(report, locale)
    if evidence is not None:
        text = f"*{w.evidence}* {evidence}" + (f" {edge}" if edge is not None and not report.edge_warning else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}})
    versions = ", ".join(sorted({s.model_version for s in report.signals}))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{w.models}: {versions}"},
                {"type": "mrkdwn", "text": track_text(report.track, locale)},
                *([{"type": "mrkdwn", "text": age}] if (age := model_age_text(report.model_age, locale)) else []),
                {"type": "mrkdwn", "text": w.advice},
            ],
        }
    )
    return blocks


def warning_text(kind: str, locale: str = "en", **params: object) -> str:
    """A warning that reaches a post, in ``locale`` (English where no translation is kept)."""
    return words(locale).warnings[kind].format(**params)


# -- a posted day's outcome: a reply in the post's thread, or one compact line on a webhook's next post ----------


def call_line(call: CallOutcome, locale: str = "en") -> str:
    """One pair's outcome on one line."""
    w = words(locale)
    return w.outcome.call.format(
        pair=get_pair(call.pair).display,
        call=w.buy if call.direction == "BUY" else w.sell,
        votes=f"{call.votes}/{call.members}",
        result=w.outcome.right if call.right else w.outcome.wrong,
        move=f"{call.move:+.2%}",
        pnl=yen(call.pnl_jpy),
        lev=f"{call.leverage:.2f}{w.times}",
        buy=yen(call.always_buy_jpy),
    )


def total_line(outcome: DayOutcome, locale: str = "en") -> str:
    """All pairs together."""
    return words(locale).outcome.total.format(
        right=outcome.right,
        n=len(outcome.calls),
        pnl=yen(outcome.pnl_jpy),
        buy=yen(outcome.always_buy_jpy),
        buy_right=outcome.always_buy_right,
    )


def outcome_text(outcome: DayOutcome, locale: str = "en") -> str:
    """The thread reply as plain text (the notification's fallback, and the console)."""
    w = words(locale).outcome
    lines = [w.title.format(day=outcome.as_of.isoformat())]
    lines += [call_line(c, locale) for c in outcome.calls]
    lines += [total_line(outcome, locale), w.basis]
    return "\n".join(lines)


def outcome_blocks(outcome: DayOutcome, locale: str = "en") -> list[Block]:
    """The thread reply as Block Kit: a title, a line per pair, the total, the basis."""
    w = words(locale).outcome
    pairs = "\n".join(call_line(c, locale) for c in outcome.calls)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{w.title.format(day=outcome.as_of.isoformat())}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": pairs[:_SECTION_MAX]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{total_line(outcome, locale)}*"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": w.basis}]},
    ]


def compact_line(outcome: DayOutcome, locale: str = "en") -> str:
    """One line for the next day's post where a reply cannot be threaded (an incoming webhook)."""
    return words(locale).outcome.compact.format(
        day=outcome.as_of.isoformat(),
        right=outcome.right,
        n=len(outcome.calls),
        pnl=yen(outcome.pnl_jpy),
        buy=yen(outcome.always_buy_jpy),
    )


def report_with_outcomes(
    report: Report, locale: str = "en", colors: tuple[str, str] = DEFAULT_COLORS
) -> tuple[str, list[Block]]:
    """The report's text and blocks for a channel without threads: earlier days' outcomes (``report.outcomes``)
    ride along as one compact line each, before the text and under the header."""
    text, blocks = report_text(report, locale), report_blocks(report, locale, colors)
    if report.outcomes:
        lines = [compact_line(o, locale) for o in report.outcomes]
        text = " ".join(lines) + " " + text
        context = {"type": "context", "elements": [{"type": "mrkdwn", "text": line} for line in lines[:10]]}
        blocks = [blocks[0], context, *blocks[1:]]
    return text, blocks


# -- the weekly summary --------------------------------------------------------------------------------------


def scope_name(scope: Scope, locale: str = "en") -> str:
    """A pair's display name, or the words for all pairs."""
    from fxbot.summary import POOLED

    return words(locale).summary.all_pairs if scope.name == POOLED else get_pair(scope.name).display


def scope_lines(summary: WeeklySummary, scope: Scope, locale: str = "en") -> tuple[str, str]:
    """(the week's line, the running line) of one scope."""
    w = words(locale).summary
    week = (
        w.week.format(
            right=scope.week_right, n=scope.week_calls, buy=scope.week_always_buy, pnl=yen(scope.week_pnl_jpy, zero="")
        )
        if scope.week_calls
        else w.no_week
    )
    if not scope.calls:
        return week, words(locale).no_track
    band = w.band.format(low=_pct_or_dash(scope.band[0]), high=_pct_or_dash(scope.band[1]))
    running = w.running.format(
        right=scope.right,
        n=scope.calls,
        acc=_pct_or_dash(scope.accuracy),
        band=band,
        buy=_pct_or_dash(scope.always_buy_accuracy),
    )
    pct = _pct_or_dash(scope.pnl_jpy / summary.equity_jpy)
    money = (
        w.pnl.format(pnl=yen(scope.pnl_jpy, zero=""), pct=pct)
        + w.sep
        + w.drawdown.format(dd=f"¥{scope.max_drawdown_jpy:,.0f}")
    )
    return week, f"{running}{w.sep}{money}"


def basis_line(summary: WeeklySummary, locale: str = "en") -> str:
    """How the P/L was counted: leverage, equity, costs, rollover."""
    w = words(locale)
    lev = ", ".join(f"{get_pair(p).display} {v:g}{w.times}" for p, v in summary.leverage.items())
    costs = "/".join(f"{v:g}" for v in summary.cost_pips.values())
    if not summary.rollover_included:
        roll = w.summary.rollover_none
    elif summary.calls_without_rates:
        roll = w.summary.rollover_some.format(n=summary.calls_without_rates)
    else:
        roll = w.summary.rollover_all
    return w.summary.basis.format(lev=lev, equity=f"{summary.equity_jpy:,.0f}", costs=costs) + w.summary.sep + roll


def risk_line(summary: WeeklySummary, locale: str = "en") -> str | None:
    """The week's loss from history and the live exceedances of the 1-day figure; None before any is recorded."""
    risk = summary.risk
    if risk is None:
        return None
    return words(locale).summary.risk.format(
        loss=f"¥{risk.loss_20d_jpy:,.0f}",
        pct=_pct_or_dash(risk.loss_20d_jpy / summary.equity_jpy),
        worst="-" if risk.worst_20d_jpy is None else f"¥{risk.worst_20d_jpy:,.0f}",
        start=risk.worst_start.isoformat() if risk.worst_start else "-",
        end=risk.worst_end.isoformat() if risk.worst_end else "-",
        x=risk.exceedances,
        n=risk.days,
        exp=f"{risk.days * 0.01:.1f}",
        p="-" if not math.isfinite(risk.p_value) else f"{risk.p_value:.2f}",
    )


def summary_text(summary: WeeklySummary, locale: str = "en") -> str:
    """The one-line plain-text fallback."""
    w, p = words(locale), summary.pooled
    line = w.summary.text.format(
        end=summary.week_end.isoformat(),
        right=p.week_right,
        n=p.week_calls,
        buy=p.week_always_buy,
        pnl=yen(p.week_pnl_jpy, zero=""),
    )
    return f"{line}{w.stop}{w.advice}"


def summary_blocks(summary: WeeklySummary, locale: str = "en") -> list[Block]:
    """The summary as Block Kit: header, one section per pair and one for all pairs, and the basis of the P/L."""
    w = words(locale)
    title = w.summary.title.format(end=summary.week_end.isoformat())
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    for scope in [*summary.pairs, summary.pooled]:
        week, running = scope_lines(summary, scope, locale)
        text = f"*{scope_name(scope, locale)}*\n{week}\n{running}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}})
    risk = risk_line(summary, locale)
    if risk is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": risk[:_SECTION_MAX]}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": basis_line(summary, locale)},
                {"type": "mrkdwn", "text": w.advice},
            ],
        }
    )
    return blocks


# Alerts and notices are for Slack, and their message quotes outside text (errors, file names): escaped.


def alert_text(message: str, locale: str = "en") -> str:
    """The plain text of a failure alert (``message`` escaped for Slack)."""
    return f"{words(locale).alert}: {slack_escape(message)}"


def notice_text(message: str, locale: str = "en") -> str:
    """The plain text of a notice (news that is not a failure: the model gate's decision), escaped for Slack."""
    return f"{words(locale).notice}: {slack_escape(message)}"


def notice_blocks(message: str, locale: str = "en") -> list[Block]:
    """A notice as one short section."""
    text = f":arrows_counterclockwise: *{words(locale).notice}*: {slack_escape(message)}"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}}]


def alert_blocks(message: str, locale: str = "en") -> list[Block]:
    """A failure alert as one short section."""
    text = f":rotating_light: *{words(locale).alert}*: {slack_escape(message)}"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_MAX]}}]
