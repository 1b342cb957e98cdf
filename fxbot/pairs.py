"""Currency-pair metadata: the three JPY crosses fxbot trades, and how each source spells them."""

from __future__ import annotations

import msgspec

from fxbot.errors import ConfigError


class Pair(msgspec.Struct, frozen=True):
    """One currency pair, e.g. USD/JPY: base USD priced in quote JPY."""

    base: str
    quote: str
    pip_size: float
    price_decimals: int

    @property
    def code(self) -> str:
        """Compact code used in file names and config keys, e.g. ``USDJPY``."""
        return f"{self.base}{self.quote}"

    @property
    def display(self) -> str:
        """Human-readable name, e.g. ``USD/JPY``."""
        return f"{self.base}/{self.quote}"

    @property
    def oanda_instrument(self) -> str:
        """OANDA v20 instrument name, e.g. ``USD_JPY``."""
        return f"{self.base}_{self.quote}"

    @property
    def yahoo_symbol(self) -> str:
        """Yahoo Finance symbol, e.g. ``USDJPY=X``."""
        return f"{self.code}=X"


PAIRS: dict[str, Pair] = {
    p.code: p
    for p in (
        Pair("USD", "JPY", pip_size=0.01, price_decimals=3),
        Pair("EUR", "JPY", pip_size=0.01, price_decimals=3),
        Pair("GBP", "JPY", pip_size=0.01, price_decimals=3),
    )
}


def get_pair(name: str) -> Pair:
    """Look a pair up by any common spelling (``USDJPY``, ``usd/jpy``, ``USD_JPY``)."""
    code = name.strip().upper().replace("/", "").replace("_", "").replace("-", "")
    try:
        return PAIRS[code]
    except KeyError:
        known = ", ".join(PAIRS)
        raise ConfigError(f"unknown pair {name!r}: fxbot knows {known}") from None
