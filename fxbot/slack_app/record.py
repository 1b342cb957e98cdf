"""`/fxbot record`, `/fxbot version` and the App Home's live P/L line, in English or Japanese. Pure: no I/O.

The figures arrive already read: the live totals (``fxbot.outcome.totals`` over
``Ledger.scored_positions``), the champions' walk-forward evidence, the models' versions, and where
the track-record page is (``site.url`` or ``site.dir``).
"""

from __future__ import annotations

from collections.abc import Sequence

from fxbot.outcome import Totals, yen
from fxbot.signals import Evidence
from fxbot.slack_app.views import Answer, context, header, section

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "record": "fxbot track record",
        "live": (
            "*Live*: {calls} scored calls ({first} to {last}): {right} right ({share}); always-buy on the same calls "
            "{buy} right ({buy_share})"
        ),
        "pnl": (
            "*P/L following the calls* {pnl}; always-buy on the same calls {buy} (on the notional posted, before costs)"
        ),
        "none": "*Live*: no call scored yet (a call is scored once the next trading day's bar is stored).",
        "backtest": (
            "*Walk-forward (a backtest, not live)*: {acc} of {calls} calls right, always-buy {buy} (McNemar p={p})"
        ),
        "no_edge": "No edge shown over always-buy: treat the calls as no better than buying every day.",
        "site": "The full record: {where}",
        "no_site": "No track-record page is configured (`site.dir` and `site.url`; `fxbot site DIR` writes one).",
        "note": "Skill counts only against always-buy on the same calls. Not investment advice.",
        "version": "fxbot version",
        "version_line": "fxbot {version} · Python {python}",
        "model": "{pair}: {version}, trained to {end}",
        "no_models": "No champion models found.",
    },
    "ja": {
        "record": "fxbot の成績",
        "live": (
            "*実運用*: 評価済み {calls}件（{first} 〜 {last}）: {right}件的中（{share}）、同じシグナルで常に買った場合 "
            "{buy}件的中（{buy_share}）"
        ),
        "pnl": (
            "*シグナルに従った損益* {pnl}、同じシグナルで常に買った場合 {buy}（投稿した想定元本で、取引コスト控除前）"
        ),
        "none": "*実運用*: 評価済みのシグナルはまだありません（翌営業日の足が保存されると評価されます）。",
        "backtest": (
            "*ウォークフォワード検証（バックテストであり実運用ではありません）*: {calls}件中 {acc} 的中、"
            "常に買い {buy}（McNemar p値 {p}）"
        ),
        "no_edge": "常に買う場合に対する優位性は示されていません。毎日買う場合より優れているとは言えません。",
        "site": "詳しい成績: {where}",
        "no_site": "成績ページは設定されていません（`site.dir` と `site.url`。`fxbot site DIR` で作成できます）。",
        "note": "実力は同じシグナルでの「常に買い」との比較でのみ判断します。投資助言ではありません。",
        "version": "fxbot のバージョン",
        "version_line": "fxbot {version} · Python {python}",
        "model": "{pair}: {version}、{end} までのデータで学習",
        "no_models": "現行モデルが見つかりません。",
    },
}


def _w(locale: str) -> dict[str, str]:
    return _WORDS.get(locale, _WORDS["en"])


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def live_lines(live: Totals, locale: str = "en") -> list[str]:
    """The live record against always-buy, and its P/L (the App Home shows these too)."""
    w = _w(locale)
    if not live.calls:
        return [w["none"]]
    return [
        w["live"].format(
            calls=live.calls,
            first=live.first.isoformat() if live.first else "",
            last=live.last.isoformat() if live.last else "",
            right=live.right,
            share=_share(live.right, live.calls),
            buy=live.always_buy_right,
            buy_share=_share(live.always_buy_right, live.calls),
        ),
        w["pnl"].format(pnl=yen(live.pnl_jpy), buy=yen(live.always_buy_jpy)),
    ]


def record_answer(live: Totals, evidence: Evidence | None, where: str, locale: str = "en") -> Answer:
    """`/fxbot record`: the live record and P/L against always-buy, the walk-forward as a backtest, the page."""
    w = _w(locale)
    lines = live_lines(live, locale)
    if evidence is not None:
        lines.append(
            w["backtest"].format(
                acc=f"{evidence.pooled_accuracy:.1%}",
                calls=f"{evidence.pooled_calls:,}",
                buy=f"{evidence.pooled_always_buy_accuracy:.1%}",
                p=f"{evidence.pooled_p_value:.2f}",
            )
        )
        if not (evidence.edge and evidence.pooled_edge):
            lines.append(w["no_edge"])
    lines.append(w["site"].format(where=where) if where else w["no_site"])
    blocks = [header(w["record"]), *(section(line) for line in lines), context(w["note"])]
    return Answer(f"{w['record']}: {lines[0]}".replace("*", ""), blocks)


def version_answer(version: str, python: str, models: Sequence[tuple[str, str, str]], locale: str = "en") -> Answer:
    """`/fxbot version`: fxbot's and Python's versions, and each pair's champion (version, training end)."""
    w = _w(locale)
    head = w["version_line"].format(version=version, python=python)
    body = "\n".join(w["model"].format(pair=p, version=v, end=e) for p, v, e in models) or w["no_models"]
    return Answer(head, [header(w["version"]), section(head), section(body)])
