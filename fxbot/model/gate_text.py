"""The model gate's notice in Japanese, from the figures its decision logged (``fxbot.model.gate``).

The gate writes its notice once, in English, into the promotions log with the decision's figures
(``GateDecision.evidence``). Under ``notify.locale: ja`` the notice is said again from those figures,
so nothing English reaches a Japanese channel but the versions and commands it quotes. Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Any

from fxbot.model.promotions import Entry


def _right(part: dict[str, Any], key: str) -> str:
    n = int(part.get("calls", 0))
    return f"{round(float(part.get(key, 0.0)) * n)}/{n}"


def _verdict_ja(entry: Entry, ev: dict[str, Any]) -> str:
    if entry.action == "promote":
        return f"{entry.to_version} を昇格しました（以前は {entry.from_version}）: 現行モデルより劣る証拠はありません"
    if entry.action == "passed":
        command = f"`fxbot models promote {entry.to_version}`"
        return f"合格しました。lifecycle.auto_promote がオフのため、{command} で昇格できます"
    reason = str(ev.get("reason", ""))
    if reason.startswith("trails the champion"):
        why = f"現行モデルをマージン {float(ev.get('margin', 0.0)):.1%} を超えて下回りました"
    elif reason.startswith("below always-buy"):
        why = f"常に買いを偶然の範囲（±{float(ev.get('band', 0.0)):.1%}）を超えて下回りました"
    elif "cannot be read" in reason:
        why = "保管された保留期間の検証結果が読めません（次の再学習で作り直されます）"
    else:
        why = "昇格の条件を満たしませんでした"
    return f"現行モデル {entry.from_version} を維持します: 挑戦モデルは{why}"


def _figures_ja(ev: dict[str, Any]) -> str:
    parts = []
    shadow = ev.get("shadow")
    if isinstance(shadow, dict):
        champion = f"現行モデル {_right(shadow, 'champion')}、" if "champion" in shadow else ""
        parts.append(
            f"シャドー {_right(shadow, 'challenger')}件的中（{champion}常に買い {_right(shadow, 'always_buy')}）"
        )
    held = ev.get("held_back")
    if isinstance(held, dict):
        parts.append(
            f"保留期間 {held.get('span', '')} の検証（挑戦モデルの設定でその期間を除いて学習）: "
            f"{_right(held, 'recipe')}件的中（常に買い {_right(held, 'always_buy')}）"
        )
    else:
        parts.append("保留期間の検証結果は保管されていません")
    parts.append(
        f"判定: {float(ev.get('challenger', 0.0)):.1%}（現行モデル {float(ev.get('champion', 0.0)):.1%}、"
        f"{ev.get('calls', 0)}件、McNemar p値 {float(ev.get('p_vs_champion', 1.0)):.2f}、"
        f"マージン {float(ev.get('margin', 0.0)):.1%}）、{float(ev.get('challenger_vs_always_buy', 0.0)):.1%}"
        f"（常に買い {float(ev.get('always_buy', 0.0)):.1%}、{ev.get('calls_vs_always_buy', 0)}件、"
        f"p値 {float(ev.get('p_vs_always_buy', 1.0)):.2f}、偶然の範囲 ±{float(ev.get('band', 0.0)):.1%}）"
    )
    return "。".join(parts)


def gate_notice(entry: Entry, text: str, locale: str = "en") -> str:
    """The notice ``text`` the gate logged with ``entry``, in ``locale`` (ja: said again from its figures)."""
    if locale != "ja":
        return text
    found = re.search(r"\(as of (\d{4}-\d{2}-\d{2})\)", text)
    day = f"（{found[1]} 時点）" if found else ""
    head = f"モデルゲート {entry.pair}{day}、挑戦モデル {entry.to_version}: {_verdict_ja(entry, entry.evidence)}"
    return f"{head}。根拠: {_figures_ja(entry.evidence)}"
