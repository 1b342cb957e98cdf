"""`fxbot slack-app`: ask the bot from Slack (slash commands and an App Home) over Socket Mode.

A process of its own (deploy/fxbot-slack-app.service), never part of the daily child or the
`fxbot schedule` daemon, so neither loads slack_bolt or holds a WebSocket. Read-only: it answers
from the ledger, the data and the model manifests, and posts nothing to any channel.

    views    pure Block Kit: each answer and the App Home, en and ja; Slack's block limits
    answers  what each command answers, read from local state (reuses fxbot.status and the ledger)
    app      the Bolt app, its Socket Mode handler, the keepalive, the App Home refresh

``fxbot.wiring.slack_app`` builds it from the settings and the two tokens (SLACK_BOT_TOKEN,
SLACK_APP_TOKEN).
"""
