"""The page's words in English and Japanese, and the small formatters its text uses."""

from __future__ import annotations

import html
import math

WORDS: dict[str, dict[str, str]] = {
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

SOURCES = {
    "en": {"calls": "following the calls, walk-forward", "book": "today's book", "filtered": "at today's volatility"},
    "ja": {
        "calls": "シグナルに従った場合・ウォークフォワード検証",
        "book": "現在のポートフォリオ",
        "filtered": "現在のボラティリティ",
    },
}


def words_for(locale: str) -> dict[str, str]:
    return WORDS.get(locale, WORDS["en"])


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def pct(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1%}"


def plain_yen(value: float) -> str:
    return f"¥{value:,.0f}"
