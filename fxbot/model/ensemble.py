"""A pair's ensemble: its manifest and members, loaded once with one engine; the vote decides."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fxbot.model.artifacts import Manifest, read_manifest
from fxbot.model.engines import Member, load_members
from fxbot.voting import Vote, vote


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
