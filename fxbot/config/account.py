"""The ``account`` section: equity and per-pair leverage."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta, field

from fxbot.config.schema import Invalid, Section, pair_code

DEFAULT_LEVERAGE = {"USDJPY": 1.79, "EURJPY": 1.68, "GBPJPY": 1.03}
#: The highest leverage accepted: 25x is the legal cap on retail FX leverage in Japan.
MAX_LEVERAGE = 25.0


class AccountSettings(Section, frozen=True):
    """Account size and per-pair leverage of the portfolio."""

    equity_jpy: Annotated[
        float, Meta(gt=0, le=1e12, description="Account equity in JPY used for sizing (at most 1e12).")
    ] = 1_000_000.0
    leverage: Annotated[
        dict[str, float],
        Meta(description="Leverage per pair as a multiple of equity (notional = leverage x equity); > 0, at most 25."),
    ] = field(default_factory=lambda: dict(DEFAULT_LEVERAGE))

    def __post_init__(self) -> None:
        out: dict[str, float] = {}
        for name, value in self.leverage.items():
            lev = float(value)
            if not 0 < lev <= MAX_LEVERAGE:  # also false for NaN
                raise Invalid("leverage", f"leverage for {name} must be > 0 and at most {MAX_LEVERAGE:g}, got {lev}")
            code = pair_code(name, "leverage")
            if code in out:
                raise Invalid("leverage", f"{code} is given twice (two spellings of one pair); keep one")
            out[code] = lev
        msgspec.structs.force_setattr(self, "leverage", out)
