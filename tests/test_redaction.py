"""One redaction authority: ``redact`` for messages, the filter the CLI installs for every logger's records."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from slack_sdk.webhook import WebhookClient

from fxbot.errors import DeliveryError
from fxbot.notify.slack import SlackWebhookNotifier
from fxbot.redaction import MARKER, SecretFilter, redact

from .conftest import REPO
from .support.env import clean_env
from .support.slack_server import APP_TOKEN, TOKEN, WEBHOOK_PATH, Reply, SlackStandIn

HOOK = f"https://hooks.slack.com{WEBHOOK_PATH}"
OANDA = "0123abcd-OANDASECRET-4567ef"


def test_redact_replaces_each_secret_and_a_url_secrets_path() -> None:
    text = f'retrying POST {HOOK}; urllib3: "POST {WEBHOOK_PATH} HTTP/1.1" 503; Bearer {TOKEN}'
    out = redact(text, [HOOK, TOKEN, None, ""])
    assert out == 'retrying POST [redacted]; urllib3: "POST [redacted] HTTP/1.1" 503; Bearer [redacted]'
    assert MARKER == "[redacted]"


def test_redact_replaces_the_longest_secret_first_and_leaves_other_text() -> None:
    assert redact("abc abcdef", ["abc", "abcdef"]) == "[redacted] [redacted]"
    assert redact("nothing to hide", []) == "nothing to hide"
    assert redact("https://slack.com/api/ ok", ["https://slack.com/api/"]) == "[redacted] ok"
    assert redact("GET /api/ ok", ["https://slack.com/api/"]) == "GET /api/ ok"  # a short path is no secret


def test_redact_refuses_a_lone_string() -> None:
    with pytest.raises(TypeError, match="collection of secrets"):
        redact("abc", "abc")  # type: ignore[arg-type]  # would otherwise redact letter by letter


def test_filter_redacts_message_arguments_and_traceback() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(SecretFilter([TOKEN, HOOK]))
    log = logging.getLogger("tests.redaction.private")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("posting to %s with %s", HOOK, TOKEN)
        try:
            raise RuntimeError(f"failed: {TOKEN}")
        except RuntimeError:
            log.exception("request failed")
    finally:
        log.removeHandler(handler)
    assert records[0] == "posting to [redacted] with [redacted]"
    assert "RuntimeError: failed: [redacted]" in records[1] and TOKEN not in records[1]
    # A malformed call is left to the handler to report, as logging does; the filter itself never raises.
    bad = logging.LogRecord("x", logging.WARNING, __file__, 1, "bad %s format %s", ("only one",), None)
    assert SecretFilter([TOKEN]).filter(bad)


def test_cli_filter_redacts_records_of_every_logger(tmp_path: Path) -> None:
    """After ``main`` ran, a secret logged by any library (urllib3, slack_sdk, ...) reaches stderr redacted."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"ledger": {"path": str(tmp_path / "ledger.sqlite")}}))
    script = textwrap.dedent(
        """
        import logging, os, sys
        from urllib.parse import urlsplit
        from fxbot.cli import main
        code = main(["history", "--config", sys.argv[1]])
        token, hook, oanda = (os.environ[k] for k in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "OANDA_API_TOKEN"))
        logging.getLogger("urllib3").error("Retrying (Retry(total=2)) %s with %s", hook, oanda)
        logging.getLogger("urllib3.connectionpool").error('"POST %s HTTP/1.1" 503', urlsplit(hook).path)
        logging.getLogger("slack_sdk").critical("Going to retry the same request: POST " + hook)
        logging.getLogger("some.other.library").warning("Authorization: Bearer %s", token)
        app_token = os.environ["SLACK_APP_TOKEN"]
        logging.getLogger("fxbot.slack_app.socket_mode").error("apps.connections.open with %s", app_token)
        try:
            raise RuntimeError("refused " + token)
        except RuntimeError:
            logging.getLogger("fxbot.anything").exception("failed")
        sys.exit(code)
        """
    )
    env = clean_env()
    env.update(
        {"SLACK_BOT_TOKEN": TOKEN, "SLACK_WEBHOOK_URL": HOOK, "OANDA_API_TOKEN": OANDA, "SLACK_APP_TOKEN": APP_TOKEN}
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(config)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "ERROR urllib3: Retrying (Retry(total=2)) [redacted] with [redacted]" in err
    assert 'ERROR urllib3.connectionpool: "POST [redacted] HTTP/1.1" 503' in err
    assert "CRITICAL slack_sdk: Going to retry the same request: POST [redacted]" in err
    assert "Authorization: Bearer [redacted]" in err
    assert "apps.connections.open with [redacted]" in err
    assert "RuntimeError: refused [redacted]" in err
    for secret in (
        TOKEN,
        HOOK,
        WEBHOOK_PATH,
        OANDA,
        APP_TOKEN,
        "TESTSECRET",
        "WEBHOOKSECRET",
        "OANDASECRET",
        "APPSECRET",
    ):
        assert secret not in err + result.stdout, secret


def test_an_error_message_never_contains_a_secret(slack: SlackStandIn) -> None:
    """Slack's answer goes into the error (and the ledger, and the alert): redacted even if it echoes the URL."""
    notifier = SlackWebhookNotifier(WebhookClient(slack.webhook_url, timeout=5), retries=0)
    slack.reply("webhook", Reply(400, f"invalid url {slack.webhook_url}"), Reply(400, f"no such path {WEBHOOK_PATH}"))
    messages = []
    for _ in range(2):
        with pytest.raises(DeliveryError) as info:
            notifier.send_alert("test")
        messages.append(str(info.value))
    assert messages == [
        "Slack's webhook answered HTTP 400 (invalid url [redacted]); check SLACK_WEBHOOK_URL",
        "Slack's webhook answered HTTP 400 (no such path [redacted]); check SLACK_WEBHOOK_URL",
    ]
