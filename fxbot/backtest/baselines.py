"""Baselines the ensemble must beat on the same days: always buy, repeat yesterday, logistic regression.

All return the probability or the call "up" per day as arrays; pure, no TensorFlow. The logistic
regression sees exactly the LSTM's inputs (the scaled 20x8 window, flattened) and is fitted per
walk-forward period on the same training rows the members were fitted on.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def always_buy(n: int) -> np.ndarray:
    """Call up every day."""
    return np.ones(n, dtype=bool)


def repeat_yesterday(close: np.ndarray, previous_close: np.ndarray) -> np.ndarray:
    """Call up for D+1 when D closed above D-1 (a flat day repeats as down, like the labels)."""
    return np.asarray(close, "float64") > np.asarray(previous_close, "float64")


def logistic_probabilities(x_train: np.ndarray, y_train: np.ndarray, x_call: np.ndarray) -> np.ndarray:
    """Fit a logistic regression on flattened training windows and return P(up) for ``x_call``."""
    model = LogisticRegression(max_iter=2000)  # L2, C=1: mild shrinkage over 160 correlated inputs
    model.fit(x_train.reshape(len(x_train), -1), y_train.astype(int))
    return np.asarray(model.predict_proba(x_call.reshape(len(x_call), -1))[:, 1], dtype="float64")
