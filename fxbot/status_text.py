"""The lines of `fxbot status` in Japanese, for the Slack app's `/fxbot status` and the App Home's health.

``fxbot.status.status_report`` builds its lines in English (the CLI's and the logs' language); under
``notify.locale: ja`` the app says each known line in Japanese, rule by rule. What a line quotes (a
path, a version, a cron expression, a command) stays as it is, and so does an error's own detail
after its Japanese label, as alerts keep it. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_RUN_STATUS = {"ok": "正常終了", "skipped": "配信済みのため投稿なし", "failed": "失敗", "running": "実行中"}


def _run(m: re.Match[str]) -> str:
    status = _RUN_STATUS.get(m["status"], m["status"])
    error = f"：{m['err'][2:]}" if m["err"] else ""
    return f"前回の実行: {m['at']}（{m['day']} 時点）、{status}{error}"


def _ledger(m: re.Match[str]) -> str:
    fix = "。バックアップから台帳を復元してください" if m["fix"] else ""
    integrity = "正常" if m["integ"] == "ok" else m["integ"]
    return (
        f"台帳: {m['path']}: {integrity}、実行 {m['runs']}回（失敗 {m['failed']}回）、"
        f"未確認の配信 {m['pending']}件{fix}"
    )


def _model(m: re.Match[str]) -> str:
    age = ""
    if m["age"] == " (up to date)":
        age = "（最新）"
    elif m["days"]:
        age = f"（{m['days']}営業日前）"
    return f"モデル: {m['code']}: {m['version']}、{m['n']}メンバー、{m['end']} までのデータで学習{age}{m['rest'] or ''}"


def _age(m: re.Match[str]) -> str:
    head = f"モデルの古さ: 学習データの終わり {m['ends']}、最も古いもので {m['days']}日前"
    if m["limit"]:
        return f"{head}（上限 {m['limit']}日）"
    return f"{head}。lifecycle.max_model_age_days（{m['over']}日）を超えています: {m['fix']}"


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_RULES: list[_Rule] = [
    (
        re.compile(r"last run: none yet \(no ledger at (?P<path>.+)\)"),
        lambda m: f"前回の実行: まだありません（台帳 {m['path']} はまだありません）",
    ),
    (re.compile(r"last run: none yet"), lambda m: "前回の実行: まだありません"),
    (re.compile(r"last run: (?P<at>\S+) as of (?P<day>\S+), (?P<status>\w+)(?P<err>: .*)?"), _run),
    (
        re.compile(
            r"ledger: (?P<path>.+): (?P<integ>[^,]+), (?P<runs>\d+) runs \((?P<failed>\d+) failed\), "
            r"(?P<pending>\d+) unconfirmed deliveries(?P<fix>; restore the ledger from a backup)?"
        ),
        _ledger,
    ),
    (re.compile(r"ledger: (?P<rest>.+)"), lambda m: f"台帳: {m['rest']}"),
    (
        re.compile(r"next scheduled run: (?P<when>.+?) \((?P<cron>.+)\)"),
        lambda m: f"次回の実行予定: {'なし' if m['when'] == 'never' else m['when']}（{m['cron']}）",
    ),
    (re.compile(r"schedule: (?P<rest>.+)"), lambda m: f"スケジュール: {m['rest']}"),
    (
        re.compile(r"data: (?P<code>[A-Z]{6}): (?P<n>\d+) bars, last (?P<last>\S+), up to date"),
        lambda m: f"データ: {m['code']}: {m['n']}本、最終 {m['last']}、最新",
    ),
    (
        re.compile(
            r"data: (?P<code>[A-Z]{6}): (?P<n>\d+) bars, last (?P<last>\S+), "
            r"(?P<lag>\d+) trading day\(s\) behind (?P<due>\S+) \(stale\)"
        ),
        lambda m: (
            f"データ: {m['code']}: {m['n']}本、最終 {m['last']}、{m['due']} より {m['lag']}営業日遅れ（古いデータ）"
        ),
    ),
    (re.compile(r"data: (?P<rest>.+)"), lambda m: f"データ: {m['rest']}"),
    (
        re.compile(
            r"model: (?P<code>[A-Z]{6}): (?P<version>\S+), (?P<n>\d+) members, trained to (?P<end>[\d-]+)"
            r"(?P<age> \(up to date\)| \((?P<days>\d+) trading days? ago\))?(?P<rest>;.*)?"
        ),
        _model,
    ),
    (
        re.compile(
            r"model age: trained to (?P<ends>.+); the oldest is (?P<days>\d+) days old"
            r"(?: \(limit (?P<limit>\d+)\)|, past lifecycle\.max_model_age_days \((?P<over>\d+)\): (?P<fix>.+))"
        ),
        _age,
    ),
    (re.compile(r"model: (?P<rest>.+)"), lambda m: f"モデル: {m['rest']}"),
    (
        re.compile(
            r"challenger: (?P<version>\S+) trained to (?P<end>\S+), on trial: the daily runs make its shadow calls "
            r"and the gate decides after (?P<n>\d+) scored ones"
        ),
        lambda m: (
            f"挑戦モデル: {m['version']}（{m['end']} まで学習）を試験中: 毎日の実行でシャドーシグナルを記録し、"
            f"評価済み {m['n']}件でゲートが判定します"
        ),
    ),
    (
        re.compile(
            r"rollback flag: (?P<code>\w+): the champion (?P<version>\S+) got (?P<acc>\S+) of its last (?P<n>\d+) "
            r"calls right, always-buy (?P<buy>\S+) \(random band ±(?P<band>\S+)\); `(?P<cmd>[^`]+)` restores the "
            r"previous one"
        ),
        lambda m: (
            f"ロールバック警告: {m['code']}: 現行モデル {m['version']} の直近 {m['n']}件の的中率 {m['acc']}、"
            f"常に買い {m['buy']}（偶然の範囲 ±{m['band']}）。`{m['cmd']}` で前のモデルに戻せます"
        ),
    ),
]

PROBLEM = "PROBLEM "


def status_line(line: str, locale: str) -> str:
    """One status line in ``locale`` (a ``PROBLEM`` mark is kept); an unknown line is left as it is."""
    if locale != "ja":
        return line
    mark, body = (PROBLEM, line.removeprefix(PROBLEM)) if line.startswith(PROBLEM) else ("", line)
    for pattern, say in _RULES:
        match = pattern.fullmatch(body)
        if match is not None:
            return mark + say(match)
    return line


def status_lines(lines: Sequence[str], locale: str) -> list[str]:
    """Every status line in ``locale``."""
    return [status_line(line, locale) for line in lines]
