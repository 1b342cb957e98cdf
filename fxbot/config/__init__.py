"""Typed settings: defaults here, overrides from a YAML file; secrets only from the environment.

``load_settings`` reads ``--config``, else ``$FXBOT_CONFIG``, else the built-in defaults (which
``configs/default.yaml`` mirrors, key by key, with comments). Unknown keys and wrong types are
rejected with the dotted path of the key. Relative paths resolve against the working directory.
``{state_dir}/`` at the start of data.dir, model.dir, ledger.path or backtest.trials_file stands for
``state_dir`` (the defaults: all state in one folder apart from the code); ``$FXBOT_STATE_DIR`` overrides
``state_dir``.

The sections are frozen ``msgspec.Struct``s: msgspec imports at a fraction of pydantic's cost
(which was about 95 ms of the daily path). Every field carries its description (and its bounds) in a
``msgspec.Meta``. ``settings_from_mapping`` validates types, bounds and unknown keys; the checks
msgspec cannot express live in ``__post_init__``. Every number has a lower and an upper bound, so
none can be NaN or infinite. Before any of that, ``settings_from_mapping`` refuses a key or value
that looks like a credential (a Slack token or webhook URL, an OANDA token), naming its key but
never echoing it: secrets belong in the environment.
Building a section in code trusts its argument types, except that a nested section may be given as
a mapping, which is then validated like a file. ``yaml`` is imported only when a file is read.

The package is split by section; it re-exports every public name, so ``from fxbot.config import X`` is the
way in:

    paths      state_dir's default, FXBOT_STATE_DIR, the {state_dir} and {shipped} marks
    schema     the base section, its check error (``Invalid``), msgspec's error paths, ``key_bounds``
    account, data, model, notify, schedule, backtest, outputs    the sections
    settings   ``Settings``: every section, and state_dir placed into the paths under it
    secrets    ``Secrets`` from the environment, ``SecretStr``, the credential shapes refused in a file
    loading    ``load_settings``, ``settings_from_mapping``, the guarded YAML reader
"""

from __future__ import annotations

from fxbot.config.account import DEFAULT_LEVERAGE, MAX_LEVERAGE, AccountSettings
from fxbot.config.backtest import COST_PIPS_SHAPE, DEFAULT_COST_PIPS, BacktestSettings
from fxbot.config.data import DataSettings, OandaSettings
from fxbot.config.loading import (
    MAX_CONFIG_BYTES,
    MAX_YAML_ALIASES,
    TooManyAliases,
    load_settings,
    safe_yaml,
    settings_from_mapping,
)
from fxbot.config.model import MAX_SEED, LifecycleSettings, ModelSettings, TrainingSettings
from fxbot.config.notify import ColorSettings, Colour, NotifySettings, RiskSettings, SlackAppSettings, SlackSettings
from fxbot.config.outputs import LedgerSettings, MetricsSettings, SiteSettings
from fxbot.config.paths import SHIPPED_DIR, SHIPPED_MARK, STATE_DIR_ENV, STATE_DIR_MARK, default_state_dir, in_checkout
from fxbot.config.schedule import HeartbeatSettings, ScheduleSettings
from fxbot.config.schema import UNKNOWN_KEY, decode_hook, key_bounds, validation_error_path
from fxbot.config.secrets import SECRET_HINT, Secrets, SecretStr, looks_like_secret
from fxbot.config.settings import Settings
from fxbot.errors import ConfigError

__all__ = [
    "COST_PIPS_SHAPE",
    "DEFAULT_COST_PIPS",
    "DEFAULT_LEVERAGE",
    "MAX_CONFIG_BYTES",
    "MAX_LEVERAGE",
    "MAX_SEED",
    "MAX_YAML_ALIASES",
    "SECRET_HINT",
    "SHIPPED_DIR",
    "SHIPPED_MARK",
    "STATE_DIR_ENV",
    "STATE_DIR_MARK",
    "UNKNOWN_KEY",
    "AccountSettings",
    "BacktestSettings",
    "ColorSettings",
    "Colour",
    "ConfigError",
    "DataSettings",
    "HeartbeatSettings",
    "LedgerSettings",
    "LifecycleSettings",
    "MetricsSettings",
    "ModelSettings",
    "NotifySettings",
    "OandaSettings",
    "RiskSettings",
    "ScheduleSettings",
    "SecretStr",
    "Secrets",
    "Settings",
    "SiteSettings",
    "SlackAppSettings",
    "SlackSettings",
    "TooManyAliases",
    "TrainingSettings",
    "decode_hook",
    "default_state_dir",
    "in_checkout",
    "key_bounds",
    "load_settings",
    "looks_like_secret",
    "safe_yaml",
    "settings_from_mapping",
    "validation_error_path",
]
