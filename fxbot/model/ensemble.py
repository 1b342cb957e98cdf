"""A pair's ensemble: its manifest and members, loaded once with one engine; the vote decides.

A member whose output is not a finite probability is a broken model: the ensemble refuses it
(ModelError, exit 3) rather than let it vote.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fxbot.errors import ModelError
from fxbot.model.artifacts import Manifest, read_manifest
from fxbot.model.engines import Member, load_members
from fxbot.voting import Vote, vote


class Ensemble:
    """A pair's members, loaded once with one engine, and its manifest.

    ``min_members`` is the fewest members the manifest may list (``training.members``); the
    default, 1, asks for no more than any manifest already has. ``pair`` is the pair the manifest
    must be for (default: the folder's name; a registry version folder is named by its version).
    """

    def __init__(self, folder: Path, engine: str, *, min_members: int = 1, pair: str | None = None) -> None:
        self.folder = Path(folder)
        self.manifest: Manifest = read_manifest(self.folder, min_members=min_members, pair=pair)
        self.members: list[Member] = load_members(self.folder, self.manifest, engine)

    def member_probabilities(self, window: np.ndarray) -> list[float]:
        """Each member's P(up) for one (1, window, features) input; a non-finite or out-of-range output is refused."""
        probabilities = [m.predict(window) for m in self.members]
        for i, (info, p) in enumerate(zip(self.manifest.members, probabilities, strict=True)):
            if not (math.isfinite(p) and 0.0 <= p <= 1.0):
                raise ModelError(
                    f"{self.folder}: member {i} (seed {info.seed}) answered {p!r}, not a probability in [0, 1]; "
                    "its input or its file is broken: check the price file, restore the models folder or retrain"
                )
        return probabilities

    def predict(self, window: np.ndarray) -> Vote:
        """The majority call for one input."""
        return vote(self.member_probabilities(window))

    def close(self) -> None:
        """Release every member's runtime."""
        for member in self.members:
            member.close()
