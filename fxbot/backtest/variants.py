"""Model variants for sweeps: what a variant may change (inputs, target, size), read from a YAML file.

Every variant keeps the product's core: an LSTM per member, ``training.members`` members with
``training.seeds``, and the majority vote. It varies only

- ``features``: a named feature set of ``fxbot.features`` (``base``: today's eight; ``momentum_vol``:
  plus multi-horizon momentum and realised volatility; ``cross``: plus the other two pairs' returns);
- ``target``: ``next_day`` (C_{D+1} > C_D) or ``5_days`` (C_{D+5} > C_D);
- ``units``: the LSTM's size (default: ``training.units``).

File format (``fxbot backtest --variants FILE.yaml``)::

    variants:
      - name: base
      - name: momentum-5d
        features: momentum_vol
        target: 5_days
        units: 16
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from fxbot.config import TrainingSettings, validation_error_path
from fxbot.errors import ConfigError
from fxbot.features import feature_names

Target = Literal["next_day", "5_days"]
HORIZONS: dict[str, int] = {"next_day": 1, "5_days": 5}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class Variant(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One model variant of a sweep."""

    name: Annotated[str, Meta(description="Unique name; also the variant's report folder.")]
    features: Annotated[
        Literal["base", "momentum_vol", "cross"], Meta(description="Named feature set of fxbot.features.")
    ] = "base"
    target: Annotated[Target, Meta(description="next_day or 5_days (up over the next 5 trading days).")] = "next_day"
    units: Annotated[int, Meta(ge=1, le=1024, description="LSTM units (1-1024).")] | None = None

    @property
    def horizon(self) -> int:
        """Trading days between the decision day and the close its label compares with."""
        return HORIZONS[self.target]

    def training(self, cfg: TrainingSettings) -> TrainingSettings:
        """``cfg`` with this variant's size."""
        return cfg if self.units is None else msgspec.structs.replace(cfg, units=self.units)

    def feature_list(self, pair: str, pairs: list[str]) -> list[str]:
        """The feature columns this variant feeds the members of ``pair``."""
        return feature_names(self.features, tuple(p for p in pairs if p != pair))


DEFAULT = Variant(name="default")


class _File(Struct, frozen=True, forbid_unknown_fields=True):
    variants: list[Variant]


def load_variants(path: Path) -> list[Variant]:
    """Read a variants file; every problem is a ConfigError naming the key."""
    import yaml

    from fxbot.config import MAX_CONFIG_BYTES, TooManyAliases, safe_yaml
    from fxbot.safefiles import read_bounded

    try:
        raw = safe_yaml(read_bounded(path, MAX_CONFIG_BYTES, "give a variants file", ConfigError).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"variants file {path} does not exist") from None
    except TooManyAliases as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not valid YAML; fix the syntax") from None
    try:
        parsed = msgspec.convert(raw, _File)
    except msgspec.ValidationError as exc:
        where, detail = validation_error_path(exc, _File, raw, "unknown key; use name, features, target, units")
        raise ConfigError(f"{path}: {where}: {detail}") from None
    names = [v.name for v in parsed.variants]
    if not names:
        raise ConfigError(f"{path}: variants: list at least one variant")
    for i, name in enumerate(names):
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{path}: variants.{i}.name: {name!r} must be letters, digits, '_', '.', '-' (<= 64)")
        if name in names[:i]:
            raise ConfigError(f"{path}: variants.{i}.name: {name!r} is used twice; give each variant its own name")
    return parsed.variants
