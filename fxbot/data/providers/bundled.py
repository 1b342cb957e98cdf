"""The bundled provider: no network; the store stays as it is (the embedded default)."""

from __future__ import annotations

import datetime as dt

from fxbot.data.bars import Bars, empty_bars


class BundledProvider:
    """Fetches nothing: the bars are whatever the store (bundled history, imports) holds."""

    name = "bundled"
    network = False

    def fetch(self, pair: str, start: dt.date) -> Bars:
        """No new bars, ever."""
        return empty_bars()
