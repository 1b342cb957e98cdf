"""``Settings``: every section together, the pairs, and ``state_dir`` placed into the paths under it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, field

from fxbot.config.account import AccountSettings
from fxbot.config.backtest import BacktestSettings
from fxbot.config.data import DataSettings
from fxbot.config.model import LifecycleSettings, ModelSettings, TrainingSettings
from fxbot.config.notify import NotifySettings, SlackAppSettings
from fxbot.config.outputs import LedgerSettings, MetricsSettings, SiteSettings
from fxbot.config.paths import SHIPPED_DIR, SHIPPED_MARK, STATE_DIR_MARK, default_state_dir
from fxbot.config.schedule import HeartbeatSettings, ScheduleSettings
from fxbot.config.schema import Invalid, Section, pair_code
from fxbot.errors import ConfigError
from fxbot.pairs import PAIRS


class Settings(Section, frozen=True):
    """All of fxbot's settings."""

    pairs: Annotated[
        list[str], Meta(description="Pairs to trade, each once; spellings become codes (usd/jpy: USDJPY).")
    ] = field(default_factory=lambda: list(PAIRS))
    state_dir: Annotated[
        Path,
        Meta(
            description="Folder of everything fxbot changes (bars, model versions, ledger); FXBOT_STATE_DIR overrides. "
            "Default: state in a checkout, else $XDG_STATE_HOME/fxbot (~/.local/state/fxbot)."
        ),
    ] = field(default_factory=default_state_dir)
    account: Annotated[AccountSettings, Meta(description="Account size and per-pair leverage.")] = field(
        default_factory=AccountSettings
    )
    data: Annotated[DataSettings, Meta(description="Where bars live and where new ones come from.")] = field(
        default_factory=DataSettings
    )
    model: Annotated[ModelSettings, Meta(description="Shipped or trained ensembles, and how they run.")] = field(
        default_factory=ModelSettings
    )
    training: Annotated[TrainingSettings, Meta(description="How `fxbot train` fits the ensembles.")] = field(
        default_factory=TrainingSettings
    )
    notify: Annotated[NotifySettings, Meta(description="Where and how the calls are reported.")] = field(
        default_factory=NotifySettings
    )
    ledger: Annotated[LedgerSettings, Meta(description="SQLite state.")] = field(default_factory=LedgerSettings)
    schedule: Annotated[ScheduleSettings, Meta(description="The `fxbot schedule` daemon.")] = field(
        default_factory=ScheduleSettings
    )
    backtest: Annotated[BacktestSettings, Meta(description="Walk-forward backtest.")] = field(
        default_factory=BacktestSettings
    )
    heartbeat: Annotated[HeartbeatSettings, Meta(description="Pings and the daemon's liveness file.")] = field(
        default_factory=HeartbeatSettings
    )
    lifecycle: Annotated[
        LifecycleSettings, Meta(description="Model age, shadow calls, the promotion gate and the rollback flag.")
    ] = field(default_factory=LifecycleSettings)
    metrics: Annotated[MetricsSettings, Meta(description="The Prometheus textfile.")] = field(
        default_factory=MetricsSettings
    )
    slack_app: Annotated[SlackAppSettings, Meta(description="`fxbot slack-app`: slash commands, App Home.")] = field(
        default_factory=SlackAppSettings
    )
    site: Annotated[SiteSettings, Meta(description="The static track-record page.")] = field(
        default_factory=SiteSettings
    )

    def __post_init__(self) -> None:
        self._sections()
        self._place_state()
        if not self.pairs:
            raise Invalid("pairs", "at least one pair is needed")
        codes = [pair_code(p, "pairs") for p in self.pairs]
        twice = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
        if twice:
            raise Invalid(
                "pairs", f"{twice} is listed twice; list each pair once (it would be called and posted twice)"
            )
        msgspec.structs.force_setattr(self, "pairs", codes)
        # A leverage map in a config file replaces the default one: catch a forgotten pair at load time.
        missing = [p for p in self.pairs if p not in self.account.leverage]
        if missing:
            raise Invalid(
                None, f"account.leverage has no entry for {', '.join(missing)}; give every pair in `pairs` a leverage"
            )

    def _place_state(self) -> None:
        """Expand the ``{state_dir}/`` at the start of data.dir, model.dir, ledger.path and backtest.trials_file,
        and ``{shipped}/`` at the start of the seed folders and backtest.rates_dir."""
        for name, key in (("data", "dir"), ("model", "dir"), ("ledger", "path"), ("backtest", "trials_file")):
            section = getattr(self, name)
            path = getattr(section, key)
            if path.parts and path.parts[0] == STATE_DIR_MARK:
                placed = self.state_dir.joinpath(*path.parts[1:])
                msgspec.structs.force_setattr(self, name, msgspec.structs.replace(section, **{key: placed}))
            elif STATE_DIR_MARK in str(path):
                raise Invalid(f"{name}.{key}", f"{STATE_DIR_MARK} may only start a path, as in {STATE_DIR_MARK}/data")
        for name, key in (("data", "seed_dir"), ("model", "seed_dir"), ("backtest", "rates_dir")):
            section = getattr(self, name)
            path = getattr(section, key)
            if path.parts and path.parts[0] == SHIPPED_MARK:
                placed = SHIPPED_DIR.joinpath(*path.parts[1:])
                msgspec.structs.force_setattr(self, name, msgspec.structs.replace(section, **{key: placed}))
            elif SHIPPED_MARK in str(path):
                raise Invalid(f"{name}.{key}", f"{SHIPPED_MARK} may only start a path, as in {SHIPPED_MARK}/models")

    def under_state(self, path: Path) -> bool:
        """True if ``path`` lies inside ``state_dir`` (only such folders are seeded on first use)."""
        try:
            return path.resolve().is_relative_to(self.state_dir.resolve())
        except OSError:
            return False

    def leverage_for(self, pair: str) -> float:
        """Configured leverage of ``pair``; a pair without one is a configuration error."""
        try:
            return self.account.leverage[pair]
        except KeyError:
            raise ConfigError(f"account.leverage has no entry for {pair}; add one to the config") from None
