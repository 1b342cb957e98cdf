"""The one place members are combined: each member votes, the majority makes the call."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from fxbot.errors import ModelError
from fxbot.model.artifacts import Manifest, read_manifest
from fxbot.model.engines import Member, load_members


class Direction(StrEnum):
    """The call for the next trading day."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL."""
        return 1 if self is Direction.BUY else -1


@dataclass(frozen=True)
class Vote:
    """A majority vote: the call, how many members agreed, and each member's probability."""

    direction: Direction
    votes: int
    members: int
    probabilities: tuple[float, ...]

    @property
    def label(self) -> str:
        """E.g. ``4/5``."""
        return f"{self.votes}/{self.members}"


def vote(probabilities: list[float] | np.ndarray) -> Vote:
    """Majority of member calls (P(up) > 0.5 is a BUY); needs an odd number of members."""
    probs = tuple(float(p) for p in probabilities)
    n = len(probs)
    if n == 0 or n % 2 == 0:
        raise ModelError(f"a vote needs an odd number of members, got {n}")
    buys = sum(p > 0.5 for p in probs)
    direction = Direction.BUY if buys * 2 > n else Direction.SELL
    agreeing = buys if direction is Direction.BUY else n - buys
    return Vote(direction, agreeing, n, probs)


class Ensemble:
    """A pair's members, loaded once with one engine, and its manifest."""

    def __init__(self, folder: Path, engine: str) -> None:
        self.folder = Path(folder)
        self.manifest: Manifest = read_manifest(self.folder)
        self.members: list[Member] = load_members(self.folder, self.manifest, engine)

    def member_probabilities(self, window: np.ndarray) -> list[float]:
        """Each member's P(up) for one (1, window, features) input."""
        return [m.predict(window) for m in self.members]

    def predict(self, window: np.ndarray) -> Vote:
        """The majority call for one input."""
        return vote(self.member_probabilities(window))

    def close(self) -> None:
        """Release every member's runtime."""
        for member in self.members:
            member.close()
