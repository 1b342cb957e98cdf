"""The litert and tensorflow engines agree on the shipped models."""

from __future__ import annotations

import numpy as np
import pytest

from fxbot.data.store import PriceStore
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
