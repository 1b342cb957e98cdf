"""The environment a test or benchmark child process runs with: no Slack, OANDA or fxbot settings leak in."""

from __future__ import annotations

import os

#: Prefixes of the variables fxbot reads (secrets and endpoint overrides); tests and benchmarks start without them.
OWN_PREFIXES = ("SLACK_", "OANDA_", "FXBOT_")


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``os.environ`` without ``SLACK_*``, ``OANDA_*`` and ``FXBOT_*``, then ``extra`` on top."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(OWN_PREFIXES)}
    env.update(extra or {})
    return env
