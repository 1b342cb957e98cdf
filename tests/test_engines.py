"""The litert and tensorflow engines agree on the shipped models; a broken output never reaches the vote."""

from __future__ import annotations

import numpy as np
import pytest

from fxbot.data.store import PriceStore
from fxbot.errors import ModelError
from fxbot.features import build_dataset
from fxbot.model.ensemble import Ensemble

from .conftest import SHIPPED_MODELS


@pytest.mark.slow
@pytest.mark.parametrize("pair", ["USDJPY", "EURJPY", "GBPJPY"])
def test_engines_agree_to_1e_5(pair: str, bundled_store: PriceStore) -> None:
    lite = Ensemble(SHIPPED_MODELS / pair, "litert")
    tf = Ensemble(SHIPPED_MODELS / pair, "tensorflow")
    data = build_dataset(bundled_store.load(pair))
    inputs = lite.manifest.scaler.transform(data.x[-40:])
    worst = 0.0
    for i in range(len(inputs)):
        a = np.array(lite.member_probabilities(inputs[i : i + 1]))
        b = np.array(tf.member_probabilities(inputs[i : i + 1]))
        worst = max(worst, float(np.max(np.abs(a - b))))
    lite.close()
    tf.close()
    assert worst < 1e-5


def test_an_ensemble_refuses_outputs_that_are_not_finite() -> None:
    """A NaN input makes every LSTM answer NaN: refused by the ensemble, never handed to the vote."""
    ensemble = Ensemble(SHIPPED_MODELS / "USDJPY", "litert")
    try:
        window = np.full((1, 20, 8), np.nan, dtype=np.float32)
        with pytest.raises(ModelError, match=r"USDJPY: member 0 \(seed 11\) answered nan, not a probability"):
            ensemble.member_probabilities(window)
        with pytest.raises(ModelError, match="answered nan"):
            ensemble.predict(window)
        fine = ensemble.member_probabilities(np.zeros((1, 20, 8), dtype=np.float32))
        assert len(fine) == 5 and all(0 <= p <= 1 for p in fine)
    finally:
        ensemble.close()
