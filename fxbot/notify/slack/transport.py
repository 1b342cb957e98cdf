"""slack_sdk's clients with one change: they follow no redirect, so the token never goes to another origin.

slack_sdk sends each request with ``urllib.request.urlopen``, whose default opener follows 301/302/
303 answers and copies every request header, ``Authorization: Bearer <token>`` included, to the new
location, whatever its host. Slack's API and webhooks never redirect a POST, so a redirect means a
wrong ``FXBOT_SLACK_API_URL``/``SLACK_WEBHOOK_URL`` or something in between: the clients below open
each request with an opener whose redirect handler refuses every 3xx with a ``RedirectRefused``
(a DeliveryError) that names the target host, never the token or the target's path.

slack_sdk keeps its retry loop and answer parsing; only the method that opens one request is
replaced (``_perform_urllib_http_request_internal`` and ``_perform_http_request_internal``, which
slack_sdk 3.x has kept stable). ``tests/test_delivery_faults.py`` fails if a new slack_sdk stops
calling them.
"""

from __future__ import annotations

import urllib.request
from email.message import Message
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, OpenerDirector, ProxyHandler, Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError
from slack_sdk.webhook import WebhookClient, WebhookResponse

from fxbot.errors import DeliveryError


class RedirectRefused(DeliveryError):
    """Slack's address answered with a redirect; fxbot does not follow it (nothing was sent there)."""


class _RefuseRedirects(HTTPRedirectHandler):
    """Every 3xx becomes a RedirectRefused before urllib builds the request to the new location."""

    def __init__(self, setting: str) -> None:
        self.setting = setting  # where the address came from, for the fix in the message

    def redirect_request(
        self, req: Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> NoReturn:
        fp.close()
        source, target = urlsplit(req.full_url), urlsplit(newurl)
        where = "another address on the same host" if target.netloc == source.netloc else target.netloc or "?"
        raise RedirectRefused(
            f"Slack at {source.netloc} answered HTTP {code}, a redirect to {where}; fxbot follows no redirects, "
            f"so neither the token nor the message went there: set {self.setting} to Slack's own address"
        )


def _opener(setting: str, proxy: str | None, ssl: Any) -> OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_RefuseRedirects(setting), HTTPSHandler(context=ssl)]
    if proxy:
        handlers.append(ProxyHandler({"http": proxy, "https": proxy}))
    return urllib.request.build_opener(*handlers)


def _check_scheme(url: str) -> None:
    # urllib also opens file:// and ftp:// URLs; slack_sdk refuses them, and so does fxbot.
    if not url.lower().startswith("http"):
        raise SlackRequestError("the Slack URL is not http(s)")


class NoRedirectWebClient(WebClient):
    """slack_sdk's WebClient (Web API, bot token) that refuses redirects."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        _check_scheme(url)
        resp = _opener("FXBOT_SLACK_API_URL", self.proxy, self.ssl).open(req, timeout=self.timeout)
        if resp.headers.get_content_type() == "application/gzip":
            return {"status": resp.code, "headers": resp.headers, "body": resp.read()}
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.code, "headers": resp.headers, "body": resp.read().decode(charset)}


class NoRedirectWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient (incoming webhook) that refuses redirects."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        _check_scheme(url)
        resp = _opener("SLACK_WEBHOOK_URL", self.proxy, self.ssl).open(req, timeout=self.timeout)
        charset = resp.headers.get_content_charset() or "utf-8"
        return WebhookResponse(
            url=url, status_code=resp.status, body=resp.read().decode(charset), headers=dict(resp.headers.items())
        )
