"""The ``ledger``, ``metrics`` and ``site`` sections: the files fxbot writes its record to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from msgspec import Meta

from fxbot.config.schema import Invalid, Section


class LedgerSettings(Section, frozen=True):
    """SQLite state: runs, signals, deliveries, outcomes."""

    path: Annotated[Path, Meta(description="SQLite file; {state_dir}/ at its start means state_dir.")] = Path(
        "{state_dir}/fxbot.sqlite"
    )


class MetricsSettings(Section, frozen=True):
    """The Prometheus textfile written after every run."""

    textfile: Annotated[
        str, Meta(description="Prometheus textfile path (node_exporter's textfile collector); empty: off.")
    ] = ""


class SiteSettings(Section, frozen=True):
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
            raise Invalid("url", "must be an http:// or https:// address, or empty")
