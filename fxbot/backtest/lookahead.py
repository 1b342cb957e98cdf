"""Look-ahead check (TensorFlow): recompute sampled calls with the data cut at their day, compare.

For a sampled pair and decision day D, the check takes the stored bars up to D only (the other
pairs' too, for the ``cross`` inputs), retrains the period's ensemble on the bars before the period's
first bar (found by position in the cut data, not by the walk-forward's own slicing), builds D's
window from the cut data (its last window) and asks each member again. Any bar after D that
reached the walk-forward's features, scaler or training would change a member's output; so would
a training window that reached into the period. Training is deterministic on CPU (seeded, op
determinism on) and is the walk-forward's own ``fit_members``, so outputs must match to float rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tensorflow import keras

from fxbot.backtest.purge import period_data
from fxbot.backtest.variants import DEFAULT, Variant
from fxbot.backtest.walkforward import WalkForwardResult
from fxbot.backtest.worker import configure_tensorflow, training_data
from fxbot.config import TrainingSettings
from fxbot.data.bars import Bars, as_date
from fxbot.errors import LookAheadError, ModelError
from fxbot.model.training import fit_members

PROB_TOLERANCE = 1e-4  # batch vs single-row inference differ by ~1e-7; a leak moves outputs by far more


@dataclass(frozen=True)
class CheckedCall:
    """One sampled call: the walk-forward's member outputs and the recomputed ones."""

    pair: str
    day: str
    period: str
    run_probs: tuple[float, ...]
    recomputed: tuple[float, ...]

    @property
    def max_difference(self) -> float:
        """Largest absolute difference between a member's two outputs."""
        return float(np.max(np.abs(np.subtract(self.run_probs, self.recomputed))))

    @property
    def same_call(self) -> bool:
        """True if every member calls the same side both times."""
        return all((a > 0.5) == (b > 0.5) for a, b in zip(self.run_probs, self.recomputed, strict=True))


def recompute_member_probs(
    bars: pd.DataFrame,
    period_start: pd.Timestamp,
    day: pd.Timestamp,
    cfg: TrainingSettings,
    variant: Variant = DEFAULT,
    embargo: int = 0,
    others: tuple[pd.DataFrame, ...] = (),
) -> np.ndarray:
    """Each member's P(up) for ``day`` from a model retrained with the data cut at ``day``."""
    cut = bars.loc[bars.index <= day]
    first_in_period = int(np.searchsorted(cut.index.to_numpy(), period_start.to_datetime64(), side="left"))
    # The period starts at the first bar on or after period_start, found by position in the cut data.
    start = np.datetime64(cut.index[first_in_period].date(), "D")
    cfg = variant.training(cfg)
    period = period_data(
        Bars.from_frame(cut),
        start,
        np.datetime64(day.date(), "D"),
        feature_set=variant.features,
        horizon=variant.horizon,
        embargo=embargo,
        validation_fraction=cfg.validation_fraction,
        others=tuple(Bars.from_frame(o.loc[o.index <= day]) for o in others),
        train_from=np.datetime64(cfg.start, "D") if cfg.start else None,
    )
    if len(period.call_dates) == 0 or as_date(period.call_dates[-1]) != day.date():
        raise ModelError(f"no window ends on {day.date()}; the bar is missing from the data")
    x = period.x_call[-1:]
    data = training_data(period)
    seeds = cfg.seeds[: cfg.members]
    members = fit_members(data, seeds, cfg, [f"check {day.date()} seed {seed}" for seed in seeds], None)
    out = [float(np.asarray(m.model(x, training=False)).reshape(-1)[0]) for m in members]
    del members
    keras.backend.clear_session()
    return np.array(out)


def sample_calls(result: WalkForwardResult, samples: int, seed: int = 0) -> list[tuple[str, int]]:
    """``samples`` (pair, call index) picks; the first one is a period's first day, where off-by-ones bite."""
    rng = np.random.default_rng(seed)
    pairs = sorted(result.calls)
    picks: list[tuple[str, int]] = []
    if samples <= 0:
        return picks
    pair = pairs[int(rng.integers(len(pairs)))]
    labels = result.calls[pair].period
    starts = [i for i in range(len(labels)) if i == 0 or labels[i] != labels[i - 1]]
    picks.append((pair, starts[int(rng.integers(len(starts)))]))
    while len(picks) < samples:
        pair = pairs[int(rng.integers(len(pairs)))]
        pick = (pair, int(rng.integers(len(result.calls[pair].dates))))
        if pick not in picks or len(picks) >= sum(len(c.dates) for c in result.calls.values()):
            picks.append(pick)
    return picks


def check_lookahead(
    result: WalkForwardResult,
    bars_by_pair: dict[str, pd.DataFrame],
    cfg: TrainingSettings,
    samples: int,
    progress: Callable[[str], None] | None = None,
    embargo: int = 0,
) -> list[CheckedCall]:
    """Recompute ``samples`` calls with the data cut at their day; raise LookAheadError on any difference."""
    configure_tensorflow(None)
    starts = {p.label: pd.Timestamp(p.start) for p in result.periods}
    checked = []
    for pair, i in sample_calls(result, samples):
        calls = result.calls[pair]
        day, label = calls.dates[i], str(calls.period[i])
        variant = result.variant
        others = tuple(b for p, b in bars_by_pair.items() if p != pair) if variant.features == "cross" else ()
        again = recompute_member_probs(bars_by_pair[pair], starts[label], day, cfg, variant, embargo, others)
        item = CheckedCall(pair, day.date().isoformat(), label, tuple(calls.member_probs[i]), tuple(again))
        checked.append(item)
        if progress:
            progress(
                f"look-ahead check {len(checked)}/{samples}: {pair} {item.day} ({label}) "
                f"max |difference| {item.max_difference:.2e}, {'same call' if item.same_call else 'CALL DIFFERS'}"
            )
    bad = [c for c in checked if not c.same_call or c.max_difference > PROB_TOLERANCE]
    if bad:
        first = bad[0]
        raise LookAheadError(
            f"look-ahead check FAILED on {len(bad)} of {len(checked)} sampled call(s), e.g. {first.pair} "
            f"{first.day}: walk-forward {np.round(first.run_probs, 6).tolist()} vs data cut at that day "
            f"{np.round(first.recomputed, 6).tolist()}; the backtest used information from after the call"
        )
    return checked
