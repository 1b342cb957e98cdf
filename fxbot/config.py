"""Typed settings: defaults here, overrides from a YAML file; secrets only from the environment.

``load_settings`` reads ``--config``, else ``$FXBOT_CONFIG``, else the built-in defaults (which
``configs/default.yaml`` mirrors, key by key, with comments). Unknown keys and wrong types are
rejected with the dotted path of the key. Relative paths resolve against the working directory.
``{state_dir}/`` at the start of data.dir, model.dir or ledger.path stands for ``state_dir`` (the
defaults: all state in one folder apart from the code); ``$FXBOT_STATE_DIR`` overrides ``state_dir``.

The sections are frozen ``msgspec.Struct``s: msgspec imports at a fraction of pydantic's cost
(which was about 95 ms of the daily path). Every field carries its description (and its bounds) in a
``msgspec.Meta``. ``settings_from_mapping`` validates types, bounds and unknown keys; the checks
msgspec cannot express live in ``__post_init__``. Every number has a lower and an upper bound, so
none can be NaN or infinite. Before any of that, ``settings_from_mapping`` refuses a key or value
that looks like a credential (a Slack token or webhook URL, an OANDA token), naming its key but
never echoing it: secrets belong in the environment.
Building a section in code trusts its argument types, except that a nested section may be given as
a mapping, which is then validated like a file. ``yaml`` is imported only when a file is read.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import types
import typing
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct, field

from fxbot.errors import ConfigError
from fxbot.pairs import PAIRS, get_pair

DEFAULT_LEVERAGE = {"USDJPY": 1.79, "EURJPY": 1.68, "GBPJPY": 1.03}
UNKNOWN_KEY = "unknown key; check its spelling against configs/default.yaml"
#: The highest leverage accepted: 25x is the legal cap on retail FX leverage in Japan.
MAX_LEVERAGE = 25.0
#: At the start of data.dir, model.dir or ledger.path: the folder ``state_dir`` names.
STATE_DIR_MARK = "{state_dir}"
#: At the start of data.seed_dir or model.seed_dir: the package's own copies (``fxbot/shipped/``).
SHIPPED_MARK = "{shipped}"
#: What the package carries, in a wheel as in a checkout (where its entries are links to data/, models/ and
#: configs/default.yaml): the bundled history, the shipped models and the annotated default config.
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


def in_checkout(folder: Path | None = None) -> bool:
    """True if ``folder`` (the working directory) is an fxbot source checkout: its state stays in ``./state``."""
    here = folder or Path.cwd()
    return (here / "pyproject.toml").is_file() and (here / "fxbot" / "__init__.py").is_file()


def default_state_dir() -> Path:
    """``state`` inside a checkout; elsewhere ``$XDG_STATE_HOME/fxbot``, else ``~/.local/state/fxbot``.

    An installed fxbot (pipx, a wheel) run from any folder must not scatter state folders wherever it was
    started; the XDG base-directory rule says where a user's state lives (a relative XDG_STATE_HOME is ignored).
    """
    if in_checkout():
        return Path("state")
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "fxbot"


#: The environment variable that overrides ``state_dir`` (systemd's StateDirectory=, a Docker volume).
STATE_DIR_ENV = "FXBOT_STATE_DIR"
#: The largest config file read: the annotated default is about 4 KB; more is the wrong file.
MAX_CONFIG_BYTES = 1_000_000
#: Seeds must fit every library that takes one (numpy, TensorFlow, Python's random).
MAX_SEED = 2**31 - 1
SECRET_HINT = (
    "looks like a secret; secrets go in the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_WEBHOOK_URL, "
    "OANDA_API_TOKEN), "
    "never in the config file: remove it, and revoke it if the file was shared"
)
# Slack tokens (xoxb-, xoxp-, xoxa-, xoxe.xoxp-, xapp-), Slack webhook URLs, OANDA v20 tokens
# (32 hex, dash, 32 hex) and URLs that carry a password.
_SECRET = re.compile(
    r"xox[a-z]-|xoxe\.|xapp-|hooks\.slack(-gov)?\.com|[0-9a-f]{32}-[0-9a-f]{32}|^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@",
    re.IGNORECASE,
)


class _Invalid(ValueError):
    """A ``__post_init__`` check failed; ``key`` is the field it concerns (None: the whole section).

    msgspec turns it into a ValidationError at the section's path and keeps it as ``__cause__``,
    from which ``validation_error_path`` takes ``key`` (appended to the path) and ``detail``.
    """

    def __init__(self, key: str | None, detail: str) -> None:
        super().__init__(f"{key}: {detail}" if key else detail)
        self.key = key
        self.detail = detail


def _pair_code(name: str, key: str) -> str:
    """A pair's code; an unknown pair is an ``_Invalid`` error naming ``key``, the field that holds it."""
    try:
        return get_pair(name).code
    except ConfigError as exc:
        raise _Invalid(key, str(exc)) from None


@functools.cache
def _nested_sections(cls: type[Struct]) -> tuple[tuple[str, type[_Section]], ...]:
    """The fields of ``cls`` that are sections themselves, read from its annotations (nothing to register)."""
    out = []
    for info in msgspec.structs.fields(cls):
        kind = info.type
        if typing.get_origin(kind) is Annotated:
            kind = typing.get_args(kind)[0]
        if isinstance(kind, type) and issubclass(kind, _Section):
            out.append((info.name, kind))
    return tuple(out)


class _Section(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every settings section: immutable, keyword-only, unknown keys rejected."""

    def _sections(self) -> None:
        """Validate nested sections given as mappings in code (``Settings(data={"dir": ...})``)."""
        for name, section in _nested_sections(type(self)):
            value = getattr(self, name)
            if isinstance(value, dict):
                try:
                    converted = msgspec.convert(value, section, dec_hook=decode_hook)
                except msgspec.ValidationError as exc:
                    path, detail = validation_error_path(exc, section, value)
                    raise _Invalid(name if path == "(top level)" else f"{name}.{path}", detail) from None
                msgspec.structs.force_setattr(self, name, converted)


class AccountSettings(_Section, frozen=True):
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
                raise _Invalid("leverage", f"leverage for {name} must be > 0 and at most {MAX_LEVERAGE:g}, got {lev}")
            code = _pair_code(name, "leverage")
            if code in out:
                raise _Invalid("leverage", f"{code} is given twice (two spellings of one pair); keep one")
            out[code] = lev
        msgspec.structs.force_setattr(self, "leverage", out)


class OandaSettings(_Section, frozen=True):
    """OANDA v20 REST provider."""

    environment: Annotated[Literal["practice", "live"], Meta(description="Which OANDA host.")] = "practice"


class DataSettings(_Section, frozen=True):
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


class ModelSettings(_Section, frozen=True):
    """Shipped or trained ensembles, and how they run."""

    dir: Annotated[
        Path, Meta(description="The model registry (a folder per pair); {state_dir}/ at its start means state_dir.")
    ] = Path("{state_dir}/models")
    seed_dir: Annotated[
        Path,
        Meta(
            description="Shipped models: first champions under state_dir; newer ones arrive as challengers; "
            "{shipped}/ at its start means the package's copy."
        ),
    ] = Path("{shipped}/models")
    engine: Annotated[
        Literal["litert", "tensorflow"],
        Meta(description="litert: .tflite, no TensorFlow import; tensorflow: tf.Graph+Session per member."),
    ] = "litert"


class TrainingSettings(_Section, frozen=True):
    """How `fxbot train` (and the backtest) fit the ensembles."""

    members: Annotated[int, Meta(ge=1, le=25, description="Ensemble size (1-25); odd, so the vote never ties.")] = 5
    seeds: Annotated[
        list[Annotated[int, Meta(ge=0, le=MAX_SEED)]],
        Meta(description="One distinct seed per member (0 to 2**31-1)."),
    ] = field(default_factory=lambda: [11, 23, 37, 41, 53])
    units: Annotated[int, Meta(ge=1, le=1024, description="LSTM units (1-1024).")] = 32
    epochs: Annotated[
        int, Meta(ge=1, le=1000, description="Maximum epochs (1-1000; early stopping may end sooner).")
    ] = 30
    batch_size: Annotated[int, Meta(ge=1, le=4096, description="Mini-batch size (1-4096).")] = 32
    patience: Annotated[
        int, Meta(ge=0, le=1000, description="Early-stopping patience in epochs on validation loss (0-1000).")
    ] = 5
    validation_fraction: Annotated[float, Meta(gt=0, lt=0.5, description="Latest share of samples held out.")] = 0.2
    learning_rate: Annotated[float, Meta(gt=0, le=1, description="Adam learning rate (at most 1).")] = 1e-3
    start: Annotated[dt.date | None, Meta(description="First bar date used for training (YYYY-MM-DD), or all.")] = None

    def __post_init__(self) -> None:
        if self.members % 2 == 0:
            raise _Invalid("members", f"members must be odd so the vote cannot tie, got {self.members}")
        if len(self.seeds) < self.members:
            raise _Invalid(None, f"training.seeds has {len(self.seeds)} seeds for {self.members} members; add seeds")
        used = self.seeds[: self.members]
        twice = sorted({s for s in used if used.count(s) > 1})
        if twice:
            raise _Invalid(
                "seeds", f"seed {twice[0]} is used twice: two members would be the same model; give each its own"
            )


class SlackSettings(_Section, frozen=True):
    """Slack delivery; the credential (SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL) comes from the environment."""

    channel: Annotated[str, Meta(description="Channel ID for chat.postMessage (bot token).")] = ""
    error_channel: Annotated[str, Meta(description="Channel ID for alerts; empty: the same channel.")] = ""
    chart: Annotated[bool, Meta(description="Upload a PNG of the last 60 closes (bot token only).")] = False
    timeout_seconds: Annotated[
        float, Meta(gt=0, le=300, description="HTTP timeout for Slack calls (at most 300 s).")
    ] = 10.0
    retries: Annotated[
        int,
        Meta(ge=0, le=10, description="Retries (0-10): 429, unsent requests, posts not found after a fault."),
    ] = 3
    max_retry_after_seconds: Annotated[
        float,
        Meta(ge=0, le=3600, description="Longest Retry-After wait (429) honoured; past it, give up (exit 4)."),
    ] = 60.0


Colour = Literal["green", "red", "blue", "orange", "purple", "yellow"]


class RiskSettings(_Section, frozen=True):
    """The risk figures every post carries."""

    vol_window_days: Annotated[
        int,
        Meta(
            ge=2,
            le=1000,
            description=(
                "Daily returns of the normal-curve 1-day 99 % figure shown beside the historical one (2-1000)."
            ),
        ),
    ] = 60
    budget: Annotated[
        float,
        Meta(
            gt=0,
            lt=1,
            description=(
                "Drawdown budget, a fraction of equity: a post says by how much the 20-day 99.9 % loss from history "
                "exceeds it, and `fxbot risk` the leverage scale that keeps it within (0-1, e.g. 0.25)."
            ),
        ),
    ] = 0.25


class ColorSettings(_Section, frozen=True):
    """The colour of a BUY and of a SELL in posts (emoji) and charts; in Japan red often means up."""

    buy: Annotated[Colour, Meta(description="Colour of BUY.")] = "green"
    sell: Annotated[Colour, Meta(description="Colour of SELL.")] = "red"

    def __post_init__(self) -> None:
        if self.buy == self.sell:
            raise _Invalid("sell", f"buy and sell are both {self.buy!r}; give them different colours")


class NotifySettings(_Section, frozen=True):
    """Where and how the calls are reported."""

    locale: Annotated[Literal["en", "ja"], Meta(description="Message language.")] = "en"
    slack: Annotated[SlackSettings, Meta(description="Slack delivery.")] = field(default_factory=SlackSettings)
    risk: Annotated[RiskSettings, Meta(description="The risk figures of every post.")] = field(
        default_factory=RiskSettings
    )
    colors: Annotated[ColorSettings, Meta(description="BUY and SELL colours.")] = field(default_factory=ColorSettings)

    def __post_init__(self) -> None:
        self._sections()


class LedgerSettings(_Section, frozen=True):
    """SQLite state: runs, signals, deliveries, outcomes."""

    path: Annotated[Path, Meta(description="SQLite file; {state_dir}/ at its start means state_dir.")] = Path(
        "{state_dir}/fxbot.sqlite"
    )


class ScheduleSettings(_Section, frozen=True):
    """The `fxbot schedule` daemon."""

    cron: Annotated[str, Meta(description="Crontab expression (minute hour day month weekday).")] = "15 22 * * mon-fri"
    timezone: Annotated[str, Meta(description="Time zone of the cron expression.")] = "UTC"
    job_timeout: Annotated[
        float, Meta(gt=0, le=3600, description="Seconds before a daily job's child process is killed (at most 3600).")
    ] = 600.0
    misfire_grace_time: Annotated[
        int, Meta(gt=0, le=86400, description="Seconds a late job may still start (at most 86400, a day).")
    ] = 3600
    summary_cron: Annotated[
        str, Meta(description="When the weekly summary is posted (crontab fields, in `timezone`); empty: never.")
    ] = "30 22 * * fri"
    retrain_cron: Annotated[
        str,
        Meta(description="Crontab expression of `fxbot retrain` in the daemon (monthly, a quiet hour); empty: off."),
    ] = "30 3 2 * *"
    retrain_timeout: Annotated[
        float,
        Meta(ge=60, le=86400, description="Seconds before the retrain child process is killed (60-86400)."),
    ] = 7200.0


#: Round-trip cost per trade in pips: typical retail ECN spreads plus commission for the three crosses
#: (USD/JPY is the tightest, GBP/JPY the widest); an assumption to override with your broker's figures.
DEFAULT_COST_PIPS = {"USDJPY": 0.4, "EURJPY": 0.6, "GBPJPY": 1.0}
COST_PIPS_SHAPE = "a mapping of pair to pips, e.g. {USDJPY: 0.4, EURJPY: 0.6, GBPJPY: 1.0}"


class BacktestSettings(_Section, frozen=True):
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
        Path, Meta(description="Folder of monthly interest-rate CSVs for rollover (see data/rates/SOURCE.md).")
    ] = Path("data/rates")
    embargo_days: Annotated[
        int,
        Meta(
            ge=0,
            le=260,
            description="Samples dropped before each test/validation start (0-260; never below the label horizon).",
        ),
    ] = 0
    trials_file: Annotated[
        Path, Meta(description="JSON-lines ledger every walk-forward run appends one record to (never rewritten).")
    ] = Path("reports/trials.jsonl")

    def __post_init__(self) -> None:
        if not isinstance(self.cost_pips, dict):
            raise _Invalid("cost_pips", f"cost_pips is per pair now: give {COST_PIPS_SHAPE}")
        out: dict[str, float] = {}
        for name, value in self.cost_pips.items():
            pips = float(value)
            if not 0 <= pips <= 100:  # also false for NaN
                raise _Invalid("cost_pips", f"cost for {name} must be between 0 and 100 pips, got {pips}")
            code = _pair_code(name, "cost_pips")
            if code in out:
                raise _Invalid("cost_pips", f"{code} is given twice (two spellings of one pair); keep one")
            out[code] = pips
        msgspec.structs.force_setattr(self, "cost_pips", out)

    def cost_for(self, pair: str) -> float:
        """Cost per trade of ``pair`` in pips; a pair without one is a configuration error."""
        costs = self.cost_pips
        if isinstance(costs, dict) and pair in costs:
            return costs[pair]
        raise ConfigError(f"backtest.cost_pips has no entry for {pair}; give every backtested pair a cost")


class LifecycleSettings(_Section, frozen=True):
    """Models that stay current: age limit, shadow calls, the promotion gate, the rollback flag."""

    max_model_age_days: Annotated[
        int,
        Meta(ge=1, le=3650, description="Days after the champion's last training bar before posts warn (1-3650)."),
    ] = 100
    shadow_days: Annotated[
        int,
        Meta(
            ge=1,
            le=260,
            description="A challenger's trial window: the scored shadow calls it is judged on, once (1-260).",
        ),
    ] = 20
    alpha_per_year: Annotated[
        float,
        Meta(
            gt=0,
            le=0.5,
            description="Chance per pair and year that a challenger no better than its champion is promoted (0-0.5).",
        ),
    ] = 0.10
    decisions_per_year: Annotated[
        int,
        Meta(
            ge=1,
            le=366,
            description="Gate decisions per pair and year the budget is spent over (monthly retraining: 12; 1-366).",
        ),
    ] = 12
    holdback_months: Annotated[
        int,
        Meta(
            ge=0,
            le=24,
            description="Latest months a retrain holds back to judge its recipe on, for the gate (0-24; 0: off).",
        ),
    ] = 3
    auto_promote: Annotated[
        bool, Meta(description="Promote a challenger that passes the gate; false: only report, a person promotes.")
    ] = True
    rollback_calls: Annotated[
        int,
        Meta(ge=5, le=1000, description="Latest scored calls the champion's live record is judged on (5-1000)."),
    ] = 40


class HeartbeatSettings(_Section, frozen=True):
    """Signs of life: the FXBOT_PING_URL pings and the daemon's liveness file (`fxbot status --health`)."""

    timeout_seconds: Annotated[
        float, Meta(gt=0, le=30, description="HTTP timeout of one FXBOT_PING_URL ping, seconds (at most 30).")
    ] = 5.0
    max_age_seconds: Annotated[
        float,
        Meta(
            ge=30, le=3600, description="`status --health` fails when the daemon's liveness file is older (30-3600 s)."
        ),
    ] = 120.0


class MetricsSettings(_Section, frozen=True):
    """The Prometheus textfile written after every run."""

    textfile: Annotated[
        str, Meta(description="Prometheus textfile path (node_exporter's textfile collector); empty: off.")
    ] = ""


class SiteSettings(_Section, frozen=True):
    """The static track-record page (`fxbot site`)."""

    dir: Annotated[
        str,
        Meta(description="Folder `fxbot site` writes index.html to, and every run rewrites it after; empty: off."),
    ] = ""
    url: Annotated[
        str, Meta(description="Where readers find the page (said by `/fxbot record`); empty: the folder is said.")
    ] = ""

    def __post_init__(self) -> None:
        if self.url and not re.fullmatch(r"https?://\S+", self.url):
            raise _Invalid("url", "must be an http:// or https:// address, or empty")


#: A Slack channel ID (C: public, G: private or multi-person DM, D: direct message) or user ID (U, W).
_SLACK_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,20}")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{6,20}")


def _slack_ids(values: list[str], key: str, pattern: re.Pattern[str], example: str) -> None:
    for i, value in enumerate(values):
        if not pattern.fullmatch(value):
            # Echo only what looks harmless (a name or a short ID); a long value could be a pasted secret.
            shown = f", got {value!r}" if len(value) <= 40 and re.fullmatch(r"[#@]?[\w.-]*", value) else ""
            raise _Invalid(
                f"{key}.{i}",
                f"must be a Slack ID like {example}{shown}; copy it from the profile or channel details in Slack",
            )
    twice = next((v for j, v in enumerate(values) if v in values[:j]), None)
    if twice:
        raise _Invalid(key, f"{twice} is listed twice; list each ID once")


class SlackAppSettings(_Section, frozen=True):
    """`fxbot slack-app`: who may ask (slash commands, App Home) and how the Socket Mode link is kept alive."""

    allowed_users: Annotated[
        list[str],
        Meta(description="User IDs (U.../W...) who may ask; empty: any user in an allowed channel (no App Home)."),
    ] = field(default_factory=list)
    allowed_channels: Annotated[
        list[str],
        Meta(description="Channel IDs (C.../G.../D...) where commands are answered; empty: any channel."),
    ] = field(default_factory=list)
    keepalive_seconds: Annotated[
        float,
        Meta(
            ge=0.01, le=600, description="Seconds between keepalive checks (auth.test, the socket's pongs), 0.01-600."
        ),
    ] = 60.0
    # At least 1 s: slack_sdk's built-in client counts a session as stale after 4 ping intervals without a
    # pong, and a session it has just swapped in may have waited up to 3 s (its socket timeout) for that.
    ping_interval_seconds: Annotated[
        float, Meta(ge=1, le=300, description="Seconds between WebSocket pings to Slack (1-300).")
    ] = 10.0
    # At least 5 s, and more than 5 ping intervals + 3 s (checked below): slack_sdk's built-in client first
    # tries to mend a link itself, and holds the old socket up to its 3 s timeout while it swaps to a new one.
    stale_after_seconds: Annotated[
        float,
        Meta(ge=5, le=3600, description="No pong (or no auth.test) for this long (5-3600 s): the process exits 4."),
    ] = 180.0
    home_poll_seconds: Annotated[
        float,
        Meta(ge=0.05, le=3600, description="Seconds between looks at the ledger for a new completed run (0.05-3600)."),
    ] = 60.0

    def __post_init__(self) -> None:
        _slack_ids(self.allowed_users, "allowed_users", _SLACK_USER_ID, "U0123ABCD")
        _slack_ids(self.allowed_channels, "allowed_channels", _SLACK_CHANNEL_ID, "C0123ABCD")
        # slack_sdk's built-in client gives up on a reset socket after 5 failed pings and then reconnects,
        # which may take its 3 s socket timeout: staleness must not be declared before it had that chance.
        least = 5 * self.ping_interval_seconds + 3
        if self.stale_after_seconds <= least:
            raise _Invalid(
                "stale_after_seconds",
                f"must be longer than 5 ping intervals plus 3 s ({least:g} s with ping_interval_seconds "
                f"{self.ping_interval_seconds:g}): the client needs that long to replace a dead link itself",
            )


class Settings(_Section, frozen=True):
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
            raise _Invalid("pairs", "at least one pair is needed")
        codes = [_pair_code(p, "pairs") for p in self.pairs]
        twice = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
        if twice:
            raise _Invalid(
                "pairs", f"{twice} is listed twice; list each pair once (it would be called and posted twice)"
            )
        msgspec.structs.force_setattr(self, "pairs", codes)
        # A leverage map in a config file replaces the default one: catch a forgotten pair at load time.
        missing = [p for p in self.pairs if p not in self.account.leverage]
        if missing:
            raise _Invalid(
                None, f"account.leverage has no entry for {', '.join(missing)}; give every pair in `pairs` a leverage"
            )

    def _place_state(self) -> None:
        """Expand the ``{state_dir}/`` at the start of data.dir, model.dir and ledger.path into ``state_dir``."""
        for name, key in (("data", "dir"), ("model", "dir"), ("ledger", "path")):
            section = getattr(self, name)
            path = getattr(section, key)
            if path.parts and path.parts[0] == STATE_DIR_MARK:
                placed = self.state_dir.joinpath(*path.parts[1:])
                msgspec.structs.force_setattr(self, name, msgspec.structs.replace(section, **{key: placed}))
            elif STATE_DIR_MARK in str(path):
                raise _Invalid(f"{name}.{key}", f"{STATE_DIR_MARK} may only start a path, as in {STATE_DIR_MARK}/data")
        for name in ("data", "model"):
            section = getattr(self, name)
            if section.seed_dir.parts and section.seed_dir.parts[0] == SHIPPED_MARK:
                placed = SHIPPED_DIR.joinpath(*section.seed_dir.parts[1:])
                msgspec.structs.force_setattr(self, name, msgspec.structs.replace(section, seed_dir=placed))
            elif SHIPPED_MARK in str(section.seed_dir):
                raise _Invalid(f"{name}.seed_dir", f"{SHIPPED_MARK} may only start a path, as in {SHIPPED_MARK}/models")

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


def key_bounds(section: type[Struct], key: str) -> tuple[type, Meta]:
    """The number type and the ``Meta`` (ge/gt/le/lt) of ``section.key``: a command-line option shares them."""
    hint = typing.get_type_hints(section, include_extras=True)[key]
    kind, *extras = typing.get_args(hint)
    meta = next(m for m in extras if isinstance(m, Meta))
    return kind, meta


class SecretStr:
    """A credential that never prints: ``repr`` and ``str`` mask it; ``get_secret_value()`` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself; pass it on to the client that needs it, never to a message or log."""
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Secrets(Struct, frozen=True, kw_only=True):
    """Credentials and endpoint overrides, read only from the environment; they never print."""

    # SLACK_BOT_TOKEN: posts with chat.postMessage (exactly-once delivery).
    slack_bot_token: SecretStr | None = None
    # SLACK_APP_TOKEN: the app-level token (xapp-, connections:write) of `fxbot slack-app` (Socket Mode).
    slack_app_token: SecretStr | None = None
    # SLACK_WEBHOOK_URL: an incoming webhook (never re-sent after an uncertain outcome).
    slack_webhook_url: SecretStr | None = None
    # OANDA_API_TOKEN: the OANDA v20 REST provider.
    oanda_api_token: SecretStr | None = None
    # FXBOT_SLACK_API_URL: Slack Web API base URL (GovSlack, tests).
    slack_api_url: str | None = None
    # FXBOT_OANDA_API_URL: OANDA host (practice vs live, tests).
    oanda_api_url: str | None = None
    # FXBOT_YAHOO_API_URL: Yahoo chart API base URL (tests).
    yahoo_api_url: str | None = None
    # FXBOT_PING_URL: dead-man's switch (healthchecks.io conventions); its path holds the check's key.
    ping_url: SecretStr | None = None

    def values(self) -> list[str]:
        """Every secret that is set, as plain strings: what the redaction filter must hide."""
        held = (self.slack_bot_token, self.slack_app_token, self.slack_webhook_url, self.oanda_api_token, self.ping_url)
        return [s.get_secret_value() for s in held if s is not None]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        """Read the documented variables; empty values count as unset."""
        env = dict(os.environ) if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def secret(name: str) -> SecretStr | None:
            value = get(name)
            return None if value is None else SecretStr(value)

        return cls(
            slack_bot_token=secret("SLACK_BOT_TOKEN"),
            slack_app_token=secret("SLACK_APP_TOKEN"),
            slack_webhook_url=secret("SLACK_WEBHOOK_URL"),
            oanda_api_token=secret("OANDA_API_TOKEN"),
            slack_api_url=get("FXBOT_SLACK_API_URL"),
            oanda_api_url=get("FXBOT_OANDA_API_URL"),
            yahoo_api_url=get("FXBOT_YAHOO_API_URL"),
            ping_url=secret("FXBOT_PING_URL"),
        )


def decode_hook(type_: type, obj: object) -> object:
    """``dec_hook`` for ``msgspec.convert``: builds the ``Path`` fields from strings (or paths)."""
    if type_ is Path:
        if isinstance(obj, str | PurePath):
            return Path(obj)
        raise TypeError(f"Expected `str`, got `{'null' if obj is None else type(obj).__name__}`")
    raise TypeError(f"Unsupported type {type_!r}")


def _bare(tp: Any) -> Any:
    """``tp`` without its ``Annotated`` metadata."""
    return typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp


def _field_type(root: type, path: list[str]) -> Any:
    """The declared type at ``path`` below the Struct ``root`` (None if the path leaves the schema)."""
    tp: Any = root
    for key in path:
        tp = _bare(tp)
        if isinstance(tp, type) and issubclass(tp, Struct):
            tp = next((f.type for f in msgspec.structs.fields(tp) if f.name == key), None)
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    return None if tp is None else _bare(tp)


def _hint(tp: Any) -> str:
    """How to fix a value of type ``tp``: the allowed choices, or the date format."""
    options = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    for option in options:
        if typing.get_origin(option) is Literal:
            return "; use one of " + ", ".join(repr(v) for v in typing.get_args(option))
        if option is dt.date:
            return "; write dates as YYYY-MM-DD" + (" or null" if type(None) in options else "")
    return ""


def validation_error_path(
    exc: msgspec.ValidationError, root: type, raw: object, unknown_key: str = UNKNOWN_KEY
) -> tuple[str, str]:
    """The dotted key path (``data.provder``, ``pairs.1``) and the detail of a msgspec error.

    ``root`` is the Struct type and ``raw`` the data that failed to convert into it; they resolve
    what msgspec leaves out: the key of a bad mapping value (``$.account.leverage[...]``) and the
    allowed values of a choice. ``unknown_key`` is the detail for a key the schema does not have.
    """
    message = str(exc)
    detail, at, where = message.rpartition(" - at `")
    if not at:
        detail, where = message, ""
    is_key = where.startswith("key` in `")
    path = [a or b for a, b in re.findall(r"\.([^.\[`]+)|\[([^\]]*)\]", where.removeprefix("key` in `"))]
    cause = exc.__cause__
    unknown = re.fullmatch(r"Object contains unknown field `(.*)`", detail)
    missing = re.fullmatch(r"Object missing required field `(.*)`", detail)
    if unknown:
        path.append(unknown.group(1))
        detail = unknown_key
    elif missing:
        path.append(missing.group(1))
        detail = "required key is missing"
    elif isinstance(cause, _Invalid):
        path += [cause.key] if cause.key else []
        detail = cause.detail
    elif is_key:
        detail = f"a key: {detail}"
    if "..." in path:
        path = _resolve_mapping_key(root, raw, path)
    if not (unknown or missing or is_key or isinstance(cause, _Invalid)):
        detail += _hint(_field_type(root, path))
    return ".".join(path) or "(top level)", detail


def _resolve_mapping_key(root: type, raw: object, path: list[str]) -> list[str]:
    """Replace the ``...`` that msgspec writes for a mapping's key by the first key whose value fails."""
    cut = path.index("...")
    container: Any = raw
    for key in path[:cut]:
        if isinstance(container, dict):
            container = container.get(key)
        elif isinstance(container, list) and key.isdigit() and int(key) < len(container):
            container = container[int(key)]
        else:
            return path
    value_type = _field_type(root, [*path[:cut], "..."])
    if not isinstance(container, dict) or value_type is None:
        return path
    for key, value in container.items():
        try:
            msgspec.convert(value, value_type, dec_hook=decode_hook)
        except msgspec.ValidationError:
            return [*path[:cut], str(key), *path[cut + 1 :]]
    return path


def looks_like_secret(text: str) -> bool:
    """True if ``text`` holds something shaped like a Slack or OANDA credential (or a URL with a password)."""
    return _SECRET.search(text) is not None


def _refuse_secrets_and_non_finite(value: object, path: list[str], source: str) -> None:
    """Raise ConfigError for a key or string that looks like a secret, or a float that is NaN or infinite.

    Runs before the schema, whose messages would echo a bad value (``unknown pair 'xoxb-...'``,
    ``Invalid enum value``) or a bad key (``xoxb-...: unknown key``). The message names the key, never the value.
    """
    where = ".".join(path) or "(top level)"
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and looks_like_secret(key):
                raise ConfigError(f"{source}: {where}: a key {SECRET_HINT}")
            _refuse_secrets_and_non_finite(item, [*path, str(key)], source)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_secrets_and_non_finite(item, [*path, str(i)], source)
    elif isinstance(value, str) and looks_like_secret(value):
        raise ConfigError(f"{source}: {where}: the value {SECRET_HINT}")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{source}: {where}: {value} is not a finite number; give the number within the bounds")


def settings_from_mapping(raw: dict[str, Any], source: str = "config") -> Settings:
    """Validate a mapping (as parsed from YAML) into Settings, or raise a one-line ConfigError."""
    _refuse_secrets_and_non_finite(raw, [], source)
    try:
        return msgspec.convert(raw, Settings, dec_hook=decode_hook)
    except msgspec.ValidationError as exc:
        path, detail = validation_error_path(exc, Settings, raw)
        raise ConfigError(f"{source}: {path}: {detail}") from None


#: YAML aliases (``*name``) a settings file may hold. Settings never need many; each one can multiply
#: the document (the "billion laughs"), which the secret and number scan then walks in full.
MAX_YAML_ALIASES = 16


class TooManyAliases(ValueError):
    """A YAML document refers to its anchors more often than ``MAX_YAML_ALIASES``."""


def safe_yaml(text: str, max_aliases: int = MAX_YAML_ALIASES) -> Any:
    """``yaml.safe_load(text)``, refusing (``TooManyAliases``) a document with more than ``max_aliases`` aliases.

    The count is taken while composing, before anything is expanded: a "billion laughs" document
    is refused at its 17th alias, in microseconds.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > max_aliases:
                    mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                    raise TooManyAliases(
                        f"more than {max_aliases} YAML aliases (*name), at line {mark.line + 1}: refused, "
                        "as a document that expands without bound would be"
                    )
            return super().compose_node(parent, index)

    loader = Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from ``path``, else ``$FXBOT_CONFIG``, else the built-in defaults."""
    chosen = path or os.environ.get("FXBOT_CONFIG") or None
    state_dir = os.environ.get(STATE_DIR_ENV, "").strip()
    if chosen is None:
        return settings_from_mapping({"state_dir": state_dir}, STATE_DIR_ENV) if state_dir else Settings()
    file = Path(chosen)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # a device or a huge file must not fill the memory
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist; pass --config PATH or unset FXBOT_CONFIG") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
    not_yaml, fix = f"{file}: not a YAML text file", "pass the settings file with --config or FXBOT_CONFIG"
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{not_yaml} (larger than {MAX_CONFIG_BYTES:,} bytes); {fix}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{not_yaml} (binary or not UTF-8); {fix}") from None
    if "\x00" in text:
        raise ConfigError(f"{not_yaml} (it holds NUL bytes: binary); {fix}")
    import yaml  # only here: the defaults need no YAML parser (about 15 ms of the daily path's import)

    try:
        raw = safe_yaml(text)
    except TooManyAliases as exc:
        raise ConfigError(f"{file}: {exc}; write the values out instead of referring to them") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{file}: not valid YAML{where}; fix the syntax") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of sections (account:, data:, ...)")
    if state_dir:  # the service manager's choice (StateDirectory=, a volume) wins over the file
        raw["state_dir"] = state_dir
    return settings_from_mapping(raw, str(file))
