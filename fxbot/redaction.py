"""The one redaction authority: secrets out of error messages (``redact``) and log records (``SecretFilter``).

Every secret becomes ``[redacted]``. A secret that is a URL (the incoming-webhook URL, whose path is
its secret part) is also redacted by its path alone, because HTTP libraries log a request's path
without its host (urllib3: ``"POST /services/T../B../xyz HTTP/1.1" 200``).

The CLI installs one ``SecretFilter`` at start-up (``install_log_filter``), built from the
environment's secrets, on the root logger's handlers: a handler's filter sees every record that
reaches it, whichever logger it came from (fxbot's, slack_sdk's, urllib3's), whereas a logger's
filter sees only the records logged on that very logger. Nothing here holds state of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

MARKER = "[redacted]"
_MIN_URL_PATH = 8  # a webhook path (/services/T../B../xyz) is far longer; "/" or "/api" is no secret


def _variants(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The non-empty secrets plus each URL secret's path, longest first (so no secret is cut in two)."""
    if isinstance(secrets, str):  # a lone string would be redacted character by character
        raise TypeError("redact takes a collection of secrets, not one string: use redact(text, [secret])")
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        found.add(secret)
        try:
            parts = urlsplit(secret)
        except ValueError:  # not a URL (e.g. an unbalanced "["): the secret itself is enough
            continue
        if parts.scheme and parts.netloc and len(parts.path) > _MIN_URL_PATH:
            found.add(parts.path)
    return tuple(sorted(found, key=len, reverse=True))


def _replace(text: str, variants: tuple[str, ...]) -> str:
    for secret in variants:
        text = text.replace(secret, MARKER)
    return text


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with each secret (and a URL secret's path) replaced by ``[redacted]``; None entries are skipped."""
    return _replace(text, _variants(secrets))


class SecretFilter(logging.Filter):
    """A log filter that redacts the secrets it was built with from a record's message and traceback."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self._secrets = _variants(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place if it shows a secret; never drops a record."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: let the handler's formatter report it as logging does
            return True
        redacted = _replace(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatted here (as the handler's Formatter would) so the traceback can be redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _replace(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = _replace(record.stack_info, self._secrets)
        return True


def install_log_filter(secrets: Iterable[str | None]) -> SecretFilter:
    """Put one ``SecretFilter`` for ``secrets`` on every handler of the root logger; returns it.

    Call it after the handlers exist (after ``logging.basicConfig``). A filter installed by an
    earlier call is replaced, so calling it again (``main`` run twice in one process) never stacks filters.
    """
    secret_filter = SecretFilter(secrets)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretFilter)]:
            handler.removeFilter(old)
        handler.addFilter(secret_filter)
    return secret_filter
