"""Generated folders replace only their own kind: a backtest report or `train --out` pointed at a folder of other
files refuses before any work, and changes nothing (issue 21: "generated files replace only their own kind")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fxbot.cli import main

from .conftest import BUNDLED_DATA, REPO


def _config(tmp_path: Path) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "state_dir": str(tmp_path / "state"),
        "backtest": {"trials_file": str(tmp_path / "trials.jsonl")},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _home(tmp_path: Path) -> Path:
    """A folder of someone's own files, two of them with names a report uses."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine\n")
    (home / "report.md").write_text("# my own report\n")
    (home / "metrics.json").write_text('{"mine": true}\n')
    return home


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_backtest_report_pointed_at_a_folder_of_other_files_is_refused_before_any_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path)
    before = _snapshot(home)
    code = main(["backtest", "--from", "2024-01-02", "--report", str(home), "--config", str(_config(tmp_path))])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"--report {home} holds files fxbot did not write (e.g. metrics.json)" in err
    assert "give a new or empty folder" in err
    assert _snapshot(home) == before and not (tmp_path / "trials.jsonl").exists()


def test_a_backtest_report_through_a_symbolic_link_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "report"
    link.symlink_to(_home(tmp_path))
    code = main(["backtest", "--from", "2024-01-02", "--report", str(link), "--config", str(_config(tmp_path))])
    assert code == 2 and "is a symbolic link" in capsys.readouterr().err


def test_a_folder_fxbot_wrote_a_report_into_is_still_its_own(tmp_path: Path) -> None:
    from fxbot.backtest.run import is_report_folder

    assert is_report_folder(REPO / "reports" / "backtest-2008-2024")
    assert is_report_folder(REPO / "reports" / "sweep-2008-2024")  # a sweep's top folder: variants.md
    assert not is_report_folder(_home(tmp_path))


def test_train_out_pointed_at_a_folder_of_other_files_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow")
    home = _home(tmp_path)
    before = _snapshot(home)
    code = main(["train", "--pairs", "USDJPY", "--out", str(home), "--config", str(_config(tmp_path))])
    err = capsys.readouterr().err
    assert code == 2 and f"--out {home} holds files fxbot did not write (e.g. metrics.json)" in err
    assert _snapshot(home) == before
