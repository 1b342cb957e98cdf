"""The argument types and the parser class the subcommands share: dates, bounded numbers, one-line errors.

A number's bounds come from the config key it overrides where there is one (``config_number``), so a
bound is defined once, in ``fxbot.config``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from msgspec import Meta, Struct

from fxbot.config import key_bounds

if TYPE_CHECKING:
    #: What ``add_subparsers`` returns: each command group's module adds its commands' parsers to it.
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

#: `import-csv --tolerance`: the relative difference between a file's bar and a stored one that counts as disagreeing.
TOLERANCE_BOUNDS = Meta(gt=0, le=0.5)


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (the usage is one `--help` away), exit 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def date_arg(text: str) -> dt.date:
    """An argparse type: a date as YYYY-MM-DD, else one line saying so."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def bounded(kind: type, meta: Meta, what: str) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` within ``meta``'s bounds, else one line naming them and ``what``."""

    def show(bound: float) -> str:
        return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"

    lo = f">= {show(meta.ge)}" if meta.ge is not None else f"> {show(meta.gt)}" if meta.gt is not None else ""
    hi = f"<= {show(meta.le)}" if meta.le is not None else f"< {show(meta.lt)}" if meta.lt is not None else ""
    rule = " and ".join(r for r in (lo, hi) if r)

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
            ) from None
        if not math.isfinite(value) or not (
            (meta.ge is None or value >= meta.ge)
            and (meta.gt is None or value > meta.gt)
            and (meta.le is None or value <= meta.le)
            and (meta.lt is None or value < meta.lt)
        ):
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be {rule} ({what})")
        return value

    return parse


def config_number(section: type[Struct], path: str) -> Callable[[str], Any]:
    """An argparse type with the bounds of the config key ``path`` (``training.epochs``): defined once, there."""
    kind, meta = key_bounds(section, path.rsplit(".", 1)[1])
    return bounded(kind, meta, f"as {path} in the config")


def count_arg(text: str) -> int:
    """A count on the command line: a whole number from 1 to 1,000,000."""
    return int(bounded(int, Meta(ge=1, le=1_000_000), "a count")(text))
