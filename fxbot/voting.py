"""The vote: each member's P(up) becomes a BUY or SELL, the majority makes the call. Pure value types.

A leaf module (numpy-free, no I/O): portfolio sizing, the signal report, the ledger and the
notifiers use these types without importing any model loader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum

import msgspec

from fxbot.errors import ModelError


class Direction(StrEnum):
    """The call for the next trading day."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL."""
        return 1 if self is Direction.BUY else -1


class Vote(msgspec.Struct, frozen=True):
    """A majority vote: the call, how many members agreed, and each member's probability."""

    direction: Direction
    votes: int
    members: int
    probabilities: tuple[float, ...]

    @property
    def label(self) -> str:
        """E.g. ``4/5``."""
        return f"{self.votes}/{self.members}"


def vote(probabilities: Iterable[float]) -> Vote:
    """Majority of member calls (P(up) > 0.5 is a BUY); needs an odd number of members.

    A member whose output is not a finite probability in [0, 1] is a broken model, not a SELL: it
    is refused rather than counted.
    """
    probs = tuple(float(p) for p in probabilities)
    n = len(probs)
    if n == 0 or n % 2 == 0:
        raise ModelError(f"a vote needs an odd number of members, got {n}")
    bad = [i for i, p in enumerate(probs) if not (math.isfinite(p) and 0.0 <= p <= 1.0)]
    if bad:
        raise ModelError(
            f"member(s) {', '.join(map(str, bad))} gave no valid probability ({probs[bad[0]]!r}); "
            "the models or their manifest are broken: restore them or retrain"
        )
    buys = sum(p > 0.5 for p in probs)
    direction = Direction.BUY if buys * 2 > n else Direction.SELL
    agreeing = buys if direction is Direction.BUY else n - buys
    return Vote(direction, agreeing, n, probs)
