"""What `fxbot risk` prints: today's book from history, every view, the stress windows and the budget. Pure."""

from __future__ import annotations

from fxbot.risk import budget_scale
from fxbot.signals import Report, TailLoss

_VIEWS = {
    "book": "today's book over every past window",
    "filtered": "today's book at today's volatility (filtered, EWMA 0.94)",
    "calls": "following the calls (walk-forward, at today's gross leverage)",
}


def _yen(value: float) -> str:
    text = f"¥{abs(value):,.0f}"
    return "-" + text if value < 0 else text


def _tail(tail: TailLoss, equity: float) -> str:
    return (
        f"{_yen(tail.loss_jpy)} ({tail.loss_jpy / equity:.1%}); beyond it on average {_yen(tail.shortfall_jpy)}; "
        f"worst {_yen(tail.worst_jpy)} ({tail.worst_start.isoformat()} → {tail.worst_end.isoformat()}); "
        f"{tail.windows:,} windows {tail.first_day.isoformat()}..{tail.last_day.isoformat()}"
    )


def risk_lines(report: Report) -> list[str]:
    """Every risk figure of ``report``'s book, the one a post leads with marked, and the leverages within budget."""
    risk = report.portfolio_risk
    if risk is None or not report.signals:
        return ["no calls, so no book to measure"]
    equity = risk.equity_jpy
    out = [
        f"Today's book: calls for {report.signals[0].for_day.isoformat()} (bars to {report.last_bar.isoformat()}), "
        f"equity {_yen(equity)}, gross {risk.gross_leverage:.2f}x"
    ]
    for s in report.signals:
        r = s.risk
        hist = "n/a" if r is None or r.loss_jpy is None else _yen(r.loss_jpy)
        normal = ""
        if r is not None and r.normal_loss_jpy is not None:
            normal = f" (normal curve, {r.window_days} days: {_yen(r.normal_loss_jpy)})"
        out.append(
            f"  {s.pair.display} {s.vote.direction.value} {s.position.leverage:.2f}x {_yen(s.position.notional_jpy)}: "
            f"1-day 99% loss from history {hist}{normal}"
        )
    head = risk.headline
    out.append(f"{head.days if head else 20}-day {head.confidence * 100 if head else 99.9:g}% loss from history:")
    for key, tail in (("book", risk.book), ("filtered", risk.filtered), ("calls", risk.calls)):
        mark = "  <- posted (the largest)" if tail is not None and tail is head else ""
        out.append(f"  {_VIEWS[key]}: {'n/a (too little history)' if tail is None else _tail(tail, equity)}{mark}")
    day = risk.day
    if day is not None:
        out.append(
            f"1-day 99% loss of the book: {_yen(day.loss_jpy)} ({day.source}); beyond it {_yen(day.shortfall_jpy)}"
        )
    if risk.stress:
        out.append("Stress windows, today's book close to close:")
        out += [
            f"  {w.name} ({w.start.isoformat()} → {w.end.isoformat()}): {'+' if w.pnl_jpy > 0 else ''}{_yen(w.pnl_jpy)}"
            for w in risk.stress
        ]
    worst = risk.worst
    out.append(f"Drawdown budget {risk.budget:.0%} of equity ({_yen(risk.budget * equity)}, notify.risk.budget):")
    for label, loss in (
        ("the posted 20-day loss", head.loss_jpy if head else None),
        ("the worst 20 days", worst.worst_jpy if worst else None),
    ):
        if loss is None:
            continue
        scale = budget_scale(loss, equity, risk.budget)
        levs = ", ".join(f"{s.pair.display} {s.position.leverage * scale:.2f}x" for s in report.signals)
        verdict = f"{loss / (risk.budget * equity):.2f}x the budget" if scale < 1 else "within the budget"
        out.append(f"  {label} {_yen(loss)} is {verdict}: scale {scale:.2f} -> {levs}")
    out.append("The configured leverages stay in force; change account.leverage in the config if you decide to.")
    return out
