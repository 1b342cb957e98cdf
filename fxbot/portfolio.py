"""Position sizing: notional = leverage x equity (JPY); units of the base currency at the last close."""

from __future__ import annotations

import msgspec

from fxbot.voting import Direction


class Position(msgspec.Struct, frozen=True):
    """The sized call for one pair."""

    direction: Direction
    leverage: float
    equity_jpy: float
    price: float
    notional_jpy: float
    units: float


def size_position(direction: Direction, leverage: float, equity_jpy: float, price: float) -> Position:
    """Size a call: all fxbot pairs are quoted in JPY, so notional / price is units of the base."""
    if leverage <= 0 or equity_jpy <= 0 or price <= 0:
        raise ValueError(f"leverage, equity and price must be > 0 (got {leverage}, {equity_jpy}, {price})")
    notional = leverage * equity_jpy
    return Position(direction, leverage, equity_jpy, price, notional, notional / price)
