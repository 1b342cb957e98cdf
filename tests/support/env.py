"""The environment a test or benchmark child process runs with: no Slack, OANDA or fxbot settings leak in."""

from __future__ import annotations

import os

#: Prefixes of the variables fxbot reads (secrets and endpoint overrides); tests and benchmarks start without them.
OWN_PREFIXES = ("SLACK_", "OANDA_", "FXBOT_")


#: Passed on: under pytest the autouse fixture points it at the test's own temporary state folder.
KEPT = ("FXBOT_STATE_DIR",)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``os.environ`` without ``SLACK_*``, ``OANDA_*`` and ``FXBOT_*`` (but FXBOT_STATE_DIR), then ``extra``.

    FXBOT_STATE_DIR is kept so a child process uses the test's temporary state folder, never the user's;
    ``extra={"FXBOT_STATE_DIR": ""}`` lets the child choose its state folder from its config or working directory.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith(OWN_PREFIXES) or name in KEPT}
    env.update(extra or {})
    return env
