"""Vote and sizing."""

from __future__ import annotations

import pytest

from fxbot.errors import ModelError
from fxbot.portfolio import size_position
from fxbot.voting import Direction, vote


@pytest.mark.parametrize(
    ("probs", "direction", "label"),
    [
        ([0.9, 0.6, 0.51, 0.2, 0.4], Direction.BUY, "3/5"),
        ([0.1, 0.2, 0.3, 0.4, 0.6], Direction.SELL, "4/5"),
        ([0.7] * 5, Direction.BUY, "5/5"),
        ([0.5, 0.5, 0.5, 0.5, 0.5], Direction.SELL, "5/5"),  # exactly 0.5 is not a BUY
        ([0.8], Direction.BUY, "1/1"),
    ],
)
def test_majority_vote(probs: list[float], direction: Direction, label: str) -> None:
    result = vote(probs)
    assert result.direction is direction and result.label == label


@pytest.mark.parametrize("probs", [[], [0.1, 0.9]])
def test_vote_needs_odd_members(probs: list[float]) -> None:
    with pytest.raises(ModelError, match="odd number"):
        vote(probs)


def test_sizing_is_leverage_times_equity() -> None:
    pos = size_position(Direction.BUY, 1.79, 1_000_000, 157.298)
    assert pos.notional_jpy == pytest.approx(1_790_000)
    assert pos.units == pytest.approx(1_790_000 / 157.298)
    assert round(pos.units) == 11380


def test_sizing_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        size_position(Direction.SELL, 1.0, 1_000_000, 0.0)
