"""Direction baselines (fxbot.backtest.baselines): hand-computed calls and no look-ahead."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from fxbot.backtest import baselines as bl

CLOSE = np.array([100.0, 101.0, 101.0, 100.5, 102.0, 103.0])


def test_always_buy_and_repeat_yesterday_by_hand() -> None:
    assert bl.always_buy_direction(CLOSE).tolist() == [1] * 6
    # moves: -, +1, 0 (flat: SELL, as the labels count it), -0.5, +1.5, +1
    assert bl.repeat_yesterday_direction(CLOSE).tolist() == [0, 1, -1, -1, 1, 1]
    # the same rule as the report's bool baseline on the days both define
    as_bool = bl.repeat_yesterday(CLOSE[1:], CLOSE[:-1])
    assert (bl.repeat_yesterday_direction(CLOSE)[1:] > 0).tolist() == as_bool.tolist()


def test_momentum_by_hand() -> None:
    # 3-day: close[D] vs close[D-3]: 100.5 > 100 -> +1; 102 > 101 -> +1; 103 > 101 -> +1
    assert bl.momentum_direction(CLOSE, 3).tolist() == [0, 0, 0, 1, 1, 1]
    # 2-day: 101 > 100 +1; 100.5 < 101 -1; 102 > 101 +1; 103 > 100.5 +1
    assert bl.momentum_direction(CLOSE, 2).tolist() == [0, 0, 1, -1, 1, 1]
    assert bl.momentum_direction(CLOSE, 10).tolist() == [0] * 6
    with pytest.raises(ValueError, match="lookback"):
        bl.momentum_direction(CLOSE, 0)


def test_tsmom_vote_by_hand() -> None:
    # horizons 1, 2, 3 on CLOSE: day 3: -1, -1, +1 -> SELL; day 4: +1 +1 +1 -> BUY; day 5: BUY
    assert bl.tsmom_vote_direction(CLOSE, (1, 2, 3)).tolist() == [0, 0, 0, -1, 1, 1]
    with pytest.raises(ValueError, match="odd"):
        bl.tsmom_vote_direction(CLOSE, (1, 2))


def test_tsmom_default_needs_a_year_and_never_ties() -> None:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.006, 600)))
    vote = bl.tsmom_vote_direction(close)
    assert bl.TSMOM_LOOKBACKS == (20, 60, 250)
    assert (vote[:250] == 0).all() and set(vote[250:].tolist()) <= {-1, 1}
    m20, m60, m250 = (bl.momentum_direction(close, k) for k in (20, 60, 250))
    np.testing.assert_array_equal(vote[250:], np.sign(m20 + m60 + m250)[250:])


@pytest.mark.parametrize(
    "rule",
    [
        bl.always_buy_direction,
        bl.repeat_yesterday_direction,
        lambda c: bl.momentum_direction(c, 60),
        lambda c: bl.momentum_direction(c, 250),
        bl.tsmom_vote_direction,
    ],
)
def test_no_look_ahead(rule: Callable[[np.ndarray], np.ndarray]) -> None:
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.006, 700)))
    base = rule(close)
    for cut in (260, 400, 699):
        perturbed = close.copy()
        perturbed[cut + 1 :] *= np.exp(rng.normal(0, 0.2, len(perturbed) - cut - 1))  # wild later bars
        np.testing.assert_array_equal(rule(perturbed)[: cut + 1], base[: cut + 1])
        # and a direction for D depends on the bars up to D: the prefix alone gives the same calls
        np.testing.assert_array_equal(rule(close[: cut + 1]), base[: cut + 1])


def test_direction_from_probability_and_bad_closes() -> None:
    assert bl.direction_from_probability(np.array([0.7, 0.5, 0.2])).tolist() == [1, -1, -1]
    with pytest.raises(ValueError, match="finite and positive"):
        bl.momentum_direction(np.array([100.0, np.nan, 101.0]), 1)
