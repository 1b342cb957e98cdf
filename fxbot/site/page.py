"""The page itself: verdict, live curves and table, the backtest (labelled), risk, models and promotions, as one
self-contained HTML text (no script, no outside asset)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fxbot import __version__
from fxbot.outcome import Totals, totals, yen
from fxbot.pairs import get_pair
from fxbot.site.charts import ROLLING, equity_chart, rolling_chart
from fxbot.site.records import SiteData, live_series
from fxbot.site.words import SOURCES, esc, pct, plain_yen, words_for
from fxbot.summary import random_band

#: The marker every page fxbot writes carries; a page without it is not replaced.
GENERATOR = "fxbot site"


def _verdict(data: SiteData, live: Totals, locale: str) -> str:
    w = words_for(locale)
    found = list(data.evidence.values())
    if not found:
        text = w["no_evidence"]
        edge = False
    else:
        e = found[0]
        edge = all(x.edge and x.pooled_edge for x in found)
        figures = {
            "acc": pct(e.pooled_accuracy),
            "calls": f"{e.pooled_calls:,}",
            "buy": pct(e.pooled_always_buy_accuracy),
            "p": f"{e.pooled_p_value:.2f}",
            "alpha": f"{e.alpha:g}",
        }
        text = (w["edge"] if edge else w["no_edge"]).format(**figures)
    if live.calls:
        low, high = random_band(live.calls)
        live_text = w["live_verdict"].format(
            right=live.right,
            calls=live.calls,
            acc=pct(live.right / live.calls),
            buy=live.always_buy_right,
            buy_acc=pct(live.always_buy_right / live.calls),
            low=pct(low),
            high=pct(high),
        )
    else:
        live_text = w["live_none"]
    css = "edge" if edge else "no-edge"
    return f'<p class="{css}" id="verdict">{esc(text)}</p>\n<p id="live-verdict">{esc(live_text)}</p>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], table_id: str) -> str:
    out = [f'<table id="{table_id}"><thead><tr>']
    out += [f"<th>{esc(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _pair_rows(data: SiteData, locale: str) -> list[list[str]]:
    w = words_for(locale)
    rows = []
    codes = sorted({c.pair for c in data.live} | set(data.evidence) | {c.pair for c in data.champions})
    for code in [*codes, None]:
        calls = [c for c in data.live if code is None or c.pair == code]
        t = totals(calls)
        name = w["all"] if code is None else get_pair(code).display
        key = "all" if code is None else code
        if code is None:
            wf = next(iter(data.evidence.values()), None)
            wf_acc = pct(wf.pooled_accuracy) if wf else "-"
            wf_buy = pct(wf.pooled_always_buy_accuracy) if wf else "-"
        else:
            ev = data.evidence.get(code)
            wf_acc = pct(ev.accuracy) if ev else "-"
            wf_buy = pct(ev.always_buy_accuracy) if ev else "-"
        rows.append(
            [
                esc(name),
                f'<span data-pair="{esc(key)}" data-field="calls">{t.calls}</span>',
                f'<span data-pair="{esc(key)}" data-field="right">{t.right}</span>',
                pct(t.right / t.calls) if t.calls else "-",
                pct(t.always_buy_right / t.calls) if t.calls else "-",
                f'<span data-pair="{esc(key)}" data-field="pnl">{esc(yen(t.pnl_jpy))}</span>',
                f'<span data-pair="{esc(key)}" data-field="buy-pnl">{esc(yen(t.always_buy_jpy))}</span>',
                esc(wf_acc),
                esc(wf_buy),
            ]
        )
    return rows


def _risk(data: SiteData, locale: str) -> str:
    w = words_for(locale)
    book = data.book
    parts = []
    if book is None or book.loss_20d_jpy is None:
        parts.append(f"<p>{esc(w['risk_none'])}</p>")
    else:
        sources = SOURCES.get(locale, SOURCES["en"])
        text = w["risk_book"].format(
            day=book.bar_date.isoformat(),
            gross=f"{book.gross_leverage:.2f}",
            loss=plain_yen(book.loss_20d_jpy),
            pct=pct(book.loss_20d_jpy / book.equity_jpy),
            source=sources.get(book.source or "", book.source or "-"),
            worst=plain_yen(book.worst_20d_jpy) if book.worst_20d_jpy is not None else "-",
            start=book.worst_start.isoformat() if book.worst_start else "-",
            end=book.worst_end.isoformat() if book.worst_end else "-",
            day_loss=plain_yen(book.loss_1d_jpy) if book.loss_1d_jpy is not None else "-",
        )
        parts.append(f'<p id="risk-book">{esc(text)}</p>')
    if data.var_days:
        text = w["var"].format(
            x=data.var_exceeded, n=data.var_days, expected=f"{data.var_days * 0.01:.1f}", p=f"{data.var_p:.2f}"
        )
        few = f" {w['var_few']}" if data.var_days < 250 else ""
        parts.append(f'<p id="risk-exceedances">{esc(text + few)}</p>')
    else:
        parts.append(f'<p id="risk-exceedances">{esc(w["var_none"])}</p>')
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
    w = words_for(locale)
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
        f"<title>{esc(w['title'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(w['title'])}</h1>",
        f'<p class="note">{esc(w["generated"].format(when=when, version=__version__))}</p>',
        f"<h2>{esc(w['verdict'])}</h2>",
        _verdict(data, live, locale),
        f'<h2>{esc(w["live"])}</h2><section id="live">',
    ]
    if live.calls:
        period = w["period"].format(first=live.first.isoformat() if live.first else "", last=live.last)
        out += [
            '<dl id="live-figures">',
            f'<dt>{esc(w["calls"])}</dt><dd id="live-calls">{live.calls}</dd>',
            f'<dt>{esc(w["right"])}</dt><dd id="live-right">{live.right}</dd>',
            f'<dt>{esc(w["always_buy"])} ({esc(w["right"])})</dt><dd id="live-buy-right">{live.always_buy_right}</dd>',
            f'<dt>{esc(w["pnl"])} ({esc(w["follow"])})</dt><dd id="live-pnl">{esc(yen(live.pnl_jpy))}</dd>',
            f"<dt>{esc(w['pnl'])} ({esc(w['always_buy'])})</dt>"
            f'<dd id="live-buy-pnl">{esc(yen(live.always_buy_jpy))}</dd>',
            "</dl>",
        ]
        chart = equity_chart(*live_series(data.live), locale, period)
        out += [f'<figure id="live-equity">{chart}</figure>', f'<p class="note">{esc(w["live_note"])}</p>']
        out.append(f"<h3>{esc(w['rolling'].format(n=ROLLING))}</h3>")
        if live.calls >= ROLLING:
            out.append(f'<figure id="rolling">{rolling_chart(data.live, locale)}</figure>')
            out.append(f'<p class="note">{esc(w["rolling_note"].format(n=ROLLING))}</p>')
        else:
            out.append(f'<p id="rolling">{esc(w["rolling_short"].format(n=ROLLING, have=live.calls))}</p>')
    else:
        out.append(f'<p id="live-calls-none">{esc(w["live_none"])}</p>')
    out.append("</section>")
    head = [w["pair"], w["calls"], w["right"], w["acc"], w["buy_acc"], w["pnl"], w["buy_pnl"], w["wf_acc"], w["wf_buy"]]
    out += [f"<h2>{esc(w['pairs'])}</h2>", _table(head, _pair_rows(data, locale), "pairs")]
    out.append(f'<h2>{esc(w["backtest"])}</h2><section class="backtest" id="backtest">')
    bt = data.backtest
    if bt is not None:
        title = f"{w['backtest']}: {w['period'].format(first=bt.first, last=bt.last)}"
        out.append(f"<figure>{equity_chart(bt.days, bt.pnl, bt.buy_pnl, locale, title)}</figure>")
        out.append(f'<p class="note">{esc(w["backtest_note"].format(report=data.report))}</p>')
    else:
        out.append(f"<p>{esc(w['no_backtest'].format(report=data.report))}</p>")
    out.append("</section>")
    out += [f"<h2>{esc(w['risk'])}</h2>", _risk(data, locale)]
    out.append(f"<h2>{esc(w['models'])}</h2>")
    rows = [
        [esc(get_pair(c.pair).display), esc(c.version), esc(c.train_end), esc(c.created_at)] for c in data.champions
    ]
    out.append(_table([w["pair"], w["version"], w["trained_to"], w["created"]], rows, "models"))
    out.append(f"<h3>{esc(w['promotions'])}</h3>")
    if data.promotions:
        rows = [
            [
                esc(p.at),
                esc(p.pair),
                esc(p.action),
                esc(f"{p.from_version or '-'} → {p.to_version or '-'}"),
                esc(p.by),
            ]
            for p in data.promotions
        ]
        out.append(_table([w["at"], w["pair"], w["action"], w["change"], w["by"]], rows, "promotions"))
    else:
        out.append(f"<p>{esc(w['none'])}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)
