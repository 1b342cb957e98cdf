"""Reading settings: a YAML file (``--config``, ``$FXBOT_CONFIG``) or the defaults, validated into ``Settings``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import msgspec

from fxbot.config.paths import STATE_DIR_ENV
from fxbot.config.schema import decode_hook, validation_error_path
from fxbot.config.secrets import SECRET_HINT, looks_like_secret
from fxbot.config.settings import Settings
from fxbot.errors import ConfigError

#: The largest config file read: the annotated default is about 4 KB; more is the wrong file.
MAX_CONFIG_BYTES = 1_000_000


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
