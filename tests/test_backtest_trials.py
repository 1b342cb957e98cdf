"""Per-pair costs in the config, the variants file and the trial ledger (fast: no TensorFlow)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as sps

from fxbot.backtest.skill.sharpe import deflated_sharpe
from fxbot.backtest.trials import (
    append_correction,
    append_registration,
    append_trial,
    config_hash,
    corrected_view,
    read_trials,
    trial_line,
)
from fxbot.backtest.variants import load_variants
from fxbot.config import ConfigError, Settings, settings_from_mapping

from .conftest import FxbotCli


def test_costs_are_per_pair_and_a_bare_number_names_the_new_shape() -> None:
    assert Settings().backtest.cost_pips == {"USDJPY": 0.4, "EURJPY": 0.6, "GBPJPY": 1.0}
    custom = settings_from_mapping({"backtest": {"cost_pips": {"usd/jpy": 0.3, "EURJPY": 0.5, "GBPJPY": 2}}})
    assert custom.backtest.cost_for("USDJPY") == 0.3 and custom.backtest.cost_for("GBPJPY") == 2.0
    with pytest.raises(ConfigError, match=r"backtest\.cost_pips: cost_pips is per pair now: give a mapping of pair"):
        settings_from_mapping({"backtest": {"cost_pips": 0.4}})
    with pytest.raises(ConfigError, match=r"backtest\.cost_pips: cost for USDJPY must be between 0 and 100"):
        settings_from_mapping({"backtest": {"cost_pips": {"USDJPY": -1}}})
    with pytest.raises(ConfigError, match=r"backtest\.cost_pips: .*unknown pair"):
        settings_from_mapping({"backtest": {"cost_pips": {"USDCHF": 1}}})
    partial = settings_from_mapping({"backtest": {"cost_pips": {"USDJPY": 0.4}}})
    with pytest.raises(ConfigError, match=r"backtest\.cost_pips has no entry for GBPJPY"):
        partial.backtest.cost_for("GBPJPY")


def test_an_old_config_fails_the_backtest_with_one_line(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    config = tmp_path / "old.yaml"
    config.write_text("backtest:\n  cost_pips: 0.4\n")
    run = fxbot_cli("backtest", "--config", str(config), "--report", str(tmp_path / "r"))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"fxbot: error: {config}: backtest.cost_pips: cost_pips is per pair now: give a mapping of pair to pips, "
        "e.g. {USDJPY: 0.4, EURJPY: 0.6, GBPJPY: 1.0}"
    ]


def test_trials_are_appended_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "trials.jsonl"
    first = append_trial(path, {"variant": "a", "metrics": {"accuracy": 0.5, "sharpe": float("nan"), "calls": 10}})
    assert first["trial"] == 1 and first["metrics"]["sharpe"] is None  # JSON has no NaN
    before = path.read_bytes()
    second = append_trial(path, {"variant": "b", "metrics": {"accuracy": 0.4}})
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 2  # the first line is untouched
    assert second["trial"] == 2
    # a crash mid-write leaves a torn line: kept, skipped, and the next record starts on its own line
    with path.open("ab") as handle:
        handle.write(b'{"variant": "torn", "metr')
    third = append_trial(path, {"variant": "c"})
    ledger = read_trials(path)
    assert [r["variant"] for r in ledger.records] == ["a", "b", "c"]
    assert ledger.bad_lines == [(3, "not JSON (a torn write?)")]
    assert third["trial"] == 4  # numbered by line: the torn line keeps its place
    assert path.read_bytes().startswith(after)
    assert "#1 " in trial_line(ledger.records[0]) and "accuracy 50.0%" in trial_line(ledger.records[0])
    assert read_trials(tmp_path / "none.jsonl").records == []
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})


def test_fxbot_trials_lists_and_counts(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    path = tmp_path / "t.jsonl"
    empty = fxbot_cli("trials", "--file", str(path))
    assert empty.returncode == 0 and empty.stdout.strip() == f"0 trial(s) on record in {path}"
    for name in ("base", "momentum"):
        append_trial(path, {"variant": name, "feature_set": "base", "target": "next_day", "units": 2, "metrics": {}})
    config = tmp_path / "c.yaml"
    config.write_text(f"backtest:\n  trials_file: {path}\n")
    run = fxbot_cli("trials", "--config", str(config))
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0 and len(lines) == 3
    assert lines[0].startswith("#1 ") and " base [base, next_day, 2 units]" in lines[0]
    assert lines[1].startswith("#2 ") and lines[2] == f"2 trial(s) on record in {path}"


def test_variants_file_is_strict(tmp_path: Path) -> None:
    good = tmp_path / "v.yaml"
    good.write_text("variants:\n  - name: a\n  - {name: b, features: cross, target: 5_days, units: 16}\n")
    a, b = load_variants(good)
    assert (a.features, a.horizon, a.units) == ("base", 1, None)
    assert (b.features, b.horizon, b.units) == ("cross", 5, 16)
    assert b.feature_list("USDJPY", ["USDJPY", "EURJPY", "GBPJPY"])[-2:] == ["xret1_EURJPY", "xret1_GBPJPY"]
    for text, message in (
        ("variants:\n  - {name: a, feature: base}\n", r"variants\.0\.feature: unknown key"),
        ("variants:\n  - {name: a, target: 3_days}\n", r"variants\.0\.target: .*'next_day', '5_days'"),
        ("variants:\n  - {name: a}\n  - {name: a}\n", "used twice"),
        ("variants:\n  - {name: ../x}\n", "must be letters"),
        ("variants: []\n", "at least one"),
    ):
        good.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_variants(good)


def test_a_correction_record_changes_the_dsr_as_computed_by_hand(tmp_path: Path) -> None:
    """Three trials on record: #2 repeats #1's calls, #3's Sharpe was superseded. Two correction records make
    the corrected view two trials (Sharpes -0.04 and -0.084), and the DSR of a P/L series against them is
    the hand-computed one (Bailey & López de Prado: SR0 from the trials' count and variance, then the PSR)."""
    path = tmp_path / "trials.jsonl"
    for sharpe in (-0.04, -0.04, -0.341):
        append_trial(path, {"variant": "v", "metrics": {"sharpe": sharpe}})
    before = path.read_bytes()
    append_correction(path, 3, "recorded before the 5-day P/L fix", set={"metrics.sharpe": -0.084},
                      was={"metrics.sharpe": -0.341})  # fmt: skip
    append_correction(path, 2, "the same seeds and data: identical calls to trial 1", same_as=1)
    assert path.read_bytes().startswith(before)  # appended; the trials' lines are untouched
    records = read_trials(path).records
    assert [r.get("trial") for r in records] == [1, 2, 3, None, None]
    view = corrected_view(records)
    assert [(t["trial"], t["metrics"]["sharpe"]) for t in view] == [(1, -0.04), (3, -0.084)]
    assert view[0]["same_calls_as"] == [2] and records[2]["metrics"]["sharpe"] == -0.341  # the record as it was
    assert append_trial(path, {"variant": "w"})["trial"] == 4  # corrections take no trial number

    pnl = np.random.default_rng(5).normal(0.0001, 0.01, 1500)

    def by_hand(sharpes: list[float]) -> float:
        n_trials, variance = len(sharpes), float(np.var(sharpes, ddof=1)) / 252
        g = 0.5772156649015329
        sr0 = math.sqrt(variance) * (
            (1 - g) * sps.norm.ppf(1 - 1 / n_trials) + g * sps.norm.ppf(1 - 1 / (n_trials * math.e))
        )
        sr = pnl.mean() / pnl.std(ddof=1)
        skew, kurt = sps.skew(pnl), sps.kurtosis(pnl, fisher=False)
        return float(
            sps.norm.cdf((sr - sr0) * math.sqrt(len(pnl) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
        )

    raw = [r["metrics"]["sharpe"] for r in records[:3]]
    corrected = [t["metrics"]["sharpe"] for t in view]
    dsr_raw = deflated_sharpe(pnl, len(raw), np.array(raw)).dsr
    dsr_corrected = deflated_sharpe(pnl, len(view), np.array(corrected)).dsr
    assert dsr_raw == pytest.approx(by_hand(raw), rel=1e-9)
    assert dsr_corrected == pytest.approx(by_hand(corrected), rel=1e-9)
    assert dsr_corrected > dsr_raw + 0.05  # fewer, closer trials: less to deflate for


def test_a_correction_names_a_trial_on_record(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    path = tmp_path / "trials.jsonl"
    append_trial(path, {"variant": "v"})
    with pytest.raises(ValueError, match=r"has no trial \[9\]; `fxbot trials` lists them"):
        append_correction(path, 9, "why", set={"metrics.sharpe": 0.1})
    with pytest.raises(ValueError, match="says why"):
        append_correction(path, 1, " ", set={"metrics.sharpe": 0.1})
    run = fxbot_cli("trials", "--file", str(path))
    assert run.stdout.strip().splitlines()[-1] == f"1 trial(s) on record in {path}"
    append_correction(path, 1, "a typo", set={"metrics.sharpe": 0.1}, was={"metrics.sharpe": 0.2})
    lines = fxbot_cli("trials", "--file", str(path)).stdout.strip().splitlines()
    assert lines[1].startswith("correction 1 ") and "metrics.sharpe 0.2 -> 0.1 (a typo)" in lines[1]
    assert (
        lines[-1] == f"1 trial(s) on record in {path}; 1 correction(s): 1 in the corrected view "
        "(the Deflated Sharpe counts these)"
    )


def test_a_trial_is_registered_before_it_runs(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    path = tmp_path / "trials.jsonl"
    append_trial(path, {"variant": "v", "metrics": {"sharpe": 0.1}})
    with pytest.raises(ValueError, match="needs its criterion written before the trial runs"):
        append_registration(path, "r", "it earns more", " ", "the calls")
    first = append_registration(path, "r", "it earns more than always-buy", "p < 0.01 after Holm", "the calls")
    assert first["registration"] == 1 and "trial" not in first
    with pytest.raises(ValueError, match="already registers a trial named 'r'"):
        append_registration(path, "r", "again", "again", "again")
    assert append_trial(path, {"variant": "r", "registered": 1})["trial"] == 2  # no number taken
    assert [t["trial"] for t in corrected_view(read_trials(path).records)] == [1, 2]
    lines = fxbot_cli("trials", "--file", str(path)).stdout.strip().splitlines()
    assert lines[1].startswith("registration 1 ") and "Criterion: p < 0.01 after Holm" in lines[1]
    assert lines[-1] == f"2 trial(s) on record in {path}"
