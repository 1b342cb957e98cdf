"""The ``backtest`` section: costs, rollover, purge and the trial ledger of the walk-forward."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, field

from fxbot.config.schema import Invalid, Section, pair_code
from fxbot.errors import ConfigError

#: Round-trip cost per trade in pips: typical retail ECN spreads plus commission for the three crosses
#: (USD/JPY is the tightest, GBP/JPY the widest); an assumption to override with your broker's figures.
DEFAULT_COST_PIPS = {"USDJPY": 0.4, "EURJPY": 0.6, "GBPJPY": 1.0}
COST_PIPS_SHAPE = "a mapping of pair to pips, e.g. {USDJPY: 0.4, EURJPY: 0.6, GBPJPY: 1.0}"


class BacktestSettings(Section, frozen=True):
    """Walk-forward backtest: costs, rollover, purge and the trial ledger."""

    # A bare number is accepted by the schema only to refuse it with a message naming the new shape.
    cost_pips: Annotated[
        dict[str, float] | float,
        Meta(description="Cost per trade in pips per pair (0-100 each), e.g. {USDJPY: 0.4}."),
    ] = field(default_factory=lambda: dict(DEFAULT_COST_PIPS))
    rollover_markup: Annotated[
        float,
        Meta(ge=0, le=10, description="Broker mark-up on rollover, percent per year (0-10), paid long and short."),
    ] = 0.5
    rates_dir: Annotated[
        Path,
        Meta(
            description="Folder of monthly interest-rate CSVs for rollover (see data/rates/SOURCE.md); "
            "{shipped}/ at its start means the package's copy."
        ),
    ] = Path("{shipped}/data/rates")
    embargo_days: Annotated[
        int,
        Meta(
            ge=0,
            le=260,
            description="Samples dropped before each test/validation start (0-260; never below the label horizon).",
        ),
    ] = 0
    # A user's experiments go to their state folder; the project's own committed record (reports/trials.jsonl)
    # is named explicitly (configs/reports.yaml), never a default a backtest appends to by surprise.
    trials_file: Annotated[
        Path,
        Meta(
            description="JSON-lines ledger every walk-forward run appends one record to (never rewritten); "
            "{state_dir}/ at its start means state_dir."
        ),
    ] = Path("{state_dir}/trials.jsonl")

    def __post_init__(self) -> None:
        if not isinstance(self.cost_pips, dict):
            raise Invalid("cost_pips", f"cost_pips is per pair now: give {COST_PIPS_SHAPE}")
        out: dict[str, float] = {}
        for name, value in self.cost_pips.items():
            pips = float(value)
            if not 0 <= pips <= 100:  # also false for NaN
                raise Invalid("cost_pips", f"cost for {name} must be between 0 and 100 pips, got {pips}")
            code = pair_code(name, "cost_pips")
            if code in out:
                raise Invalid("cost_pips", f"{code} is given twice (two spellings of one pair); keep one")
            out[code] = pips
        msgspec.structs.force_setattr(self, "cost_pips", out)

    def cost_for(self, pair: str) -> float:
        """Cost per trade of ``pair`` in pips; a pair without one is a configuration error."""
        costs = self.cost_pips
        if isinstance(costs, dict) and pair in costs:
            return costs[pair]
        raise ConfigError(f"backtest.cost_pips has no entry for {pair}; give every backtested pair a cost")
