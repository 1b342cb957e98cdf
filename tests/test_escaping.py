"""Text from outside is escaped before it reaches Slack (issue 21): it shows as typed and pings nobody.

Alerts, notices, a provider's error quoted in the report's warning, a word typed after `/fxbot`
and the status lines of the App Home and `/fxbot status`, in English and Japanese; fxbot's own
mrkdwn (bold, emoji codes, backticks) keeps working around the escaped part.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from fxbot.notify import messages
from fxbot.notify.catalogue import words
from fxbot.notify.escape import slack_escape
from fxbot.slack_app import views

from .test_ledger import report_for

HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|click> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U0ADMIN&gt; &lt;https://evil.example|click&gt; &amp; co"


def _mrkdwn(blocks: list[messages.Block]) -> str:
    return "\n".join(str(b["text"]["text"]) for b in blocks if "text" in b and isinstance(b["text"], dict))


def test_slack_escape_escapes_the_three_characters_once() -> None:
    assert slack_escape(HOSTILE) == ESCAPED
    assert slack_escape("a &amp; b") == "a &amp;amp; b"  # outside text is taken literally, even if it looks escaped
    assert slack_escape("`fxbot models rollback USDJPY` *now*") == "`fxbot models rollback USDJPY` *now*"


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_alert_and_notice_with_a_channel_mention_ping_nobody(locale: str) -> None:
    alert, notice = words(locale).alert, words(locale).notice
    text = messages.alert_text(f"fxbot run failed: {HOSTILE}", locale)
    assert text == f"{alert}: fxbot run failed: {ESCAPED}" and "<" not in text
    blocks = _mrkdwn(messages.alert_blocks(f"fetch failed: {HOSTILE}", locale))
    assert blocks == f":rotating_light: *{alert}*: fetch failed: {ESCAPED}"  # the bot's own bold and emoji stay
    assert messages.notice_text(HOSTILE, locale) == f"{notice}: {ESCAPED}"
    assert _mrkdwn(messages.notice_blocks(HOSTILE, locale)) == f":arrows_counterclockwise: *{notice}*: {ESCAPED}"


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_a_provider_error_in_the_reports_warning_is_escaped(locale: str) -> None:
    report = report_for(dt.date(2024, 12, 31), 150.0)
    warning = messages.warning_text("fetch", "en", error=f"OANDA answered HTTP 502: {HOSTILE}")
    report = msgspec.structs.replace(report, warnings=[warning])
    text = _mrkdwn(messages.report_blocks(report, locale))
    assert f":warning: fetching new bars failed, the calls use the stored bars: OANDA answered HTTP 502: {ESCAPED}" in (
        text
    )
    assert "<!channel>" not in text and "*" in text  # escaped, and the bot's own bold calls are still there


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_a_slash_command_echo_is_escaped(locale: str) -> None:
    answer = views.help_answer(locale, unknown="<!here>")
    echoed = _mrkdwn(answer.blocks)
    assert "&lt;!here&gt;" in echoed and "<!here>" not in echoed and "`&lt;!here&gt;`" in echoed


def test_status_lines_quoting_a_file_are_escaped_on_the_app_home_and_in_status() -> None:
    lines = ["models: USDJPY-20241231-1a2b3c4d", "PROBLEM USDJPY: the champion pointer holds '<!channel>'"]
    answer = views.status_answer(lines, 3, "en")
    body = _mrkdwn(answer.blocks)
    assert ":warning: USDJPY: the champion pointer holds '&lt;!channel&gt;'" in body
    assert "<!channel>" not in body and "• models: USDJPY-20241231-1a2b3c4d" in body
