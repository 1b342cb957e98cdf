"""The Notifier protocol every delivery channel implements."""

from __future__ import annotations

from typing import Protocol

from fxbot.signals import Report


class Notifier(Protocol):
    """Delivers reports and alerts somewhere a person reads them."""

    name: str

    def send_report(self, report: Report) -> str | None:
        """Deliver the day's calls; returns a delivery id (e.g. Slack ts) or None."""
        ...

    def send_alert(self, message: str) -> None:
        """Deliver a short failure alert."""
        ...

    def send_notice(self, message: str) -> None:
        """Deliver a short notice that is not a failure (the model gate's decision) where reports go."""
        ...
