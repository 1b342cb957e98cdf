"""The ``data`` section: where bars live and where new ones come from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta, field

from fxbot.config.schema import Section


class OandaSettings(Section, frozen=True):
    """OANDA v20 REST provider."""

    environment: Annotated[Literal["practice", "live"], Meta(description="Which OANDA host.")] = "practice"


class DataSettings(Section, frozen=True):
    """Where bars live and where new ones come from."""

    dir: Annotated[
        Path, Meta(description="Folder of <PAIR>.csv price files; {state_dir}/ at its start means state_dir.")
    ] = Path("{state_dir}/data")
    seed_dir: Annotated[
        Path,
        Meta(
            description="Bundled history copied into an empty data.dir under state_dir on first use; "
            "{shipped}/ at its start means the package's copy."
        ),
    ] = Path("{shipped}/data")
    provider: Annotated[
        Literal["auto", "oanda", "yahoo", "bundled"],
        Meta(description="auto: oanda if OANDA_API_TOKEN is set, else bundled (no network)."),
    ] = "auto"
    max_staleness_days: Annotated[
        int,
        Meta(ge=0, le=260, description="Trading days the last bar may lag the last completed trading day (0-260)."),
    ] = 0
    max_jump: Annotated[
        float, Meta(gt=0, le=0.5, description="Reject a fetched close this far (fraction, at most 0.5) from the last.")
    ] = 0.15
    timeout_seconds: Annotated[
        float, Meta(gt=0, le=300, description="Connect and read timeout for providers, seconds (at most 300).")
    ] = 10.0
    retries: Annotated[int, Meta(ge=0, le=10, description="Retries on connection errors, 429 and 5xx (0-10).")] = 3
    overlap_days: Annotated[
        int, Meta(ge=0, le=260, description="Trading days re-fetched before the last bar to detect revisions (0-260).")
    ] = 5
    oanda: Annotated[OandaSettings, Meta(description="OANDA v20 REST provider.")] = field(default_factory=OandaSettings)

    def __post_init__(self) -> None:
        self._sections()
