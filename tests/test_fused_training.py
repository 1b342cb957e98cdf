"""The fused training path: independent members, reproducible, early stopping per member, exportable.

Tiny synthetic data (a few hundred 6x3 windows) and tiny members; they start TensorFlow, so `slow`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fxbot.config import TrainingSettings
from fxbot.features import Scaler

pytestmark = pytest.mark.slow

TINY = TrainingSettings(units=4, epochs=2, members=3, seeds=[1, 2, 3], batch_size=32, patience=5)


def _data(n_train: int = 200, n_val: int = 64, seed: int = 0):  # type: ignore[no-untyped-def]
    from fxbot.model.fitting import TrainingData

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_train + n_val, 6, 3)).astype("float32")
    # a weak learnable signal, so validation loss moves
    y = (x[:, -1, 0] + rng.normal(scale=2.0, size=len(x)) > 0).astype("float32")
    scaler = Scaler(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    dates = np.arange(len(x)).astype("datetime64[D]")
    return TrainingData(x[:n_train], y[:n_train], x[n_train:], y[n_train:], scaler, dates[:n_train], dates[n_train:])


def _fit(data, seeds, cfg, progress=None):  # type: ignore[no-untyped-def]
    from fxbot.backtest.worker import configure_tensorflow
    from fxbot.model.fitting import fit_members

    configure_tensorflow(None)
    return fit_members(data, seeds, cfg, [f"seed {s}" for s in seeds], progress)


def test_members_are_independent_and_match_their_keras_models() -> None:
    from fxbot.model.fitting import build_model

    data = _data()
    members = _fit(data, [1, 2, 3], TINY)
    weights = [m.model.get_weights() for m in members]
    for a in range(3):
        for b in range(a + 1, 3):
            assert not np.allclose(weights[a][0], weights[b][0])
    for member, seed in zip(members, [1, 2, 3], strict=True):
        assert member.seed == seed and member.epochs_trained == 2
        # the member is a plain build_model model: same layers, same weight shapes
        fresh = build_model(6, 3, TINY.units, TINY.learning_rate)
        assert [w.shape for w in fresh.get_weights()] == [w.shape for w in member.model.get_weights()]
        # the reported validation figures are the Keras model's own
        p = np.asarray(member.model(data.x_val, training=False)).reshape(-1)
        assert member.val_accuracy == pytest.approx(float(np.mean((p > 0.5) == data.y_val)))
        eps = 1e-7
        loss = -np.mean(data.y_val * np.log(p + eps) + (1 - data.y_val) * np.log(1 - p + eps))
        assert member.val_loss == pytest.approx(loss, abs=1e-5)


def test_same_seed_gives_the_same_member_whatever_trains_beside_it() -> None:
    data = _data()
    first = _fit(data, [1, 2, 3], TINY)
    again = _fit(data, [1, 2, 3], TINY)
    for a, b in zip(first, again, strict=True):
        for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
            np.testing.assert_array_equal(wa, wb)
    # a member does not depend on the others in its group
    alone = _fit(data, [2], TINY)[0]
    for wa, wb in zip(first[1].model.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, atol=1e-6)


def test_early_stopping_is_per_member_and_restores_the_best_epoch() -> None:
    data = _data(n_train=160, n_val=96, seed=3)
    cfg = TrainingSettings(
        units=4, epochs=12, members=3, seeds=[5, 6, 7], batch_size=32, patience=1, learning_rate=0.05
    )
    seen: dict[str, list[float]] = {}

    def progress(line: str) -> None:
        label = line.split(" epoch ")[0].strip()
        seen.setdefault(label, []).append(float(line.split("val_loss ")[1].split()[0]))

    members = _fit(data, [5, 6, 7], cfg, progress)
    epochs = [m.epochs_trained for m in members]
    assert min(epochs) < max(epochs), f"this data was chosen so the members stop apart: {epochs}"
    for member in members:
        history = seen[f"seed {member.seed}"]
        assert len(history) == member.epochs_trained  # progress stops with the member
        best = int(np.argmin(history))
        if member.epochs_trained < cfg.epochs:  # stopped: patience ran out right after the best epoch
            assert member.epochs_trained == best + cfg.patience + 1
        # the best epoch's weights are the ones kept (progress prints 4 decimals)
        assert member.val_loss == pytest.approx(min(history), abs=6e-5)
        assert member.val_loss < max(history) or len(set(history)) == 1


def test_a_fused_member_exports_and_passes_the_tflite_check(tmp_path: Path) -> None:
    from fxbot.model.training import export_member

    data = _data()
    member = _fit(data, [1], TrainingSettings(units=4, epochs=1, members=1, seeds=[1]))[0]
    info = export_member(member, tmp_path, 0, data.x_val[:8])  # raises if .tflite and Keras differ > 1e-5
    assert (tmp_path / info.tflite).stat().st_size > 1000
    assert (tmp_path / info.keras).exists() and (tmp_path / info.savedmodel).is_dir()
    assert info.seed == 1 and info.epochs_trained == 1
