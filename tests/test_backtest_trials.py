"""Per-pair costs in the config, the variants file and the trial ledger (fast: no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fxbot.backtest.trials import append_trial, config_hash, read_trials, trial_line
from fxbot.backtest.variants import load_variants
from fxbot.config import ConfigError, Settings, settings_from_mapping

from .conftest import run_fxbot


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


def test_an_old_config_fails_the_backtest_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "old.yaml"
    config.write_text("backtest:\n  cost_pips: 0.4\n")
    run = run_fxbot("backtest", "--config", str(config), "--report", str(tmp_path / "r"))
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


def test_fxbot_trials_lists_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    empty = run_fxbot("trials", "--file", str(path))
    assert empty.returncode == 0 and empty.stdout.strip() == f"0 trial(s) on record in {path}"
    for name in ("base", "momentum"):
        append_trial(path, {"variant": name, "feature_set": "base", "target": "next_day", "units": 2, "metrics": {}})
    config = tmp_path / "c.yaml"
    config.write_text(f"backtest:\n  trials_file: {path}\n")
    run = run_fxbot("trials", "--config", str(config))
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
