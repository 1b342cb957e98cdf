"""The one translation catalogue: every word of every message fxbot writes, in English and Japanese.

``words(locale)`` is one locale's ``Words``: the daily post's words, an outcome's (``outcome``) and
the weekly summary's (``summary``) nested in it, the warnings a post carries by kind
(``warnings``). Words the messages share (BUY/SELL, "x", the advice line) are kept once, at the top.
A locale not kept here reads English. Pure data: the renderers are ``fxbot.notify.messages``
(Slack) and ``fxbot.notify.console``.
"""

from __future__ import annotations

import msgspec


class OutcomeWords(msgspec.Struct, frozen=True):
    """A posted day's outcome (a thread reply, or a webhook's compact line)."""

    title: str
    call: str
    total: str
    compact: str
    basis: str
    right: str
    wrong: str


class SummaryWords(msgspec.Struct, frozen=True):
    """The weekly summary."""

    title: str
    all_pairs: str
    week: str
    no_week: str
    running: str
    band: str
    pnl: str
    drawdown: str
    basis: str
    rollover_all: str
    rollover_some: str
    rollover_none: str
    text: str
    risk: str
    sep: str = "; "


class Words(msgspec.Struct, frozen=True):  # a Struct: a frozen dataclass this wide costs ms of import
    """Every word of one locale: the daily post's at the top, an outcome's and the weekly summary's nested, the
    warnings by kind. Defaults are the English words."""

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
    outcome: OutcomeWords
    summary: SummaryWords
    warnings: dict[str, str]  # by kind (``fxbot.notify.messages.warning_text``)
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


CATALOGUE: dict[str, Words] = {
    "en": Words(
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
        outcome=OutcomeWords(
            title="Outcome of the calls as of {day}",
            call="{pair} {call} {votes}: {result} · move {move} · P/L {pnl} at {lev} · always-buy {buy}",
            total="All: {right}/{n} right · P/L {pnl} · always-buy {buy} ({buy_right}/{n} right)",
            compact="Outcome of the calls as of {day}: {right}/{n} right, P/L {pnl} (always-buy {buy})",
            basis=(
                "P/L on the notional posted (leverage x equity), close to close, before costs. Not investment advice."
            ),
            right=":white_check_mark: right",
            wrong=":x: wrong",
        ),
        summary=SummaryWords(
            title="fxbot weekly summary: week to {end}",
            all_pairs="All pairs",
            week="this week {right}/{n} right (always-buy {buy}/{n}), P/L {pnl}",
            no_week="no scored calls this week",
            running="running {right}/{n} right, {acc} ({band}; always-buy {buy})",
            band="99% coin-flip band {low}-{high}",
            pnl="P/L {pnl} ({pct} of equity)",
            drawdown="max drawdown {dd}",
            basis="P/L at the configured leverage ({lev}) on equity ¥{equity}, after costs per trade ({costs} pips)",
            rollover_all="with rollover",
            rollover_some="with rollover; rollover unknown for {n} call(s) and left out",
            rollover_none="without rollover (no interest-rate files)",
            text="fxbot weekly summary, week to {end}: {right}/{n} right this week (always-buy {buy}), P/L {pnl}",
            risk=(
                "*Loss from history* (last post): 20-day 99.9% {loss} ({pct} of equity), worst 20 days {worst} "
                "({start} → {end}); the 1-day 99% figure was exceeded on {x} of {n} scored days (expected {exp}, "
                "Kupiec p={p})"
            ),
        ),
        warnings={
            "stale": (
                "the data are stale{which}: the last bar is {oldest}, {lag} trading day(s) before {as_of}; these "
                "calls are for {for_day}, not for the next trading day.{hint}"
            ),
            "stale_which": " for {pairs}",
            "stale_hint": " Run `fxbot fetch` (needs a data provider) or `fxbot import-csv` to bring them up to date.",
            "in_sample": (
                "{pairs}: the models were trained on these days' outcomes, so the calls are in-sample "
                "replays, not forecasts; `fxbot backtest` gives honest figures"
            ),
            "model_age_trial": (
                "the models are {days} days old (trained on bars up to {trained_to}; lifecycle.max_model_age_days "
                "is {limit}): newer models are on trial ({versions}); the gate decides after {shadow_days} scored "
                "shadow calls (`fxbot status`)"
            ),
            "fetch": "fetching new bars failed, the calls use the stored bars: {error}",
            "model_age": (
                "the models are {days} days old (trained on bars up to {trained_to}; lifecycle.max_model_age_days "
                "is {limit}): run `fxbot retrain` (needs fxbot[train]) or import newer models with "
                "`fxbot models import`"
            ),
            "rollback": (
                "ROLLBACK FLAG {pair}: the champion {version} got {acc} of its last {n} calls right, always-buy {buy} "
                "(random band ±{band}); `fxbot models rollback {pair}` restores the previous champion (never done "
                "automatically)"
            ),
            "replay": (
                "REPLAY: these are the calls fxbot would have made after {as_of}'s close, run on "
                "{today}; they are not for trading now"
            ),
        },
    ),
    "ja": Words(
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
        outcome=OutcomeWords(
            title="{day} 時点のシグナルの結果",
            call="{pair} {call} {votes}: {result} · 値動き {move} · 損益 {pnl}（{lev}）· 常に買い {buy}",
            total="合計: {n}件中{right}件的中 · 損益 {pnl} · 常に買い {buy}（{n}件中{buy_right}件的中）",
            compact="{day} 時点のシグナルの結果: {n}件中{right}件的中、損益 {pnl}（常に買い {buy}）",
            basis="損益は投稿した想定元本（レバレッジ×自己資本）での終値から終値までの値、取引コスト控除前。投資助言ではありません。",
            right=":white_check_mark: 的中",
            wrong=":x: 外れ",
        ),
        summary=SummaryWords(
            title="fxbot 週次サマリー: {end} までの週",
            all_pairs="全通貨ペア",
            week="今週 {n}件中{right}件的中（常に買い {buy}件）、損益 {pnl}",
            no_week="今週の評価済みシグナルはありません",
            running="累計 {n}件中{right}件的中、{acc}（{band}、常に買い {buy}）",
            band="偶然の99%範囲 {low}〜{high}",
            pnl="損益 {pnl}（自己資本の{pct}）",
            drawdown="最大ドローダウン {dd}",
            basis="損益は設定したレバレッジ（{lev}）、自己資本 ¥{equity}、取引コスト（{costs} pips）控除後",
            rollover_all="スワップ込み",
            rollover_some="スワップ込み（{n}件は金利データがなく除外）",
            rollover_none="スワップは含みません（金利ファイルなし）",
            text="fxbot 週次サマリー {end} までの週: 今週 {n}件中{right}件的中（常に買い {buy}件）、損益 {pnl}",
            risk=(
                "*過去データによる損失*（直近の投稿）: 20日間99.9% {loss}（自己資本の{pct}）、過去最悪の20日間 {worst}"
                "（{start} → {end}）。1日99%損失を超えた日: 評価済み{n}日中{x}日（期待値 {exp}、超過率の検定 p値 {p}）"
            ),
            sep="、",
        ),
        warnings={
            "stale": (
                "データが古くなっています{which}: 最新のバーは {oldest}（{as_of} の{lag}営業日前）です。"
                "これらのシグナルは {for_day} 向けで、翌営業日向けではありません。{hint}"
            ),
            "stale_which": "（{pairs}）",
            "stale_hint": "`fxbot fetch` または `fxbot import-csv` でデータを更新してください。",
            "in_sample": (
                "{pairs}: モデルはこれらの日の値動きで学習済みのため、シグナルは予測ではなく学習期間内の再現です。"
                "正直な数値は `fxbot backtest` で確認できます。"
            ),
            "model_age_trial": (
                "モデルが古くなっています: 学習データは {trained_to} まで（{days}日前、lifecycle.max_model_age_days は "
                "{limit}日）。新しいモデル（{versions}）を試験中です。シャドーシグナルが {shadow_days} 件評価されると"
                "ゲートが判定します（`fxbot status`）。"
            ),
            "fetch": "新しいバーの取得に失敗したため、保存済みのバーでシグナルを出しています（詳細はログを参照）。",
            "model_age": (
                "モデルが古くなっています: 学習データは {trained_to} まで（{days}日前、lifecycle.max_model_age_days は "
                "{limit}日）。`fxbot retrain`（fxbot[train] が必要）で再学習するか、"
                "`fxbot models import` で新しいモデルを取り込んでください。"
            ),
            "rollback": (
                "ロールバック候補 {pair}: 現行モデル {version} の直近{n}件の正解率は {acc}、常に買った場合は {buy}"
                "（偶然の範囲 ±{band}）。`fxbot models rollback {pair}` で前のモデルに戻せます（自動では戻しません）。"
            ),
            "replay": (
                "再現: {as_of} の終値後に出したはずのシグナルを {today} に実行したものです。今の取引用ではありません。"
            ),
        },
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


def words(locale: str) -> Words:
    """The words of ``locale`` (English where it is not kept)."""
    return CATALOGUE.get(locale, CATALOGUE["en"])
