"""The ``model``, ``training`` and ``lifecycle`` sections: the ensembles, how they are fitted, how they stay current."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta, field

from fxbot.config.schema import Invalid, Section

#: Seeds must fit every library that takes one (numpy, TensorFlow, Python's random).
MAX_SEED = 2**31 - 1


class ModelSettings(Section, frozen=True):
    """Shipped or trained ensembles, and how they run."""

    dir: Annotated[
        Path, Meta(description="The model registry (a folder per pair); {state_dir}/ at its start means state_dir.")
    ] = Path("{state_dir}/models")
    seed_dir: Annotated[
        Path,
        Meta(
            description="Shipped models: first champions under state_dir; newer ones arrive as challengers; "
            "{shipped}/ at its start means the package's copy."
        ),
    ] = Path("{shipped}/models")
    engine: Annotated[
        Literal["litert", "tensorflow"],
        Meta(description="litert: .tflite, no TensorFlow import; tensorflow: tf.Graph+Session per member."),
    ] = "litert"


class TrainingSettings(Section, frozen=True):
    """How `fxbot train` (and the backtest) fit the ensembles."""

    members: Annotated[int, Meta(ge=1, le=25, description="Ensemble size (1-25); odd, so the vote never ties.")] = 5
    seeds: Annotated[
        list[Annotated[int, Meta(ge=0, le=MAX_SEED)]],
        Meta(description="One distinct seed per member (0 to 2**31-1)."),
    ] = field(default_factory=lambda: [11, 23, 37, 41, 53])
    units: Annotated[int, Meta(ge=1, le=1024, description="LSTM units (1-1024).")] = 32
    epochs: Annotated[
        int, Meta(ge=1, le=1000, description="Maximum epochs (1-1000; early stopping may end sooner).")
    ] = 30
    batch_size: Annotated[int, Meta(ge=1, le=4096, description="Mini-batch size (1-4096).")] = 32
    patience: Annotated[
        int, Meta(ge=0, le=1000, description="Early-stopping patience in epochs on validation loss (0-1000).")
    ] = 5
    validation_fraction: Annotated[float, Meta(gt=0, lt=0.5, description="Latest share of samples held out.")] = 0.2
    learning_rate: Annotated[float, Meta(gt=0, le=1, description="Adam learning rate (at most 1).")] = 1e-3
    start: Annotated[dt.date | None, Meta(description="First bar date used for training (YYYY-MM-DD), or all.")] = None

    def __post_init__(self) -> None:
        if self.members % 2 == 0:
            raise Invalid("members", f"members must be odd so the vote cannot tie, got {self.members}")
        if len(self.seeds) < self.members:
            raise Invalid(None, f"training.seeds has {len(self.seeds)} seeds for {self.members} members; add seeds")
        used = self.seeds[: self.members]
        twice = sorted({s for s in used if used.count(s) > 1})
        if twice:
            raise Invalid(
                "seeds", f"seed {twice[0]} is used twice: two members would be the same model; give each its own"
            )


class LifecycleSettings(Section, frozen=True):
    """Models that stay current: age limit, shadow calls, the promotion gate, the rollback flag."""

    max_model_age_days: Annotated[
        int,
        Meta(ge=1, le=3650, description="Days after the champion's last training bar before posts warn (1-3650)."),
    ] = 100
    shadow_days: Annotated[
        int,
        Meta(
            ge=1,
            le=260,
            description="A challenger's trial window: the scored shadow calls it is judged on, once (1-260).",
        ),
    ] = 20
    alpha_per_year: Annotated[
        float,
        Meta(
            gt=0,
            le=0.5,
            description="Chance per pair and year that a challenger no better than its champion is promoted (0-0.5).",
        ),
    ] = 0.10
    decisions_per_year: Annotated[
        int,
        Meta(
            ge=1,
            le=366,
            description="Gate decisions per pair and year the budget is spent over (monthly retraining: 12; 1-366).",
        ),
    ] = 12
    holdback_months: Annotated[
        int,
        Meta(
            ge=0,
            le=24,
            description="Latest months a retrain holds back to judge its recipe on, for the gate (0-24; 0: off).",
        ),
    ] = 3
    auto_promote: Annotated[
        bool, Meta(description="Promote a challenger that passes the gate; false: only report, a person promotes.")
    ] = True
    rollback_calls: Annotated[
        int,
        Meta(ge=5, le=1000, description="Latest scored calls the champion's live record is judged on (5-1000)."),
    ] = 40
