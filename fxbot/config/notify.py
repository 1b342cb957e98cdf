"""The ``notify`` and ``slack_app`` sections: where and how the calls are reported, and who may ask the Slack app."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from msgspec import Meta, field

from fxbot.config.schema import Invalid, Section


class SlackSettings(Section, frozen=True):
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


class RiskSettings(Section, frozen=True):
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


class ColorSettings(Section, frozen=True):
    """The colour of a BUY and of a SELL in posts (emoji) and charts; in Japan red often means up."""

    buy: Annotated[Colour, Meta(description="Colour of BUY.")] = "green"
    sell: Annotated[Colour, Meta(description="Colour of SELL.")] = "red"

    def __post_init__(self) -> None:
        if self.buy == self.sell:
            raise Invalid("sell", f"buy and sell are both {self.buy!r}; give them different colours")


class NotifySettings(Section, frozen=True):
    """Where and how the calls are reported."""

    locale: Annotated[Literal["en", "ja"], Meta(description="Message language.")] = "en"
    slack: Annotated[SlackSettings, Meta(description="Slack delivery.")] = field(default_factory=SlackSettings)
    risk: Annotated[RiskSettings, Meta(description="The risk figures of every post.")] = field(
        default_factory=RiskSettings
    )
    colors: Annotated[ColorSettings, Meta(description="BUY and SELL colours.")] = field(default_factory=ColorSettings)

    def __post_init__(self) -> None:
        self._sections()


#: A Slack channel ID (C: public, G: private or multi-person DM, D: direct message) or user ID (U, W).
#: Patterns, compiled (and cached by ``re``) on first use: the default lists are empty and never need them.
_SLACK_CHANNEL_ID = r"[CGD][A-Z0-9]{6,20}"
_SLACK_USER_ID = r"[UW][A-Z0-9]{6,20}"


def _slack_ids(values: list[str], key: str, pattern: str, example: str) -> None:
    for i, value in enumerate(values):
        if not re.fullmatch(pattern, value):
            # Echo only what looks harmless (a name or a short ID); a long value could be a pasted secret.
            shown = f", got {value!r}" if len(value) <= 40 and re.fullmatch(r"[#@]?[\w.-]*", value) else ""
            raise Invalid(
                f"{key}.{i}",
                f"must be a Slack ID like {example}{shown}; copy it from the profile or channel details in Slack",
            )
    twice = next((v for j, v in enumerate(values) if v in values[:j]), None)
    if twice:
        raise Invalid(key, f"{twice} is listed twice; list each ID once")


class SlackAppSettings(Section, frozen=True):
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
            raise Invalid(
                "stale_after_seconds",
                f"must be longer than 5 ping intervals plus 3 s ({least:g} s with ping_interval_seconds "
                f"{self.ping_interval_seconds:g}): the client needs that long to replace a dead link itself",
            )
