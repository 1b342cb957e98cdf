"""What `fxbot check` tries for `fxbot slack-app`: the app-level token and the rendered answers.

The token: ``apps.connections.open`` (what the app calls to get its WebSocket URL; the URL is not
used, and expires unused). The answers: every command's answer and the App Home are rendered from
local state and checked against Slack's documented Block Kit limits (``views.block_problems``).
Slack's Web API has no public method that validates blocks without posting them (Block Kit
Builder does it in the browser), so this check is local; nothing is posted or published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.config import Settings
from fxbot.errors import ConfigError, DeliveryError
from fxbot.slack_app import views
from fxbot.slack_app.answers import Answers

if TYPE_CHECKING:
    from slack_sdk import WebClient


def check_app_token(client: WebClient, app_token: str) -> str:
    """One line saying the app-level token can open a Socket Mode connection; else a one-line error."""
    from slack_sdk.errors import SlackApiError

    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "?"))
        if error in ("invalid_auth", "not_authed", "token_revoked", "not_allowed_token_type"):
            raise ConfigError(
                f"Slack refused SLACK_APP_TOKEN ({error}); it must be an app-level token (xapp-) with "
                "connections:write, from the app's Basic Information page"
            ) from None
        raise DeliveryError(f"apps.connections.open failed ({error}); is Socket Mode enabled for the app?") from None
    except OSError as exc:  # urllib's URLError and timeouts are OSErrors
        raise DeliveryError(f"apps.connections.open got no answer ({type(exc).__name__}); try again later") from None
    return "slack app: app-level token ok (apps.connections.open issued a Socket Mode URL)"


def sample_problems(settings: Settings) -> tuple[int, list[str]]:
    """Render every answer and the App Home from local state; (how many, what breaks Block Kit's limits)."""
    answers = Answers(settings)
    samples = {
        text: answers.command(text).blocks for text in ("help", "status", "history", "week", "record", "version")
    }
    samples["refusal"] = views.refusal(settings.notify.locale).blocks
    problems = [f"/fxbot {name}: {p}" for name, blocks in samples.items() for p in views.block_problems(blocks)]
    problems += [f"App Home: {p}" for p in views.block_problems(answers.home()["blocks"], "home")]
    return len(samples) + 1, problems
