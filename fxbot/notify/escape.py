"""Text from outside, made inert for Slack: ``&``, ``<`` and ``>`` escaped as Slack asks apps to.

Slack reads ``<!channel>``, ``<@U123>`` and ``<https://x|label>`` in any text it is given; text fxbot
did not write itself (an exception's message, a provider's answer, a word typed after ``/fxbot``,
a status line quoting a file) is escaped before it reaches a message, so it shows as typed and
never pings, mentions or links. fxbot's own mrkdwn (``*bold*``, backticks, emoji codes) is left
alone: only the three characters change, and only in the outside part. Pure; no imports.
"""

from __future__ import annotations


def slack_escape(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;`` and ``&gt;`` (``&`` first: never twice)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
