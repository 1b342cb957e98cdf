"""Model age: every post and `fxbot status` show the champion's training end; past the limit, a warning and exit 3."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from fxbot.config import settings_from_mapping
from fxbot.notify.messages import report_blocks
from fxbot.pipeline import build_report, load_bars
from fxbot.signals import ModelAge
from fxbot.status import status_report

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli


def _raw(tmp_path: Path, limit: int) -> dict[str, object]:
    return {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "ledger.sqlite")},
        "lifecycle": {"max_model_age_days": limit},
    }


def _report(tmp_path: Path, limit: int, as_of: dt.date) -> object:
    from fxbot import wiring
    from fxbot.config import Secrets

    settings = settings_from_mapping(_raw(tmp_path, limit))
    deps = wiring.daily_dependencies(settings, Secrets())
    return build_report(settings, deps, load_bars(settings, deps.store), as_of)


def test_the_report_carries_the_age_as_data_and_warns_past_the_limit(tmp_path: Path) -> None:
    young = _report(tmp_path, 100, dt.date(2025, 2, 3))
    assert young.model_age == ModelAge(dt.date(2024, 12, 31), 34, 100)  # type: ignore[attr-defined]
    assert not any("days old" in w for w in young.warnings)  # type: ignore[attr-defined]
    old = _report(tmp_path, 30, dt.date(2025, 2, 3))
    assert old.model_age.too_old  # type: ignore[attr-defined]
    (warning,) = [w for w in old.warnings if "days old" in w]  # type: ignore[attr-defined]
    assert "34 days old" in warning and "2024-12-31" in warning and "fxbot retrain" in warning


def test_posts_show_the_training_end_in_both_languages(tmp_path: Path) -> None:
    report = _report(tmp_path, 30, dt.date(2025, 2, 3))
    for locale, expected in (("en", "models trained to 2024-12-31 (34 days)"), ("ja", "2024-12-31 まで（34日前）")):
        blocks = report_blocks(report, locale)  # type: ignore[arg-type]
        context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
        (line,) = [t for t in context if expected in t]
        assert line.startswith(":warning:")  # past the limit
        assert any("days old" in b["text"]["text"] for b in blocks if b["type"] == "section" and "fields" not in b)


def test_console_and_status(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(_raw(tmp_path, 30)))
    run = fxbot_cli("run-once", "--dry-run", "--as-of", "2025-02-03", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert "models trained to 2024-12-31 (34 days)" in run.stdout and "34 days old" in run.stdout

    now = dt.datetime(2025, 1, 10, 23, 0, tzinfo=dt.UTC)  # data one week behind: allow it
    raw = _raw(tmp_path, 100) | {"data": {"dir": str(BUNDLED_DATA), "max_staleness_days": 10}}
    fine = status_report(settings_from_mapping(raw), now)
    assert fine.exit_code == 0, fine.lines
    assert any(ln.startswith("model age: trained to USDJPY 2024-12-31") and "(limit 100)" in ln for ln in fine.lines)
    old = status_report(settings_from_mapping(raw | {"lifecycle": {"max_model_age_days": 5}}), now)
    assert old.exit_code == 3
    assert any("past lifecycle.max_model_age_days (5)" in ln for ln in old.lines)


def test_a_replay_before_the_training_end_says_so_not_zero_days(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    run = fxbot_cli(
        "run-once", "--dry-run", "--no-fetch", "--as-of", "2024-06-14", env={"FXBOT_STATE_DIR": str(tmp_path)}
    )
    assert run.returncode == 0, run.stderr
    assert "models trained to 2024-12-31 (after this day)" in run.stdout and "(0 days)" not in run.stdout
    assert "in-sample" in run.stdout  # the warning that says what it means


def test_with_newer_models_on_trial_the_warning_says_so_instead_of_asking_to_retrain(tmp_path: Path) -> None:
    import shutil

    import msgspec

    from fxbot import wiring
    from fxbot.config import Secrets
    from fxbot.model.artifacts import read_manifest, write_manifest
    from fxbot.model.registry import Registry

    shutil.copytree(SHIPPED_MODELS / "USDJPY", tmp_path / "models" / "USDJPY")
    registry = Registry(tmp_path / "models")
    registry.migrate("USDJPY")
    newer = tmp_path / "newer"
    shutil.copytree(registry.champion_folder("USDJPY"), newer)
    manifest = msgspec.structs.replace(read_manifest(newer, pair="USDJPY"), train_end="2025-01-31")
    write_manifest(newer, manifest)
    registry.add(newer)
    raw = _raw(tmp_path, 30) | {"pairs": ["USDJPY"], "model": {"dir": str(tmp_path / "models")}}
    for locale, expected in (("en", f"newer models are on trial ({manifest.version})"), ("ja", "試験中")):
        settings = settings_from_mapping(raw | {"notify": {"locale": locale}})
        deps = wiring.daily_dependencies(settings, Secrets())
        report = build_report(settings, deps, load_bars(settings, deps.store), dt.date(2025, 2, 3))
        (warning,) = [w for w in report.warnings if "lifecycle.max_model_age_days" in w]
        assert expected in warning and "fxbot retrain" not in warning


def test_check_and_status_agree_on_the_model_age(tmp_path: Path) -> None:
    """The same line, the same day count and the same exit code from both commands."""
    from fxbot.check import run_checks
    from fxbot.config import Secrets

    now = dt.datetime(2026, 12, 4, 23, 0, tzinfo=dt.UTC)  # the shipped models are 703 days old
    raw = _raw(tmp_path, 100) | {"data": {"dir": str(BUNDLED_DATA), "max_staleness_days": 260}}
    settings = settings_from_mapping(raw)
    status, check = status_report(settings, now), run_checks(settings, Secrets(), now)
    (age,) = [ln for ln in status.lines if "model age:" in ln]
    assert "703 days old, past lifecycle.max_model_age_days (100)" in age
    assert age in check.lines
    assert status.exit_code == check.exit_code == 3


def test_on_a_sunday_status_counts_the_days_the_post_counts(tmp_path: Path) -> None:
    """The post's age runs to the day its calls are made after (the last completed trading day, Friday 2026-12-04:
    703 days); `status` and `check` count to that day too, not to the calendar date (Sunday: 705)."""
    from fxbot.check import run_checks
    from fxbot.config import Secrets

    sunday = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    settings = settings_from_mapping(
        _raw(tmp_path, 100) | {"data": {"dir": str(BUNDLED_DATA), "max_staleness_days": 260}}
    )
    for result in (status_report(settings, sunday), run_checks(settings, Secrets(), sunday)):
        (age,) = [ln for ln in result.lines if "model age:" in ln]
        assert "the oldest is 703 days old" in age
