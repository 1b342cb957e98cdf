"""Shadow calls, the promotion gate and the rollback flag (no TensorFlow: challengers are edited copies).

The gate's statistics are checked against scipy (``fxbot.backtest``), which the daily path must not import.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import msgspec
import numpy as np
import pytest

from fxbot import wiring
from fxbot.backtest.skill.paired import mcnemar_test
from fxbot.backtest.stats import random_band as scipy_band
from fxbot.calendar import next_trading_day
from fxbot.config import Secrets, Settings, settings_from_mapping
from fxbot.errors import DeliveryError, ModelError
from fxbot.ledger import Ledger
from fxbot.model.artifacts import read_manifest, write_manifest
from fxbot.model.catalog import show_lines
from fxbot.model.gate import (
    Tally,
    decide,
    decision_alpha,
    gate_figures,
    judge,
    mcnemar_greater_p,
    mcnemar_p,
    random_band,
    rollback_flag,
)
from fxbot.model.holdback import (
    HeldBack,
    HeldBackDay,
    holdback_binding,
    holdback_cutoff,
    read_holdback,
    write_holdback,
)
from fxbot.model.registry import LEGACY, Entry, Registry
from fxbot.notify.console import ConsoleNotifier
from fxbot.pipeline import RunOptions, record_sha256, run_once
from fxbot.status import status_report

from .conftest import BUNDLED_DATA, SHIPPED_MODELS

PAIR = "USDJPY"


def test_gate_statistics_match_scipy() -> None:
    for n in (1, 7, 20, 40, 120, 500):
        assert random_band(n) == scipy_band(n)
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(1, 60))
        a, b = rng.random(n) < 0.5, rng.random(n) < 0.55
        expected = mcnemar_test(a, b, "two-sided")
        assert mcnemar_p(expected.only_a, expected.only_b) == pytest.approx(expected.p_value, abs=1e-12)


ALPHA = 0.10 / 12  # the shipped per-decision level: lifecycle.alpha_per_year / decisions_per_year


def test_gate_statistics_one_sided_match_scipy() -> None:
    rng = np.random.default_rng(11)
    for _ in range(100):
        n = int(rng.integers(1, 80))
        a, b = rng.random(n) < 0.6, rng.random(n) < 0.5
        expected = mcnemar_test(a, b, "greater")
        assert mcnemar_greater_p(expected.only_a, expected.only_b) == pytest.approx(expected.p_value, abs=1e-12)
    assert decision_alpha(0.10, 12) == pytest.approx(0.008333, abs=1e-6)


def _paired(
    only_challenger: int, only_champion: int, both: int, up: list[bool] | None = None
) -> tuple[list[bool], ...]:
    """Hits of a challenger and a champion: right alone on ``only_challenger`` days, wrong alone on
    ``only_champion``, both right on ``both``; always-buy right on ``up`` (default: every other day)."""
    challenger = [True] * only_challenger + [False] * only_champion + [True] * both
    champion = [False] * only_challenger + [True] * only_champion + [True] * both
    n = len(challenger)
    return challenger, champion, up if up is not None else [i % 2 == 0 for i in range(n)]


def test_gate_promotes_only_on_evidence_that_it_is_better() -> None:
    up = [True] * 12 + [False] * 8  # always-buy: 60 %
    same = [True] * 11 + [False] * 9
    decision = judge(same, same, up, ALPHA)
    assert not decision.promote and "no evidence that it beats the champion" in decision.reason
    # By hand: 10 days only the challenger right, 1 only the champion. One-sided p = P(X >= 10), X ~ Bin(11, 1/2)
    # = (C(11,10) + C(11,11)) / 2^11 = 12 / 2048 = 0.00586 <= 0.00833: promoted.
    ch, cp, u = _paired(10, 1, 9)
    decision = judge(ch, cp, u, ALPHA)
    assert decision.vs_champion.p_better == pytest.approx(12 / 2048)
    assert decision.promote and "one-sided McNemar p 0.0059 <= 0.0083" in decision.reason
    assert decision.evidence()["only_challenger"] == 10 and decision.evidence()["only_champion"] == 1
    # 9 against 1: P(X >= 9), X ~ Bin(10, 1/2) = 11 / 1024 = 0.0107 > 0.00833: retired, however far ahead it looks.
    ch, cp, u = _paired(9, 1, 10)
    decision = judge(ch, cp, u, ALPHA)
    assert decision.vs_champion.p_better == pytest.approx(11 / 1024)
    assert not decision.promote and "the gate needs 0.0083" in decision.reason
    assert sum(ch) / len(ch) - sum(cp) / len(cp) == pytest.approx(0.4)  # 40 points ahead on 20 days: not enough
    # Better than the champion, far below always-buy: retired.
    ch, cp, _ = _paired(12, 0, 0)
    up_all = [True] * 12
    hopeless = judge(ch, cp, [not c for c in ch], ALPHA)  # right only on the down days
    assert hopeless.promote  # always-buy 0/12: far below it is impossible here
    worse = judge([False] * 12, [False] * 12, up_all, ALPHA)
    assert not worse.promote
    ch, cp = [True] * 12 + [False] * 28, [False] * 40
    below = judge(ch, cp, [True] * 40, ALPHA)  # beats a hopeless champion 12-0, 30 % against always-buy's 100 %
    assert not below.promote and "below always-buy" in below.reason
    assert rollback_flag([False] * 20, up) is not None and rollback_flag(same, up) is None


def test_decide_on_a_tally_is_the_rule_judge_applies() -> None:
    ch, cp, u = _paired(10, 1, 9)
    verdict, _, p = decide(Tally(20, 10, 1, 20, sum(ch), sum(u)), ALPHA)
    assert verdict == "promote" and p == judge(ch, cp, u, ALPHA).vs_champion.p_better
    assert decide(Tally(0, 0, 0, 20, 20, 10), ALPHA)[0] == "retire"  # never compared with the champion


def _held_back(probe: list[bool], champion: list[bool | None], up: list[bool], champion_version: str = "C") -> HeldBack:
    days = [
        HeldBackDay((dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat(), p, c, u)
        for i, (p, c, u) in enumerate(zip(probe, champion, up, strict=True))
    ]
    return HeldBack(PAIR, "2023-12-29", "2024-03-28", 3, champion_version, "2024-01-15", days)


def test_holdback_cutoff_is_a_month_end_months_earlier() -> None:
    assert holdback_cutoff(dt.date(2024, 3, 31), 3) == dt.date(2023, 12, 31)  # January to March held back
    assert holdback_cutoff(dt.date(2024, 3, 29), 1) == dt.date(2024, 2, 29)  # the last bar's month only
    assert holdback_cutoff(dt.date(2024, 1, 31), 13) == dt.date(2022, 12, 31)
    assert holdback_cutoff(dt.date(2024, 1, 31), 0) == dt.date(2024, 1, 31)  # nothing held back


def test_gate_pools_the_held_back_walk_forward() -> None:
    up = [True] * 3 + [False] * 2  # shadow: always-buy 3/5
    shadow_hits = [True] * 3 + [False] * 2  # 3/5, the champion the same: shadow alone passes
    assert not judge(shadow_hits, shadow_hits, up, ALPHA).promote  # the same calls: no evidence
    # Held back: 40 days, 30 up then 10 down. The recipe BUYs the first 8 days and SELLs the rest: right
    # on 8 + 10 = 18, always-buy on 30. The champion, out of sample on the last 20 days only, is right on all 20.
    held_up = [True] * 30 + [False] * 10
    probe = [True] * 8 + [False] * 32
    champion: list[bool | None] = [None] * 20 + [True] * 10 + [False] * 10
    held = _held_back(probe, champion, held_up)
    decision = judge(shadow_hits, shadow_hits, up, ALPHA, held_back=held)
    evidence = decision.evidence()
    # vs the champion: the 5 shadow days and the 20 held-back days it was out of sample on.
    assert evidence["calls"] == 25 and evidence["calls_vs_always_buy"] == 45
    probe_hits = [p == u for p, u in zip(probe, held_up, strict=True)]
    assert evidence["held_back"]["calls"] == 40 and evidence["held_back"]["recipe"] == sum(probe_hits) / 40
    assert evidence["challenger_vs_always_buy"] == round((3 + sum(probe_hits)) / 45, 4)
    assert evidence["always_buy"] == round(33 / 45, 4)
    assert not decision.promote  # the held-back months show what five shadow days could not
    assert "no evidence that it beats the champion" in decision.reason
    assert decision.evidence()["only_challenger"] == 0 and decision.evidence()["only_champion"] == 10
    assert evidence["challenger"] == round((3 + 10) / 25, 4) and evidence["champion"] == round((3 + 20) / 25, 4)
    assert evidence["held_back"]["champion"] == 1.0 and evidence["held_back"]["champion_calls"] == 20
    figures = gate_figures(decision)
    assert "held back 2024-01-02..2024-03-28 (the recipe: the challenger's settings trained without" in figures
    assert "recipe 18/40 (always-buy 30/40; on the 20 days" in figures
    assert "recipe 10/20, champion 20/20" in figures and "over 25 calls" in figures
    assert "0 days only the challenger right, 10 only the champion: one-sided McNemar p 1.000, needs 0.0083" in figures

    # Against another champion than the one the retrain compared with, only always-buy is used.
    other = judge(shadow_hits, shadow_hits, up, ALPHA, held_back=held.without_champion())
    assert other.evidence()["calls"] == 5 and other.evidence()["calls_vs_always_buy"] == 45
    assert not other.promote and "no evidence" in other.reason
    assert other.evidence()["band"] < 33 / 45 - 21 / 45
    assert "the champion has changed since the retrain: not compared there" in gate_figures(other)


def test_holdback_file_round_trip_and_refusal(tmp_path: Path) -> None:
    held = _held_back([True, False], [None, True], [True, True])
    write_holdback(tmp_path, held)
    assert read_holdback(tmp_path) == held
    assert read_holdback(tmp_path / "none") is None
    (tmp_path / "holdback.json").write_text('{"pair": "USDJPY"', encoding="utf-8")
    with pytest.raises(ModelError, match=r"holdback\.json is truncated or not JSON"):
        read_holdback(tmp_path)


def _champion(tmp_path: Path) -> tuple[Registry, str]:
    """A registry under ``tmp_path/models`` whose USDJPY champion is the shipped ensemble, and its version."""
    shutil.copytree(SHIPPED_MODELS / PAIR, tmp_path / "models" / PAIR)
    registry = Registry(tmp_path / "models")
    champion = registry.migrate(PAIR)
    assert champion is not None
    return registry, champion


def _challenger(
    source: Path,
    dest: Path,
    shift: float,
    *,
    created_at: str = "2030-01-01T00:00:00+00:00",
    train_end: str = "2024-05-31",
) -> str:
    """A challenger whose calls differ from the champion's (``shift`` > 0): the same members with a shifted
    input scaler. Trained "to" ``train_end``, the end of May 2024: its shadow calls of June are out of sample
    (only those are judged)."""
    shutil.copytree(source, dest)
    manifest = read_manifest(source, pair=PAIR)
    mean = list(manifest.scaler_mean)
    mean[0] += shift * manifest.scaler_std[0]
    changed = msgspec.structs.replace(manifest, scaler_mean=mean, created_at=created_at, train_end=train_end)
    write_manifest(dest, changed)
    return changed.version


def _settings(tmp_path: Path, **lifecycle: object) -> Settings:
    return settings_from_mapping(
        {
            "pairs": [PAIR],
            "account": {"leverage": {PAIR: 1.0}},
            "data": {"dir": str(BUNDLED_DATA)},
            "model": {"dir": str(tmp_path / "models")},
            "ledger": {"path": str(tmp_path / "ledger.sqlite")},
            "lifecycle": {"shadow_days": 5, **lifecycle},
        }
    )


def _replay(settings: Settings, first: dt.date, days: int) -> list[dt.date]:
    out, day = [], first
    for _ in range(days):
        deps = wiring.daily_dependencies(settings, Secrets())
        deps.now = lambda day=day: dt.datetime.combine(next_trading_day(day), dt.time(23), dt.UTC)
        run_once(settings, deps, RunOptions(as_of=day, fetch=False, replay=True))
        deps.ledger.close()
        out.append(day)
        day = next_trading_day(day)
    return out


@pytest.mark.parametrize("auto_promote", [True, False])
def test_shadow_calls_then_one_decision(tmp_path: Path, capsys: pytest.CaptureFixture[str], auto_promote: bool) -> None:
    registry, champion = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    registry.add(tmp_path / "new")
    settings = _settings(tmp_path, auto_promote=auto_promote)

    days = _replay(settings, dt.date(2024, 6, 3), 9)
    captured = capsys.readouterr()

    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        shadow = db.execute("SELECT bar_date, model_version, right FROM shadow_calls ORDER BY bar_date").fetchall()
        posted = {r[0] for r in db.execute("SELECT DISTINCT model_version FROM signals")}
    assert posted == {champion}  # shadow calls are never posted
    assert {v for _, v, _ in shadow} == {challenger}
    # One shadow call a day until the gate decided: on the day its 5th call was scored (the 6th day).
    assert [d for d, _, _ in shadow] == [d.isoformat() for d in days[:6]]

    decisions = [e for e in registry.history(PAIR) if e.by == "schedule"]
    assert len(decisions) == 1
    (decision,) = decisions
    assert decision.to_version == challenger and decision.evidence["calls"] == 5
    record = Ledger(tmp_path / "ledger.sqlite").shadow_record(PAIR, challenger, days[5], kind="replay")
    assert Ledger(tmp_path / "ledger.sqlite").shadow_record(PAIR, challenger, days[5]) == []  # none of them live
    hits = [r[0] for r in record]
    assert decision.evidence["challenger"] == round(sum(hits) / 5, 4)
    assert decision.evidence["always_buy"] == round(sum(r[2] for r in record) / 5, 4)
    assert decision.evidence["kind"] == "replay" and "a replay: replayed calls only" in decision.evidence["notice"]
    passed = (
        decision.evidence["p_better"] <= ALPHA
        and decision.evidence["challenger"] >= decision.evidence["always_buy"] - decision.evidence["band"]
    )
    expected = ("promote" if auto_promote else "passed") if passed else "retire"
    assert decision.action == expected
    assert registry.champion(PAIR) == (challenger if expected == "promote" else champion)
    (message,) = [ln for ln in captured.out.splitlines() if "model gate USDJPY" in ln]  # one message
    assert message.startswith("NOTICE: ") and "model gate" not in captured.err  # news, not an alert
    assert "shadow " in message and "over 5 calls" in message and "one-sided McNemar p" in message
    assert "no held-back walk-forward stored" in message  # an edited copy, not a retrain: no held-back file
    assert registry.challenger(PAIR) is None  # decided: no more shadow calls


def test_the_gate_reads_the_challengers_held_back_walk_forward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A retrained challenger carries holdback.json: the daily run's gate judges on it with the shadow calls."""
    registry, champion = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    # Its recipe was wrong on all 60 held-back days; the champion (out of sample on 40 of them) right on all.
    up = [True, False] * 30
    held = _held_back([not u for u in up], [None] * 20 + up[20:], up, champion)
    write_holdback(tmp_path / "new", held)
    registry.add(tmp_path / "new", binding=holdback_binding(tmp_path / "new"))  # as the retrain adds it
    assert read_holdback(registry.version_folder(challenger)) == held  # the file travels with the version
    shown = show_lines(registry, challenger)
    assert (
        "  held back 2024-01-02..2024-03-28 (the recipe: these settings trained without those days): the recipe "
        f"0/60 right, always-buy 30/60 (on the 40 days the champion {champion} was out of sample too: the recipe "
        "0/40, the champion 40/40)"
    ) in shown

    _replay(_settings(tmp_path), dt.date(2024, 6, 3), 6)
    (decision,) = [e for e in registry.history(PAIR) if e.by == "schedule"]
    assert decision.action == "retire" and registry.champion(PAIR) == champion
    assert decision.evidence["shadow"]["calls"] == 5 and decision.evidence["held_back"]["calls"] == 60
    assert decision.evidence["calls"] == 45 and decision.evidence["calls_vs_always_buy"] == 65
    (message,) = [ln for ln in capsys.readouterr().out.splitlines() if "model gate USDJPY" in ln]
    assert (
        f"retired {challenger}, the champion {champion} stays" in message
        and "held back 2024-01-02..2024-03-28 (the recipe" in message
        and "recipe 0/60" in message
    )


@pytest.mark.parametrize("how", ["bound", "edited", "forged"])
def test_a_forged_or_edited_holdback_json_cannot_promote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """holdback.json counts only with the sha256 the retrain recorded: the same winning file promotes when it
    is the one recorded (bound), and is ignored, with one line in the notice, when it was edited after the
    retrain (edited) or came with a folder that no retrain added (forged)."""
    registry, champion = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 0.0)  # its shadow calls = champion's
    up = [True, False] * 30
    # The winning file: the recipe right on all 60 held-back days, the champion wrong on the 40 it had not seen.
    winning = _held_back(up, [None] * 20 + [not u for u in up[20:]], up, champion)
    losing = _held_back([not u for u in up], [None] * 20 + up[20:], up, champion)
    write_holdback(tmp_path / "new", losing if how == "edited" else winning)
    binding = holdback_binding(tmp_path / "new") if how != "forged" else None
    registry.add(tmp_path / "new", binding=binding)
    if how == "edited":  # after the retrain recorded the losing file's hash, someone writes the winning one
        write_holdback(registry.version_folder(challenger), winning)

    _replay(_settings(tmp_path), dt.date(2024, 6, 3), 6)
    (decision,) = [e for e in registry.history(PAIR) if e.by == "schedule"]
    (message,) = [ln for ln in capsys.readouterr().out.splitlines() if "model gate USDJPY" in ln]
    if how == "bound":
        assert decision.action == "promote" and registry.champion(PAIR) == challenger
        assert (
            decision.evidence["only_challenger"] == 40
            and decision.evidence["holdback_sha256"] == binding["holdback_sha256"]
        )
        return
    assert decision.action == "retire" and registry.champion(PAIR) == champion
    assert "held_back" not in decision.evidence and decision.evidence["calls"] == 5  # judged on shadow calls alone
    why = "does not match the sha256 recorded at retrain" if how == "edited" else "was not recorded when the version"
    assert why in message and why in decision.evidence["held_back_missing"]


def test_the_decision_binds_the_shadow_record_it_read(tmp_path: Path) -> None:
    registry, _ = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    registry.add(tmp_path / "new")
    days = _replay(_settings(tmp_path), dt.date(2024, 6, 3), 6)
    (decision,) = [e for e in registry.history(PAIR) if e.by == "schedule"]
    record = Ledger(tmp_path / "ledger.sqlite").shadow_record(PAIR, challenger, days[-1], kind="replay")
    assert decision.evidence["shadow_sha256"] == record_sha256(challenger, days[-1], record)
    flipped = [(not a, b, c) for a, b, c in record]
    assert record_sha256(challenger, days[-1], flipped) != decision.evidence["shadow_sha256"]


def test_an_undelivered_gate_notice_is_sent_by_the_next_run_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice is in the decision's log line; the ledger records it delivered: at least once, not lost."""
    registry, _ = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    registry.add(tmp_path / "new")
    settings = _settings(tmp_path)
    refusals = [DeliveryError("Slack answered 503")]  # the decision day's notice is refused, once
    send = ConsoleNotifier.send_notice

    def flaky(self: ConsoleNotifier, message: str) -> None:
        if refusals:
            raise refusals.pop()
        send(self, message)

    monkeypatch.setattr(ConsoleNotifier, "send_notice", flaky)
    days = _replay(settings, dt.date(2024, 6, 3), 6)  # decided on the 6th day
    (decision,) = [e for e in registry.history(PAIR) if e.by == "schedule"]
    assert decision.to_version == challenger and "model gate" not in capsys.readouterr().out
    _replay(settings, next_trading_day(days[-1]), 2)  # the next run sends it; the one after does not
    sent = [ln for ln in capsys.readouterr().out.splitlines() if "model gate USDJPY" in ln]
    assert sent == [f"NOTICE: {decision.evidence['notice']}"]


def test_a_run_killed_after_its_decision_leaves_the_notice_to_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, champion = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    registry.add(tmp_path / "new")
    # What a run killed right after ``decide`` leaves: the log line (with its notice), nothing sent.
    notice = f"model gate {PAIR} (as of 2024-06-10), challenger {challenger}: kept the champion {champion}"
    entry = Entry("2024-06-11T23:00:00+00:00", PAIR, "keep", champion, challenger, "schedule", {"notice": notice})
    assert registry.decide(entry, promote=False)
    _replay(_settings(tmp_path), dt.date(2024, 6, 11), 2)
    sent = [ln for ln in capsys.readouterr().out.splitlines() if "model gate" in ln]
    assert sent == [f"NOTICE: {notice}"]  # once, by the next run; the day after finds it delivered


def test_a_broken_held_back_file_keeps_its_challenger_out_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Damaged evidence is a decision, made once (keep), not an alert every day; the other challenger is judged."""
    registry, champion = _champion(tmp_path)
    broken = _challenger(registry.champion_folder(PAIR), tmp_path / "a", 3.0)
    (tmp_path / "a" / "holdback.json").write_text('{"pair": "USDJPY", "days": [', encoding="utf-8")  # truncated
    registry.add(tmp_path / "a", binding=holdback_binding(tmp_path / "a"))  # a retrain that wrote it damaged
    fine = _challenger(registry.champion_folder(PAIR), tmp_path / "b", 0.0, created_at="2030-02-01T00:00:00+00:00")
    registry.add(tmp_path / "b")
    assert "held back: " in "\n".join(show_lines(registry, broken))  # `models show` still works, and says why

    _replay(_settings(tmp_path), dt.date(2024, 6, 3), 7)
    decisions = [e for e in registry.history(PAIR) if e.by == "schedule"]
    assert [e.to_version for e in decisions] == [broken, fine]  # both judged, each once
    assert decisions[0].action == "retire"
    assert "cannot be read" in decisions[0].evidence["reason"] and registry.champion(PAIR) != broken
    captured = capsys.readouterr()
    (notice,) = [ln for ln in captured.out.splitlines() if f"challenger {broken}" in ln]
    assert f"the champion {champion} stays" in notice and "the held-back walk-forward cannot be read" in notice
    assert "ALERT" not in captured.err


def test_only_out_of_sample_shadow_calls_are_judged(tmp_path: Path) -> None:
    """Shadow calls of days the challenger trained on (a replayed or stale day) are recorded, not judged."""
    registry, _ = _champion(tmp_path)
    _challenger(registry.champion_folder(PAIR), tmp_path / "new", 0.0, train_end="2024-06-05")
    registry.add(tmp_path / "new")
    days = _replay(_settings(tmp_path), dt.date(2024, 6, 3), 9)
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        shadow = [r[0] for r in db.execute("SELECT bar_date FROM shadow_calls ORDER BY bar_date")]
    # 06-03 and 06-04 are in sample: shadowed but not counted, so the 5th counted call (06-11) is scored on
    # 06-12, the 8th day, when the gate decides.
    assert shadow == [d.isoformat() for d in days[:8]]
    (decision,) = [e for e in registry.history(PAIR) if e.by == "schedule"]
    assert decision.evidence["shadow"]["calls"] == 5


def test_a_newer_challenger_does_not_abandon_an_older_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two challengers (a retrain arrived before the first had its shadow calls): both are shadowed, both judged."""
    registry, _ = _champion(tmp_path)
    first = _challenger(registry.champion_folder(PAIR), tmp_path / "a", 3.0)
    registry.add(tmp_path / "a")
    settings = _settings(tmp_path, auto_promote=False)
    _replay(settings, dt.date(2024, 6, 3), 2)
    second_source = tmp_path / "b"
    shutil.copytree(registry.champion_folder(PAIR), second_source)
    manifest = read_manifest(second_source, pair=PAIR)
    later = msgspec.structs.replace(manifest, scaler_mean=[m * 0.5 for m in manifest.scaler_mean],
                                    created_at="2030-02-01T00:00:00+00:00", train_end="2024-05-31")  # fmt: skip
    write_manifest(second_source, later)
    registry.add(second_source)
    assert [v.version for v in registry.challengers(PAIR)] == [first, later.version]

    _replay(settings, dt.date(2024, 6, 5), 8)
    decided = [e.to_version for e in registry.history(PAIR) if e.by == "schedule"]
    assert decided == [first, later.version]  # each judged once, the older first; neither dropped
    assert registry.challengers(PAIR) == []
    assert len([ln for ln in capsys.readouterr().out.splitlines() if "model gate USDJPY" in ln]) == 2


def test_a_gate_decision_is_made_once_even_by_two_runs(tmp_path: Path) -> None:
    registry, champion = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    registry.add(tmp_path / "new")
    keep = Entry("2024-06-10T23:00:00+00:00", PAIR, "keep", champion, challenger, "schedule", {"calls": 5})
    promote = Entry("2024-06-10T23:00:01+00:00", PAIR, "promote", champion, challenger, "schedule", {"calls": 5})
    assert registry.decide(keep, promote=False) is True
    assert registry.decide(promote, promote=True) is False  # the second run finds it decided: nothing changes
    assert registry.champion(PAIR) == champion
    assert [(e.action, e.to_version) for e in registry.history(PAIR) if e.by == "schedule"] == [("keep", challenger)]


def test_a_copy_of_the_champion_is_not_a_challenger(tmp_path: Path) -> None:
    """A migration killed after copying the flat folder into its version folder, before the pointer."""
    flat = tmp_path / "models" / PAIR
    shutil.copytree(SHIPPED_MODELS / PAIR, flat)
    version = read_manifest(flat, pair=PAIR).version
    shutil.copytree(SHIPPED_MODELS / PAIR, flat / version)
    registry = Registry(tmp_path / "models")
    assert registry.champion(PAIR) == LEGACY
    assert registry.challengers(PAIR) == [] and registry.challenger(PAIR) is None


def test_rollback_flag_in_post_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(SHIPPED_MODELS / PAIR, tmp_path / "models" / PAIR)
    settings = _settings(tmp_path, rollback_calls=5)
    days = _replay(settings, dt.date(2024, 6, 3), 6)
    # Make the champion's recorded record hopeless against always-buy on those days, and live: replayed calls
    # never count in the flag (a replayed record like this one raises none).
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        db.execute("UPDATE signals SET right = 0, move = 0.01 WHERE right IS NOT NULL")
    capsys.readouterr()
    _replay(settings, next_trading_day(days[-1]), 1)
    assert "ROLLBACK FLAG" not in capsys.readouterr().out
    days.append(next_trading_day(days[-1]))
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        db.execute("UPDATE signals SET right = 0, move = 0.01, kind = 'live' WHERE right IS NOT NULL")
    capsys.readouterr()
    _replay(settings, next_trading_day(days[-1]), 1)
    out = capsys.readouterr().out
    assert "ROLLBACK FLAG USDJPY" in out and "never done automatically" in out
    assert Registry(tmp_path / "models").champion(PAIR) is not None  # never swapped
    now = dt.datetime(2024, 6, 12, 23, tzinfo=dt.UTC)
    status = status_report(msgspec.structs.replace(settings, data=settings.data), now)
    assert status.exit_code == 3 and any(ln.startswith("PROBLEM rollback flag: USDJPY") for ln in status.lines)


def test_status_shows_a_challenger_on_trial(tmp_path: Path) -> None:
    registry, _ = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    registry.add(tmp_path / "new")
    status = status_report(_settings(tmp_path), dt.datetime(2025, 1, 6, 23, tzinfo=dt.UTC))
    assert (
        f"challenger: {challenger} trained to 2024-05-31, on trial: the daily runs make its shadow calls and "
        "the gate decides after 5 scored ones"
    ) in status.lines


@pytest.mark.parametrize("how", ["imported_with_a_forged_file", "replaced_after_the_retrain"])
def test_forged_holdback_json_cannot_promote_and_is_ignored_with_one_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """Held-back evidence counts only as the retrain wrote it (its sha256 in the log); anything else is ignored."""
    registry, champion = _champion(tmp_path)
    challenger = _challenger(registry.champion_folder(PAIR), tmp_path / "new", 3.0)
    up = [True, False] * 30
    glowing = _held_back(list(up), [None] * 20 + [not u for u in up[20:]], up, champion)  # recipe 60/60
    if how == "imported_with_a_forged_file":
        write_holdback(tmp_path / "new", glowing)
        registry.add(tmp_path / "new")  # `fxbot models import`: no retrain recorded a checksum
        why = "was not recorded when the version was added"
    else:
        write_holdback(tmp_path / "new", msgspec.structs.replace(glowing, days=glowing.days[:2]))
        registry.add(tmp_path / "new", binding=holdback_binding(tmp_path / "new"))
        write_holdback(registry.version_folder(challenger), glowing)  # swapped in afterwards
        why = "does not match the sha256 recorded at retrain"
    _replay(_settings(tmp_path, auto_promote=True), dt.date(2024, 6, 3), 6)
    (decision,) = [e for e in registry.history(PAIR) if e.by == "schedule"]
    assert "held_back" not in decision.evidence  # judged on its shadow calls alone
    assert decision.evidence["calls_vs_always_buy"] == decision.evidence["calls"] == 5
    assert why in decision.evidence["notice"] and why in decision.evidence["held_back_missing"]
    out = capsys.readouterr().out
    assert out.count(why) == 1  # one notice, in the gate's decision


def test_a_46_mb_holdback_json_is_refused_at_once(tmp_path: Path) -> None:
    import time

    (tmp_path / "holdback.json").write_bytes(b'{"days": [' + b"0," * (23 * 1024 * 1024) + b"0]}")
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"holdback\.json is 48,234,509 bytes, more than the 1,048,576"):
        read_holdback(tmp_path)
    assert time.monotonic() - start < 1.0
