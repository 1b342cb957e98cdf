"""One actionable line for each error Slack answers with (Web API error codes, webhook answers)."""

from __future__ import annotations


def api_error_message(error: str, channel: str, needed: str | None = None) -> str:
    """One actionable line for a Web API error code."""
    where = f"channel {channel}" if channel else "the channel"
    actions = {
        "invalid_auth": "Slack rejected the bot token (invalid_auth): check SLACK_BOT_TOKEN",
        "not_authed": "Slack received no token (not_authed): check SLACK_BOT_TOKEN",
        "token_revoked": (
            "the bot token was revoked (token_revoked): reinstall the Slack app and update SLACK_BOT_TOKEN"
        ),
        "token_expired": "the bot token expired (token_expired): refresh it and update SLACK_BOT_TOKEN",
        "account_inactive": (
            "the bot's account is deactivated (account_inactive): reinstall the app, update SLACK_BOT_TOKEN"
        ),
        "channel_not_found": (
            f"{where} was not found (channel_not_found): set notify.slack.channel to the channel ID "
            "(e.g. C0123456789, from the channel's details) and invite the bot with /invite @fxbot"
        ),
        "not_in_channel": f"the bot is not in {where} (not_in_channel): invite the bot to it with /invite @fxbot",
        "is_archived": f"{where} is archived (is_archived): unarchive it or set notify.slack.channel to another",
        "missing_scope": (
            f"the bot token lacks a scope (missing_scope{': needs ' + needed if needed else ''}): add it to the "
            "Slack app (chat:write, channels:history, channels:read; files:write for charts), reinstall, "
            "update SLACK_BOT_TOKEN"
        ),
        "ratelimited": "Slack kept rate-limiting fxbot after every retry (ratelimited): try again later",
        "msg_too_long": "the message was too long for Slack (msg_too_long): report this as an fxbot bug",
        "invalid_blocks": "Slack rejected the message blocks (invalid_blocks): report this as an fxbot bug",
    }
    fallback = f"Slack answered {error!r} for {where}; see https://api.slack.com/methods for its meaning"
    return actions.get(error, fallback)


def webhook_error_message(status: int, body: str) -> str:
    """One actionable line for an incoming-webhook error answer."""
    code = body.strip()[:80]
    actions = {
        "invalid_token": "the webhook URL is no longer valid (invalid_token): create a new incoming webhook and "
        "update SLACK_WEBHOOK_URL",
        "no_service": "the webhook was removed (no_service): create a new incoming webhook and update "
        "SLACK_WEBHOOK_URL",
        "no_team": "the webhook's workspace is gone (no_team): create a new incoming webhook, update SLACK_WEBHOOK_URL",
        "channel_not_found": "the webhook's channel no longer exists (channel_not_found): create a new incoming "
        "webhook for the channel and update SLACK_WEBHOOK_URL",
        "channel_is_archived": "the webhook's channel is archived (channel_is_archived): unarchive it or create a "
        "new webhook",
        "action_prohibited": "an admin restricted posting to the webhook's channel (action_prohibited): ask a "
        "workspace admin",
        "invalid_payload": "Slack rejected the message (invalid_payload): report this as an fxbot bug",
    }
    if code in actions:
        return actions[code]
    if status == 429:
        return "Slack kept rate-limiting the webhook after every retry (HTTP 429): try again later"
    return f"Slack's webhook answered HTTP {status} ({code or 'no body'}); check SLACK_WEBHOOK_URL"
