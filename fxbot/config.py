"""Typed settings: defaults here, overrides from a YAML file; secrets only from the environment.

``load_settings`` reads ``--config``, else ``$FXBOT_CONFIG``, else the built-in defaults (which
``configs/default.yaml`` mirrors, key by key, with comments). Unknown keys and wrong types are
rejected with the dotted path of the key. Relative paths resolve against the working directory.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from fxbot.errors import ConfigError
from fxbot.pairs import PAIRS, get_pair

DEFAULT_LEVERAGE = {"USDJPY": 1.79, "EURJPY": 1.68, "GBPJPY": 1.03}


def _pair_code(name: str) -> str:
    """A pair's code; an unknown pair is a ValueError, so pydantic names the key that holds it."""
    try:
        return get_pair(name).code
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class AccountSettings(_Section):
    """Account size and per-pair leverage of the portfolio."""

    equity_jpy: float = Field(1_000_000.0, gt=0, description="Account equity in JPY used for sizing.")
    leverage: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_LEVERAGE),
        description="Leverage per pair as a multiple of equity (notional = leverage x equity).",
    )

    @field_validator("leverage")
    @classmethod
    def _known_pairs(cls, value: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, lev in value.items():
            if lev <= 0:
                raise ValueError(f"leverage for {name} must be > 0, got {lev}")
            out[_pair_code(name)] = float(lev)
        return out


class OandaSettings(_Section):
    """OANDA v20 REST provider."""

    environment: Literal["practice", "live"] = Field("practice", description="Which OANDA host.")


class DataSettings(_Section):
    """Where bars live and where new ones come from."""

    dir: Path = Field(Path("data"), description="Folder of <PAIR>.csv price files.")
    provider: Literal["auto", "oanda", "yahoo", "bundled"] = Field(
        "auto", description="auto: oanda if OANDA_API_TOKEN is set, else bundled (no network)."
    )
    max_staleness_days: int = Field(
        0, ge=0, description="Trading days the last bar may lag the last completed trading day."
    )
    max_jump: float = Field(0.15, gt=0, description="Reject a fetched close this far from the previous close.")
    timeout_seconds: float = Field(10.0, gt=0, description="Connect and read timeout for providers.")
    retries: int = Field(3, ge=0, description="Retries on connection errors, 429 and 5xx.")
    overlap_days: int = Field(5, ge=0, description="Trading days re-fetched before the last bar to detect revisions.")
    oanda: OandaSettings = Field(default_factory=OandaSettings)  # type: ignore[arg-type]


class ModelSettings(_Section):
    """Shipped or trained ensembles, and how they run."""

    dir: Path = Field(Path("models"), description="Folder with one sub-folder per pair.")
    engine: Literal["litert", "tensorflow"] = Field(
        "litert", description="litert: .tflite, no TensorFlow import; tensorflow: tf.Graph+Session per member."
    )


class TrainingSettings(_Section):
    """How `fxbot train` (and the backtest) fit the ensembles."""

    members: int = Field(5, ge=1, description="Ensemble size; odd, so the vote never ties.")
    seeds: list[int] = Field(default_factory=lambda: [11, 23, 37, 41, 53], description="One seed per member.")
    units: int = Field(32, ge=1, description="LSTM units.")
    epochs: int = Field(30, ge=1, description="Maximum epochs (early stopping may end sooner).")
    batch_size: int = Field(32, ge=1, description="Mini-batch size.")
    patience: int = Field(5, ge=0, description="Early-stopping patience in epochs on validation loss.")
    validation_fraction: float = Field(0.2, gt=0, lt=0.5, description="Latest share of samples held out.")
    learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate.")
    start: dt.date | None = Field(None, description="First bar date used for training (YYYY-MM-DD), or all.")

    @field_validator("members")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"members must be odd so the vote cannot tie, got {value}")
        return value

    @model_validator(mode="after")
    def _a_seed_per_member(self) -> TrainingSettings:
        if len(self.seeds) < self.members:
            raise ValueError(f"training.seeds has {len(self.seeds)} seeds for {self.members} members; add seeds")
        return self


class SlackSettings(_Section):
    """Slack delivery; the credential (SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL) comes from the environment."""

    channel: str = Field("", description="Channel ID for chat.postMessage (bot token).")
    error_channel: str = Field("", description="Channel ID for alerts; empty: the same channel.")
    chart: bool = Field(False, description="Upload a PNG of the last 60 closes (bot token only).")
    timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout for Slack calls.")
    retries: int = Field(3, ge=0, description="Retries for rate limits, connection errors and 5xx.")


class NotifySettings(_Section):
    """Where and how the calls are reported."""

    locale: Literal["en", "ja"] = Field("en", description="Message language.")
    slack: SlackSettings = Field(default_factory=SlackSettings)  # type: ignore[arg-type]


class LedgerSettings(_Section):
    """SQLite state: runs, signals, deliveries, outcomes."""

    path: Path = Field(Path("state/fxbot.sqlite"), description="SQLite file.")


class ScheduleSettings(_Section):
    """The `fxbot schedule` daemon."""

    cron: str = Field("15 22 * * mon-fri", description="Crontab expression (minute hour day month weekday).")
    timezone: str = Field("UTC", description="Time zone of the cron expression.")
    job_timeout: float = Field(600.0, gt=0, description="Seconds before a daily job's child process is killed.")
    misfire_grace_time: int = Field(3600, gt=0, description="Seconds a late job may still start.")


class BacktestSettings(_Section):
    """Walk-forward backtest."""

    cost_pips: float = Field(0.4, ge=0, description="Cost per trade in pips.")


class Settings(_Section):
    """All of fxbot's settings."""

    pairs: list[str] = Field(default_factory=lambda: list(PAIRS), description="Pairs to trade.")
    account: AccountSettings = Field(default_factory=AccountSettings)  # type: ignore[arg-type]
    data: DataSettings = Field(default_factory=DataSettings)  # type: ignore[arg-type]
    model: ModelSettings = Field(default_factory=ModelSettings)  # type: ignore[arg-type]
    training: TrainingSettings = Field(default_factory=TrainingSettings)  # type: ignore[arg-type]
    notify: NotifySettings = Field(default_factory=NotifySettings)  # type: ignore[arg-type]
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)  # type: ignore[arg-type]
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)  # type: ignore[arg-type]
    backtest: BacktestSettings = Field(default_factory=BacktestSettings)  # type: ignore[arg-type]

    @field_validator("pairs")
    @classmethod
    def _canonical_pairs(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one pair is needed")
        return [_pair_code(p) for p in value]

    @model_validator(mode="after")
    def _leverage_for_every_pair(self) -> Settings:
        # A leverage map in a config file replaces the default one: catch a forgotten pair at load time.
        missing = [p for p in self.pairs if p not in self.account.leverage]
        if missing:
            raise ValueError(
                f"account.leverage has no entry for {', '.join(missing)}; give every pair in `pairs` a leverage"
            )
        return self

    def leverage_for(self, pair: str) -> float:
        """Configured leverage of ``pair``; a pair without one is a configuration error."""
        try:
            return self.account.leverage[pair]
        except KeyError:
            raise ConfigError(f"account.leverage has no entry for {pair}; add one to the config") from None


class Secrets(BaseModel):
    """Credentials and endpoint overrides, read only from the environment; they never print."""

    slack_bot_token: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None
    oanda_api_token: SecretStr | None = None
    slack_api_url: str | None = None
    oanda_api_url: str | None = None
    yahoo_api_url: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        """Read the documented variables; empty values count as unset."""
        env = dict(os.environ) if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            slack_bot_token=get("SLACK_BOT_TOKEN"),  # type: ignore[arg-type]
            slack_webhook_url=get("SLACK_WEBHOOK_URL"),  # type: ignore[arg-type]
            oanda_api_token=get("OANDA_API_TOKEN"),  # type: ignore[arg-type]
            slack_api_url=get("FXBOT_SLACK_API_URL"),
            oanda_api_url=get("FXBOT_OANDA_API_URL"),
            yahoo_api_url=get("FXBOT_YAHOO_API_URL"),
        )


def _format_validation_error(exc: ValidationError, source: str) -> str:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        detail = "unknown key; check its spelling against configs/default.yaml"
    else:
        detail = first["msg"].removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{source}: {path}: {detail}{tail}"


def settings_from_mapping(raw: dict[str, Any], source: str = "config") -> Settings:
    """Validate a mapping (as parsed from YAML) into Settings, or raise a one-line ConfigError."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source)) from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from ``path``, else ``$FXBOT_CONFIG``, else the built-in defaults."""
    chosen = path or os.environ.get("FXBOT_CONFIG") or None
    if chosen is None:
        return Settings()
    file = Path(chosen)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist; pass --config PATH or unset FXBOT_CONFIG") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{file}: not valid YAML{where}; fix the syntax") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of sections (account:, data:, ...)")
    return settings_from_mapping(raw, str(file))
