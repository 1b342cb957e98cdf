"""`fxbot site DIR`: the track record as one self-contained page (``DIR/index.html``), in English or Japanese.

What it shows, each figure read from where the rest of fxbot keeps it (nothing recomputed another way):

- the verdict on the edge: the champions' stored walk-forward evidence (``models/<PAIR>/evidence.json``,
  the promotion gate's rule), beside the live record;
- live: the running P/L of following the posted calls against always-buy on the same calls (the ledger's
  scored calls on the notional posted, before costs: ``fxbot.outcome``), the rolling accuracy of the last
  20 calls with the 99 % coin-flip band (``fxbot.summary.random_band``), and a per-pair table;
- the walk-forward, labelled a backtest: the same two curves from the committed report's ``calls.csv``
  (the vote of its five members per day, at today's leverage and equity, before costs);
- risk: the latest book's loss figures as the post showed them (``Ledger.book_risk``) and the 1-day
  figure's exceedances with Kupiec's test (``Ledger.var_record`` through ``fxbot.risk.exceedances``,
  as `fxbot history` counts them);
- the champions (version, training end) and the promotions log.

Charts are matplotlib SVG, inline (text kept as text, so Japanese renders with the reader's fonts);
there is no script, no outside asset (a Content-Security-Policy says so), and the page opens from
disk. matplotlib is imported here only: the daily path never imports this module (`run-once` runs
`fxbot site` as a child process after the post when ``site.dir`` is set).

The page replaces only a page of its own kind: an ``index.html`` that fxbot did not write is refused. Beside
it, ``live-equity.png`` (the live curves) is what the Slack App Home shows when ``site.url`` is set.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import logging
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from fxbot import __version__
from fxbot.errors import ConfigError, DataError
from fxbot.outcome import CallOutcome, Totals, totals, yen
from fxbot.pairs import get_pair
from fxbot.risk import exceedances
from fxbot.summary import random_band

if TYPE_CHECKING:
    from fxbot.config import Settings
    from fxbot.ledger import BookRisk
    from fxbot.signals import Evidence

logger = logging.getLogger(__name__)

#: The marker every page fxbot writes carries; a page without it is not replaced.
GENERATOR = "fxbot site"
ROLLING = 20  # calls in the rolling accuracy window, as the post's track record
DEFAULT_REPORT = Path("reports/backtest-2008-2024")


class Champion(msgspec.Struct, frozen=True):
    """A pair's model in use."""

    pair: str
    version: str
    train_end: str
    created_at: str


class Promotion(msgspec.Struct, frozen=True):
    """One line of the promotions log."""

    at: str
    pair: str
    action: str
    from_version: str | None
    to_version: str | None
    by: str


class Backtest(msgspec.Struct, frozen=True):
    """The walk-forward's daily P/L of following the vote and of always-buy, pooled, and per pair's counts."""

    first: dt.date
    last: dt.date
    days: list[dt.date]
    pnl: list[float]  # per day, all pairs, at today's leverage x equity, before costs
    buy_pnl: list[float]
    calls: dict[str, tuple[int, int, int]]  # pair -> (calls, right, always-buy right)


class SiteData(msgspec.Struct, frozen=True):
    """Everything the page shows, read once."""

    generated: dt.datetime
    equity_jpy: float
    live: list[CallOutcome]
    evidence: dict[str, Evidence]
    book: BookRisk | None
    var_days: int
    var_exceeded: int
    var_p: float
    champions: list[Champion]
    promotions: list[Promotion]
    backtest: Backtest | None
    report: str


def read_backtest(report: Path, settings: Settings) -> Backtest | None:
    """The walk-forward's calls from ``report/calls.csv`` (None if there is none): the members' majority per day."""
    path = report / "calls.csv"
    if not path.is_file():
        return None
    by_day: dict[dt.date, list[float]] = {}
    counts: dict[str, list[int]] = {}
    equity = settings.account.equity_jpy
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pair = row["pair"]
            if pair not in settings.pairs:
                continue
            try:
                votes = sum(float(row[f"member_{i}"]) > 0.5 for i in range(5))
                move = float(row["next_close"]) / float(row["close"]) - 1.0
                day = dt.date.fromisoformat(row["next_date"])
            except (KeyError, ValueError) as exc:
                raise DataError(f"{path}: a row cannot be read ({exc}); rewrite it with `fxbot backtest`") from None
            sign = 1.0 if votes >= 3 else -1.0
            notional = settings.leverage_for(pair) * equity
            pnl, buy = by_day.setdefault(day, [0.0, 0.0]), counts.setdefault(pair, [0, 0, 0])
            pnl[0] += sign * move * notional
            pnl[1] += move * notional
            buy[0] += 1
            buy[1] += int(sign * move > 0)
            buy[2] += int(move > 0)
    if not by_day:
        return None
    days = sorted(by_day)
    return Backtest(
        first=days[0],
        last=days[-1],
        days=days,
        pnl=[by_day[d][0] for d in days],
        buy_pnl=[by_day[d][1] for d in days],
        calls={p: (c[0], c[1], c[2]) for p, c in counts.items()},
    )


def gather(settings: Settings, report: Path = DEFAULT_REPORT, now: dt.datetime | None = None) -> SiteData:
    """Read the ledger (never created here), the champions' evidence and manifests, the promotions log, the report."""
    from fxbot import wiring
    from fxbot.errors import FxbotError
    from fxbot.model.artifacts import read_manifest

    live: list[CallOutcome] = []
    book, var_days, var_exceeded, var_p = None, 0, 0, math.nan
    if settings.ledger.path.exists():
        ledger = wiring.ledger(settings)
        try:
            live = ledger.scored_positions()
            book = ledger.book_risk()
            shown = [(b.loss_1d_jpy, -pnl) for b, pnl in ledger.var_record() if b.loss_1d_jpy is not None]
            var_exceeded, var_days, var_p = exceedances([loss for _, loss in shown], [fig for fig, _ in shown])
        finally:
            ledger.close()
    registry = wiring.registry(settings)
    load_evidence = wiring.evidence_loader(registry)
    evidence: dict[str, Evidence] = {}
    champions = []
    for code in settings.pairs:
        found = load_evidence(code)
        if found is not None:
            evidence[code] = found
        try:
            manifest = read_manifest(registry.champion_folder(code), pair=code)
        except FxbotError as exc:
            logger.warning("site: %s", exc)
            continue
        champions.append(Champion(code, manifest.version, manifest.train_end, manifest.created_at))
    promotions = [
        Promotion(e.at, e.pair, e.action, e.from_version, e.to_version, e.by) for e in reversed(registry.history())
    ]
    return SiteData(
        generated=now or dt.datetime.now(dt.UTC),
        equity_jpy=settings.account.equity_jpy,
        live=live,
        evidence=evidence,
        book=book,
        var_days=var_days,
        var_exceeded=var_exceeded,
        var_p=var_p,
        champions=champions,
        promotions=promotions[:30],
        backtest=read_backtest(report, settings),
        report=str(report),
    )


# -- words ------------------------------------------------------------------------------------------------

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "lang": "en",
        "title": "fxbot track record",
        "generated": "Written {when} by fxbot {version}. Not investment advice.",
        "verdict": "The verdict on the edge",
        "no_edge": (
            "No edge: in the walk-forward (a backtest) the vote was right on {acc} of {calls} calls, always-buy on the "
            "same calls {buy} (McNemar p={p}). Treat the calls as no better than buying every day."
        ),
        "edge": (
            "An edge in the walk-forward (a backtest): the vote was right on {acc} of {calls} calls, always-buy "
            "{buy} (McNemar p={p}, significant after Holm at {alpha})."
        ),
        "no_evidence": "No walk-forward evidence is stored with the models: no claim of skill is made.",
        "live_verdict": "Live: {right} of {calls} scored calls right ({acc}), always-buy {buy} ({buy_acc}); the 99% "
        "coin-flip band for {calls} calls is {low}-{high}.",
        "live_none": "Live: no call scored yet.",
        "live": "Live: following the calls against always-buy",
        "live_note": (
            "The running P/L of each posted call (close to close, on the notional posted: leverage x equity), "
            "before costs, against buying the same notional on the same days."
        ),
        "follow": "following the calls",
        "always_buy": "always-buy",
        "calls": "scored calls",
        "right": "right",
        "pnl": "P/L",
        "period": "from {first} to {last}",
        "rolling": "Rolling accuracy of the last {n} calls",
        "rolling_note": "The shaded band is where a coin flip lands 99% of the time over {n} calls.",
        "rolling_short": "Needs {n} scored calls; {have} so far.",
        "band": "99% coin-flip band",
        "pairs": "Per pair",
        "pair": "Pair",
        "acc": "Accuracy",
        "buy_acc": "Always-buy",
        "buy_pnl": "Always-buy P/L",
        "wf_acc": "Walk-forward (backtest)",
        "wf_buy": "Walk-forward always-buy",
        "all": "All pairs",
        "backtest": "Walk-forward: a backtest, not live",
        "backtest_note": (
            "The committed walk-forward ({report}): each day's call is the majority of five members trained only on "
            "earlier days, applied at today's leverage and equity, before costs. A backtest, not a track record."
        ),
        "no_backtest": "No walk-forward report found at {report}.",
        "risk": "Risk from history",
        "risk_book": "The latest book ({day}): gross {gross}x equity; 20-day 99.9% loss from history {loss} ({pct} of "
        "equity; {source}); worst 20 days {worst} ({start} → {end}); 1-day 99% loss {day_loss}.",
        "risk_none": "No book recorded yet.",
        "var": "The 1-day 99% loss was exceeded on {x} of {n} scored days (expected {expected}); Kupiec p={p}.",
        "var_few": "Too few days to judge: a 99% figure needs hundreds.",
        "var_none": "No scored day with a recorded loss figure yet.",
        "models": "Models",
        "version": "Version",
        "trained_to": "Trained to",
        "created": "Created",
        "promotions": "Promotions log",
        "at": "When",
        "action": "Action",
        "change": "From → to",
        "by": "By",
        "none": "None yet.",
        "date": "Day",
    },
    "ja": {
        "lang": "ja",
        "title": "fxbot の成績",
        "generated": "{when} に fxbot {version} が作成。投資助言ではありません。",
        "verdict": "優位性の判定",
        "no_edge": (
            "優位性なし: ウォークフォワード検証（バックテスト）では多数決の正解率 {acc}（{calls}件）、"
            "同じ日に常に買った場合 {buy}（McNemar p値 {p}）。"
            "シグナルは毎日買う場合より優れているとは言えません。"
        ),
        "edge": (
            "ウォークフォワード検証（バックテスト）で優位性あり: 正解率 {acc}（{calls}件）、常に買い {buy}"
            "（McNemar p値 {p}、Holm 補正後 {alpha} で有意）。"
        ),
        "no_evidence": "モデルに検証結果が保存されていません。実力は主張しません。",
        "live_verdict": (
            "実運用: 評価済み {calls}件中 {right}件的中（{acc}）、常に買い {buy}件（{buy_acc}）。"
            "{calls}件での偶然の99%範囲は {low}〜{high}。"
        ),
        "live_none": "実運用: 評価済みのシグナルはまだありません。",
        "live": "実運用: シグナルに従った場合と常に買った場合",
        "live_note": (
            "投稿した各シグナルの累積損益（終値から終値、投稿した想定元本＝レバレッジ×自己資本、取引コスト控除前）と、"
            "同じ日に同じ想定元本を買った場合の比較。"
        ),
        "follow": "シグナルに従った場合",
        "always_buy": "常に買い",
        "calls": "評価済み",
        "right": "的中",
        "pnl": "損益",
        "period": "{first} 〜 {last}",
        "rolling": "直近{n}件の的中率の推移",
        "rolling_note": "網掛けは{n}件の偶然の的中率が99%の確率で収まる範囲です。",
        "rolling_short": "{n}件の評価済みシグナルが必要です（現在 {have}件）。",
        "band": "偶然の99%範囲",
        "pairs": "通貨ペア別",
        "pair": "通貨ペア",
        "acc": "的中率",
        "buy_acc": "常に買い",
        "buy_pnl": "常に買いの損益",
        "wf_acc": "ウォークフォワード（バックテスト）",
        "wf_buy": "ウォークフォワードの常に買い",
        "all": "全通貨ペア",
        "backtest": "ウォークフォワード検証: バックテストであり実運用ではありません",
        "backtest_note": (
            "保存済みのウォークフォワード検証（{report}）: 各日のシグナルはそれより前の日だけで学習した5メンバーの"
            "多数決、現在のレバレッジと自己資本で、取引コスト控除前。実績ではなくバックテストです。"
        ),
        "no_backtest": "{report} にウォークフォワード検証の結果がありません。",
        "risk": "過去データによるリスク",
        "risk_book": (
            "直近のポートフォリオ（{day}）: 総エクスポージャー 自己資本の{gross}倍、"
            "過去データによる20日間99.9%損失 {loss}（自己資本の{pct}、{source}）、"
            "過去最悪の20日間 {worst}（{start} → {end}）、1日99%損失 {day_loss}。"
        ),
        "risk_none": "まだポートフォリオの記録がありません。",
        "var": "1日99%損失を超えた日: 評価済み {n}日中 {x}日（期待値 {expected}）、Kupiec p値 {p}。",
        "var_few": "判定には日数が足りません（99%の数値には数百日が必要です）。",
        "var_none": "損失の数値が記録された評価済みの日はまだありません。",
        "models": "モデル",
        "version": "バージョン",
        "trained_to": "学習データの終わり",
        "created": "作成",
        "promotions": "昇格の記録",
        "at": "日時",
        "action": "操作",
        "change": "変更前 → 変更後",
        "by": "実行者",
        "none": "まだありません。",
        "date": "日付",
    },
}

_SOURCES = {
    "en": {"calls": "following the calls, walk-forward", "book": "today's book", "filtered": "at today's volatility"},
    "ja": {
        "calls": "シグナルに従った場合・ウォークフォワード検証",
        "book": "現在のポートフォリオ",
        "filtered": "現在のボラティリティ",
    },
}


def _w(locale: str) -> dict[str, str]:
    return _WORDS.get(locale, _WORDS["en"])


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1%}"


def _plain_yen(value: float) -> str:
    return f"¥{value:,.0f}"


# -- charts ---------------------------------------------------------------------------------------------------


def _svg(fig: Any) -> str:
    """The figure as inline SVG (no XML prolog), its text kept as text."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    # the RDF metadata block names outside URLs (and the date): the page needs neither
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    return text[text.index("<svg") :]


def _axes(title: str) -> tuple[Any, Any]:
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: the browser's fonts draw Japanese
    matplotlib.rcParams["svg.hashsalt"] = "fxbot"  # stable ids: the same data give the same page
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return fig, ax


def _equity_figure(
    days: Sequence[dt.date], pnl: Sequence[float], buy: Sequence[float], title: str, labels: tuple[str, str] | None
) -> Any:
    import numpy as np

    fig, ax = _axes(title)
    x = list(days)
    follow, always = labels or (None, None)
    ax.plot(x, np.cumsum(pnl), color="#1f77b4", linewidth=1.2, label=follow)
    ax.plot(x, np.cumsum(buy), color="#7f7f7f", linewidth=1.0, linestyle="--", label=always)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.yaxis.set_major_formatter(lambda v, _: f"{'-' if v < 0 else ''}¥{abs(v):,.0f}")
    if labels is not None:
        ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return fig


def equity_chart(days: Sequence[dt.date], pnl: Sequence[float], buy: Sequence[float], locale: str, title: str) -> str:
    """Cumulative P/L of following the calls and of always-buy, as SVG."""
    w = _w(locale)
    return _svg(_equity_figure(days, pnl, buy, title, (w["follow"], w["always_buy"])))


def equity_png(days: Sequence[dt.date], pnl: Sequence[float], buy: Sequence[float], locale: str) -> bytes:
    """The live curves as a PNG for Slack's App Home (an image block needs a URL): English labels only, since a
    PNG carries no fonts (under ja the App Home says which line is which)."""
    import matplotlib.pyplot as plt

    labels = ("following the calls", "always-buy") if locale == "en" else None
    fig = _equity_figure(days, pnl, buy, f"{days[0].isoformat()} - {days[-1].isoformat()}", labels)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def live_series(calls: Sequence[CallOutcome]) -> tuple[list[dt.date], list[float], list[float]]:
    """(outcome days, P/L of following the calls that day, always-buy's) from the scored calls."""
    by_day: dict[dt.date, list[float]] = {}
    for c in calls:
        day = by_day.setdefault(c.outcome_day, [0.0, 0.0])
        day[0] += c.pnl_jpy
        day[1] += c.always_buy_jpy
    days = sorted(by_day)
    return days, [by_day[d][0] for d in days], [by_day[d][1] for d in days]


def rolling_chart(calls: Sequence[CallOutcome], locale: str, window: int = ROLLING) -> str:
    """The rolling accuracy of the last ``window`` calls, always-buy's, and the 99 % coin-flip band, as SVG."""
    w = _w(locale)
    fig, ax = _axes(w["rolling"].format(n=window))
    hits = [c.right for c in calls]
    ups = [c.move > 0 for c in calls]
    x = list(range(window, len(calls) + 1))
    ax.plot(x, [sum(hits[i - window : i]) / window for i in x], color="#1f77b4", label=w["follow"])
    ax.plot(x, [sum(ups[i - window : i]) / window for i in x], color="#7f7f7f", linestyle="--", label=w["always_buy"])
    low, high = random_band(window)
    ax.axhspan(low, high, color="#bbbbbb", alpha=0.3, label=w["band"])
    ax.set_ylim(0, 1)
    ax.set_xlabel(w["calls"], fontsize=8)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(loc="lower left", fontsize=8)
    return _svg(fig)


# -- the page ----------------------------------------------------------------------------------------------------


def _verdict(data: SiteData, live: Totals, locale: str) -> str:
    w = _w(locale)
    found = list(data.evidence.values())
    if not found:
        text = w["no_evidence"]
        edge = False
    else:
        e = found[0]
        edge = all(x.edge and x.pooled_edge for x in found)
        figures = {
            "acc": _pct(e.pooled_accuracy),
            "calls": f"{e.pooled_calls:,}",
            "buy": _pct(e.pooled_always_buy_accuracy),
            "p": f"{e.pooled_p_value:.2f}",
            "alpha": f"{e.alpha:g}",
        }
        text = (w["edge"] if edge else w["no_edge"]).format(**figures)
    if live.calls:
        low, high = random_band(live.calls)
        live_text = w["live_verdict"].format(
            right=live.right,
            calls=live.calls,
            acc=_pct(live.right / live.calls),
            buy=live.always_buy_right,
            buy_acc=_pct(live.always_buy_right / live.calls),
            low=_pct(low),
            high=_pct(high),
        )
    else:
        live_text = w["live_none"]
    css = "edge" if edge else "no-edge"
    return f'<p class="{css}" id="verdict">{_e(text)}</p>\n<p id="live-verdict">{_e(live_text)}</p>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], table_id: str) -> str:
    out = [f'<table id="{table_id}"><thead><tr>']
    out += [f"<th>{_e(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _pair_rows(data: SiteData, locale: str) -> list[list[str]]:
    w = _w(locale)
    rows = []
    codes = sorted({c.pair for c in data.live} | set(data.evidence) | {c.pair for c in data.champions})
    for code in [*codes, None]:
        calls = [c for c in data.live if code is None or c.pair == code]
        t = totals(calls)
        name = w["all"] if code is None else get_pair(code).display
        key = "all" if code is None else code
        if code is None:
            wf = next(iter(data.evidence.values()), None)
            wf_acc = _pct(wf.pooled_accuracy) if wf else "-"
            wf_buy = _pct(wf.pooled_always_buy_accuracy) if wf else "-"
        else:
            ev = data.evidence.get(code)
            wf_acc = _pct(ev.accuracy) if ev else "-"
            wf_buy = _pct(ev.always_buy_accuracy) if ev else "-"
        rows.append(
            [
                _e(name),
                f'<span data-pair="{_e(key)}" data-field="calls">{t.calls}</span>',
                f'<span data-pair="{_e(key)}" data-field="right">{t.right}</span>',
                _pct(t.right / t.calls) if t.calls else "-",
                _pct(t.always_buy_right / t.calls) if t.calls else "-",
                f'<span data-pair="{_e(key)}" data-field="pnl">{_e(yen(t.pnl_jpy))}</span>',
                f'<span data-pair="{_e(key)}" data-field="buy-pnl">{_e(yen(t.always_buy_jpy))}</span>',
                _e(wf_acc),
                _e(wf_buy),
            ]
        )
    return rows


def _risk(data: SiteData, locale: str) -> str:
    w = _w(locale)
    book = data.book
    parts = []
    if book is None or book.loss_20d_jpy is None:
        parts.append(f"<p>{_e(w['risk_none'])}</p>")
    else:
        sources = _SOURCES.get(locale, _SOURCES["en"])
        text = w["risk_book"].format(
            day=book.bar_date.isoformat(),
            gross=f"{book.gross_leverage:.2f}",
            loss=_plain_yen(book.loss_20d_jpy),
            pct=_pct(book.loss_20d_jpy / book.equity_jpy),
            source=sources.get(book.source or "", book.source or "-"),
            worst=_plain_yen(book.worst_20d_jpy) if book.worst_20d_jpy is not None else "-",
            start=book.worst_start.isoformat() if book.worst_start else "-",
            end=book.worst_end.isoformat() if book.worst_end else "-",
            day_loss=_plain_yen(book.loss_1d_jpy) if book.loss_1d_jpy is not None else "-",
        )
        parts.append(f'<p id="risk-book">{_e(text)}</p>')
    if data.var_days:
        text = w["var"].format(
            x=data.var_exceeded, n=data.var_days, expected=f"{data.var_days * 0.01:.1f}", p=f"{data.var_p:.2f}"
        )
        few = f" {w['var_few']}" if data.var_days < 250 else ""
        parts.append(f'<p id="risk-exceedances">{_e(text + few)}</p>')
    else:
        parts.append(f'<p id="risk-exceedances">{_e(w["var_none"])}</p>')
    return "\n".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans CJK JP",sans-serif;max-width:60rem;
margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #eee;padding:.3rem .5rem;
text-align:right}td{white-space:nowrap}th:first-child,td:first-child{text-align:left}.no-edge{background:#fff4e5;padding:.6rem;
border-left:4px solid #e69500}.edge{background:#e8f5e9;padding:.6rem;border-left:4px solid #2e7d32}
.backtest{background:#f3f3f3;padding:.2rem 1rem 1rem;border:1px dashed #999}.note{color:#555;font-size:.85rem}
figure{margin:1rem 0}svg{max-width:100%;height:auto}dl{display:grid;grid-template-columns:max-content auto;
gap:.2rem 1rem}dt{color:#555}
"""


def render_html(data: SiteData, locale: str = "en") -> str:
    """The page: verdict, live curves and table, the backtest (labelled), risk, models and promotions."""
    w = _w(locale)
    live = totals(data.live)
    when = data.generated.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{w["lang"]}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{GENERATOR}">',
        # no script, no outside asset: the page opens from disk and fetches nothing
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        f"<title>{_e(w['title'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(w['title'])}</h1>",
        f'<p class="note">{_e(w["generated"].format(when=when, version=__version__))}</p>',
        f"<h2>{_e(w['verdict'])}</h2>",
        _verdict(data, live, locale),
        f'<h2>{_e(w["live"])}</h2><section id="live">',
    ]
    if live.calls:
        period = w["period"].format(first=live.first.isoformat() if live.first else "", last=live.last)
        out += [
            '<dl id="live-figures">',
            f'<dt>{_e(w["calls"])}</dt><dd id="live-calls">{live.calls}</dd>',
            f'<dt>{_e(w["right"])}</dt><dd id="live-right">{live.right}</dd>',
            f'<dt>{_e(w["always_buy"])} ({_e(w["right"])})</dt><dd id="live-buy-right">{live.always_buy_right}</dd>',
            f'<dt>{_e(w["pnl"])} ({_e(w["follow"])})</dt><dd id="live-pnl">{_e(yen(live.pnl_jpy))}</dd>',
            f'<dt>{_e(w["pnl"])} ({_e(w["always_buy"])})</dt><dd id="live-buy-pnl">{_e(yen(live.always_buy_jpy))}</dd>',
            "</dl>",
        ]
        chart = equity_chart(*live_series(data.live), locale, period)
        out += [f'<figure id="live-equity">{chart}</figure>', f'<p class="note">{_e(w["live_note"])}</p>']
        out.append(f"<h3>{_e(w['rolling'].format(n=ROLLING))}</h3>")
        if live.calls >= ROLLING:
            out.append(f'<figure id="rolling">{rolling_chart(data.live, locale)}</figure>')
            out.append(f'<p class="note">{_e(w["rolling_note"].format(n=ROLLING))}</p>')
        else:
            out.append(f'<p id="rolling">{_e(w["rolling_short"].format(n=ROLLING, have=live.calls))}</p>')
    else:
        out.append(f'<p id="live-calls-none">{_e(w["live_none"])}</p>')
    out.append("</section>")
    head = [w["pair"], w["calls"], w["right"], w["acc"], w["buy_acc"], w["pnl"], w["buy_pnl"], w["wf_acc"], w["wf_buy"]]
    out += [f"<h2>{_e(w['pairs'])}</h2>", _table(head, _pair_rows(data, locale), "pairs")]
    out.append(f'<h2>{_e(w["backtest"])}</h2><section class="backtest" id="backtest">')
    bt = data.backtest
    if bt is not None:
        title = f"{w['backtest']}: {w['period'].format(first=bt.first, last=bt.last)}"
        out.append(f"<figure>{equity_chart(bt.days, bt.pnl, bt.buy_pnl, locale, title)}</figure>")
        out.append(f'<p class="note">{_e(w["backtest_note"].format(report=data.report))}</p>')
    else:
        out.append(f"<p>{_e(w['no_backtest'].format(report=data.report))}</p>")
    out.append("</section>")
    out += [f"<h2>{_e(w['risk'])}</h2>", _risk(data, locale)]
    out.append(f"<h2>{_e(w['models'])}</h2>")
    rows = [[_e(get_pair(c.pair).display), _e(c.version), _e(c.train_end), _e(c.created_at)] for c in data.champions]
    out.append(_table([w["pair"], w["version"], w["trained_to"], w["created"]], rows, "models"))
    out.append(f"<h3>{_e(w['promotions'])}</h3>")
    if data.promotions:
        rows = [
            [_e(p.at), _e(p.pair), _e(p.action), _e(f"{p.from_version or '-'} → {p.to_version or '-'}"), _e(p.by)]
            for p in data.promotions
        ]
        out.append(_table([w["at"], w["pair"], w["action"], w["change"], w["by"]], rows, "promotions"))
    else:
        out.append(f"<p>{_e(w['none'])}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


#: Beside the page, for Slack's App Home (an image block needs a URL: ``site.url`` + this name).
LIVE_PNG = "live-equity.png"


def _write_atomic(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_site(folder: Path, page: str, png: bytes | None = None) -> Path:
    """Write ``folder/index.html`` (and ``live-equity.png``) atomically; an ``index.html`` fxbot did not write is
    never replaced, and nothing is written beside it then."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "index.html"
    if target.exists():
        head = target.read_text(encoding="utf-8", errors="replace")[:2000]
        if f'<meta name="generator" content="{GENERATOR}">' not in head:
            raise ConfigError(
                f"{target} exists and was not written by `fxbot site`; choose another folder (site.dir) or move it away"
            )
    _write_atomic(target, page.encode("utf-8"))
    if png is not None:
        _write_atomic(folder / LIVE_PNG, png)
    return target


def build_site(settings: Settings, folder: Path, *, report: Path = DEFAULT_REPORT, locale: str | None = None) -> Path:
    """Gather, render and write the page; returns its path."""
    data = gather(settings, report)
    locale = locale or settings.notify.locale
    png = equity_png(*live_series(data.live), locale) if data.live else None
    return write_site(folder, render_html(data, locale), png)
