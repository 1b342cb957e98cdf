"""Training end to end with a tiny configuration, then the daily run on the models it wrote."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars
from fxbot.data.store import PriceStore
from fxbot.features import build_dataset
from fxbot.model.artifacts import read_manifest
from fxbot.model.registry import Registry
from fxbot.model.version_files import member_checksums

from .conftest import BUNDLED_DATA, run_fxbot

TINY = {"units": 4, "epochs": 2, "members": 3, "seeds": [1, 2, 3], "start": "2019-01-01"}


@pytest.mark.slow
def test_train_then_run_once_on_the_new_models(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "pairs": ["USDJPY"],
                "data": {"dir": str(BUNDLED_DATA)},
                "model": {"dir": str(tmp_path / "models")},
                "training": TINY,
            }
        )
    )
    trained = run_fxbot("train", "--until", "2023-12-29", "--config", str(config))
    assert trained.returncode == 0, trained.stderr
    assert "USDJPY: trained 2019-01-02..2023-12-29" in trained.stdout  # no bar on Jan 1
    assert "epoch 1/2" in trained.stderr  # progress display
    folder = Registry(tmp_path / "models").champion_folder("USDJPY")  # the first version: the champion
    manifest = read_manifest(folder, pair="USDJPY")
    assert folder.name == manifest.version
    assert len(manifest.members) == 3 and manifest.train_end == "2023-12-29"
    assert manifest.validation_start > manifest.train_start
    assert all((folder / m.tflite).stat().st_size > 1000 for m in manifest.members)
    for member in manifest.members:  # each member file's sha256 as training wrote it, checked at import
        assert {member.tflite, member.keras, f"{member.savedmodel}/saved_model.pb"} <= set(member.sha256)
        assert member.sha256 == member_checksums(folder, member)

    run = run_fxbot("run-once", "--dry-run", "--as-of", "2024-03-01", "--config", str(config))
    assert run.returncode == 0, run.stderr
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("USD/JPY"))
    assert "2024-03-01" in line and "/3" in line
    assert "in-sample" not in run.stdout  # 2024-03-01 is after the training data


@pytest.mark.slow
def test_scaler_is_fitted_on_training_rows_only() -> None:
    from fxbot.model.fitting import prepare_training_data

    frame = PriceStore(BUNDLED_DATA).load("EURJPY").to_frame().loc["2018":"2020"]
    bars = Bars.from_frame(frame)
    data = prepare_training_data(bars, validation_fraction=0.25)
    full = build_dataset(bars)
    last_train_day = data.train_dates[-1]
    # the rows the scaler may see: every feature row up to the last training window's end
    visible = full.rows[: list(full.dates).index(last_train_day) + full.x.shape[1]]
    np.testing.assert_allclose(data.scaler.mean, visible.mean(axis=0))
    assert data.val_dates[0] > last_train_day
    # moving validation or later rows does not move the scaler
    shifted = frame.copy()
    shifted.loc[shifted.index > data.val_dates[0], ["open", "high", "low", "close"]] *= 1.5
    again = prepare_training_data(Bars.from_frame(shifted), validation_fraction=0.25)
    assert again.scaler == data.scaler


def test_training_settings_need_enough_seeds() -> None:
    assert len(TrainingSettings().seeds) == TrainingSettings().members
    with pytest.raises(ValueError, match=r"training\.seeds has 2 seeds for 3 members; add seeds"):
        TrainingSettings(members=3, seeds=[1, 2])
    with pytest.raises(ValueError, match=r"training\.seeds has 0 seeds for 1 members"):
        TrainingSettings(members=1, seeds=[])
    assert TrainingSettings(members=3, seeds=[1, 2, 3]).seeds == [1, 2, 3]  # exactly enough
    assert TrainingSettings(members=1, seeds=[7, 8]).members == 1  # a spare seed is fine


@pytest.mark.slow
def test_two_pairs_train_side_by_side_in_their_own_processes(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "pairs": ["USDJPY", "EURJPY"],
                "data": {"dir": str(BUNDLED_DATA)},
                "model": {"dir": str(tmp_path / "models")},
                "training": TINY,
            }
        )
    )
    trained = run_fxbot("train", "--jobs", "2", "--until", "2023-12-29", "--config", str(config))
    assert trained.returncode == 0, trained.stderr
    printed = [ln.split(":")[0] for ln in trained.stdout.splitlines() if ": trained " in ln]
    assert printed == ["USDJPY", "EURJPY"]  # in the order asked, whichever finished first
    from fxbot.model.registry import Registry

    registry = Registry(tmp_path / "models")
    for pair in ("USDJPY", "EURJPY"):  # each stored as its pair's first champion, from its own process
        manifest = read_manifest(registry.champion_folder(pair), pair=pair)
        assert manifest.pair == pair and len(manifest.members) == 3 and manifest.train_end == "2023-12-29"
        assert registry.champion(pair) == manifest.version
    run = run_fxbot("run-once", "--dry-run", "--as-of", "2024-03-01", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert "USD/JPY" in run.stdout and "EUR/JPY" in run.stdout
    bad = run_fxbot("train", "--jobs", "0", "--config", str(config))
    assert bad.returncode == 2 and "--jobs: 0 is out of range: it must be >= 1" in bad.stderr


def test_a_killed_trainings_folder_is_removed_by_the_next_one(tmp_path: Path) -> None:
    import socket
    import subprocess

    from fxbot.model.training import remove_abandoned

    host = socket.gethostname().replace("-", "_")
    gone = subprocess.Popen(["true"])  # a process that has ended: its id names an abandoned folder
    gone.wait()
    abandoned = tmp_path / f".training-{host}-{gone.pid}-abc"
    running = tmp_path / f".training-{host}-{os.getpid()}-def"  # this process: a training still under way
    elsewhere = tmp_path / f".training-otherhost-{gone.pid}-ghi"  # another container's: not ours to judge
    for folder in (abandoned, running, elsewhere):
        (folder / "USDJPY").mkdir(parents=True)
    assert remove_abandoned(tmp_path) == [abandoned]
    assert not abandoned.exists() and running.exists() and elsewhere.exists()
