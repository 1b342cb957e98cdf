"""A Slack stand-in for tests: a real HTTP server on 127.0.0.1 speaking the Web API and webhook wire formats.

Web API (``/api/<method>``): JSON bodies (chat.postMessage), form bodies (files.*) and query strings
(conversations.*) in, ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}`` with HTTP 200 out,
as Slack does; 429 with ``Retry-After`` and 5xx when scripted. Posted messages are kept per channel
and ``conversations.history`` returns them (metadata only with ``include_all_metadata``), so
reconciling works as against Slack; a post with ``thread_ts`` is a reply, kept out of the history and
returned by ``conversations.replies`` after its parent. ``files.getUploadURLExternal`` hands out an upload URL on this
server; ``files.completeUploadExternal`` completes it.

Webhook (``/services/T.../B.../...``): a JSON body in, plain-text ``ok`` or an error word out.

Socket Mode (`fxbot slack-app`): ``apps.connections.open`` takes the app-level token (``app_token``)
and hands out ``socket_url()`` (a ``SocketModeStandIn``'s ``ws://127.0.0.1`` URL); ``views.publish``
keeps each view per user (``views``); ``response_url()`` is a loopback URL under ``/response/``
whose JSON posts (a slash command's answer) are kept in ``responses``.

Each test scripts replies per method (``reply``) and reads what arrived (``requests``, ``posts``).

Faults a test can script, as the adversarial pass met them:

- store-then-fail: ``Reply(503, "busy", process=True)`` stores the post, then answers the scripted
  status and body (a 5xx, a non-JSON 200, ``{"ok": false, "error": "fatal_error"}``);
- slow acceptance: ``Reply(process_after=1.75)`` stores the post only after that delay (after the
  client timed out), then answers (``delay`` more seconds later); ``wait_idle()`` waits for it;
- a clock offset: ``SlackStandIn(clock_offset=-300)`` stamps ``ts`` values 300 s behind the host;
- a redirecting base: ``SlackStandIn(redirect_to=other.base)`` answers every request with a 302 to
  the same path on ``other`` (another stand-in, which records any Authorization header it gets).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "xoxb-111-222-TESTSECRETtoken9f8e7d"
APP_TOKEN = "xapp-1-A0TEST-333-APPSECRETtoken5c4b3a"
WEBHOOK_PATH = "/services/T0000TEST/B0000TEST/WEBHOOKSECRETpath42"


@dataclass
class Reply:
    """A scripted answer. ``body`` None means: do what Slack does (store the post, answer ok).

    ``process=True`` with a body stores the post (as Slack would) and then answers ``status`` and
    ``body`` anyway: a store-then-fail fault. ``process_after`` waits that long before storing.
    """

    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    process: bool | None = None  # default: only when body is None
    drop: bool = False  # close the connection without answering
    process_after: float = 0.0  # seconds before the post is stored (slow acceptance)

    @property
    def processes(self) -> bool:
        return self.body is None if self.process is None else self.process


@dataclass
class Recorded:
    """One request as the server saw it."""

    http_method: str
    path: str
    api: str
    headers: dict[str, str]
    params: dict[str, Any]
    raw: bytes


class SlackStandIn:
    """The server, its script and its record. Use as a context manager."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        clock_offset: float = 0.0,
        redirect_to: str | None = None,
        app_token: str = APP_TOKEN,
        socket_url: Callable[[], str] | None = None,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.socket_url = socket_url  # what apps.connections.open hands out
        self.views: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.responses: list[tuple[str, float, dict[str, Any]]] = []  # (response path, arrival time, body)
        self._responses_changed = threading.Condition()
        self.clock_offset = clock_offset  # Slack's clock minus the host's, in seconds
        self.redirect_to = redirect_to  # answer every request with a 302 to this origin
        self._busy = 0
        self._idle = threading.Condition()
        self.requests: list[Recorded] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.webhook_posts: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self.after: Callable[[Recorded], None] | None = None  # runs after a post is stored, before the answer
        self.channel_info: dict[str, Any] = {"name": "fx-signals", "is_member": True, "is_archived": False}
        self._lock = threading.Lock()
        self._ts = time.time() + clock_offset
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        # serve_forever looks for shutdown() every poll_interval (0.5 s by default): every test paid it at exit.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # -- test side ---------------------------------------------------------------------------

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What FXBOT_SLACK_API_URL is set to (without the trailing slash: fxbot adds it)."""
        return f"{self.base}/api"

    @property
    def webhook_url(self) -> str:
        return f"{self.base}{WEBHOOK_PATH}"

    def response_url(self, key: str) -> str:
        """A loopback response_url for one slash command; its answer lands in ``responses``."""
        return f"{self.base}/response/{key}"

    def wait_response(self, key: str, timeout: float = 10.0) -> tuple[float, dict[str, Any]]:
        """The (arrival time, body) of the answer posted to ``response_url(key)``; TimeoutError if none came."""
        with self._responses_changed:
            found = self._responses_changed.wait_for(
                lambda: next(((t, b) for k, t, b in self.responses if k == key), None), timeout
            )
        if not found:
            raise TimeoutError(f"no answer arrived on response_url {key} within {timeout}s")
        return found

    def reply(self, api: str, *replies: Reply) -> None:
        """Queue answers for ``api`` (e.g. ``chat.postMessage`` or ``webhook``); afterwards the default."""
        self.scripts[api].extend(replies)

    def calls(self, api: str) -> list[Recorded]:
        """The requests that arrived for ``api``."""
        return [r for r in self.requests if r.api == api]

    def posts(self, channel: str) -> list[dict[str, Any]]:
        """Messages stored in ``channel`` (what a person would see), thread replies included."""
        return list(self.messages[channel])

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies in the thread of the message ``ts`` (without the message itself)."""
        return [m for m in self.messages[channel] if m.get("thread_ts") == ts and m["ts"] != ts]

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being handled (a slow acceptance has stored its post by then)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout):
                raise TimeoutError(f"the Slack stand-in was still busy after {timeout}s")

    # -- server side -------------------------------------------------------------------------

    def _next_ts(self) -> str:
        with self._lock:
            self._ts = max(self._ts + 0.000001, time.time() + self.clock_offset)
            return f"{self._ts:.6f}"

    def _default(self, rec: Recorded) -> tuple[int, dict[str, Any] | str]:
        p = rec.params
        if rec.api == "webhook":
            self.webhook_posts.append(p)
            return 200, "ok"
        if rec.api.startswith("response/"):
            with self._responses_changed:
                self.responses.append((rec.api.split("/", 1)[1], time.monotonic(), p))
                self._responses_changed.notify_all()
            return 200, "ok"
        if rec.api.startswith("upload/"):
            self.uploads[rec.api.split("/", 1)[1]] = rec.raw
            return 200, f"OK - {len(rec.raw)}"
        auth = rec.headers.get("authorization", "")
        if not auth:
            return 200, {"ok": False, "error": "not_authed"}
        if rec.api == "apps.connections.open":
            # only an app-level token opens a socket; a bot token gets the error Slack gives it
            if auth == f"Bearer {self.token}":
                return 200, {"ok": False, "error": "not_allowed_token_type"}
            if auth != f"Bearer {self.app_token}" or self.socket_url is None:
                return 200, {"ok": False, "error": "invalid_auth"}
            return 200, {"ok": True, "url": self.socket_url()}
        if auth != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}
        if rec.api == "auth.test":
            return 200, {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "fxbot", "user_id": "U1"}
        if rec.api == "chat.postMessage":
            ts = self._next_ts()
            message = {"type": "message", "ts": ts, "text": p.get("text", ""), "blocks": p.get("blocks")}
            if p.get("metadata"):
                message["metadata"] = p["metadata"]
            if p.get("thread_ts"):  # a reply: in its thread (conversations.replies), not the channel's history
                parent = [m for m in self.messages[p["channel"]] if m["ts"] == p["thread_ts"]]
                if not parent:
                    return 200, {"ok": False, "error": "thread_not_found"}
                message["thread_ts"] = p["thread_ts"]
            self.messages[p["channel"]].append(message)
            return 200, {"ok": True, "channel": p["channel"], "ts": ts, "message": message}
        if rec.api == "conversations.history":
            # newest first, between oldest and latest, a page of ``limit`` at a time (the cursor is an offset)
            oldest, latest = float(p.get("oldest") or 0), float(p.get("latest") or "inf")
            include = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
            found = []
            for m in reversed(self.messages[p["channel"]]):
                if m.get("thread_ts", m["ts"]) != m["ts"]:
                    continue  # a thread reply is not in the channel's history (unless broadcast)
                if oldest <= float(m["ts"]) <= latest:
                    found.append(m if include else {k: v for k, v in m.items() if k != "metadata"})
            start, limit = int(p.get("cursor") or 0), int(p.get("limit") or 100)
            page, more = found[start : start + limit], start + limit < len(found)
            cursor = str(start + limit) if more else ""
            return 200, {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}
        if rec.api == "conversations.replies":
            # the parent first, then its replies oldest first, a page of ``limit`` at a time
            include = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
            thread = [m for m in self.messages[p["channel"]] if m.get("thread_ts", m["ts"]) == p["ts"]]
            if not thread:
                return 200, {"ok": False, "error": "thread_not_found"}
            found = [m if include else {k: v for k, v in m.items() if k != "metadata"} for m in thread]
            start, limit = int(p.get("cursor") or 0), int(p.get("limit") or 100)
            page, more = found[start : start + limit], start + limit < len(found)
            cursor = str(start + limit) if more else ""
            return 200, {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}
        if rec.api == "views.publish":
            view = json.loads(p["view"]) if isinstance(p.get("view"), str) else p.get("view")
            if not isinstance(view, dict) or view.get("type") != "home" or not p.get("user_id"):
                return 200, {"ok": False, "error": "invalid_arguments"}
            self.views[p["user_id"]].append(view)
            return 200, {"ok": True, "view": {"id": f"V{len(self.views):04d}", **view}}
        if rec.api == "conversations.info":
            return 200, {"ok": True, "channel": {"id": p["channel"], **self.channel_info}}
        if rec.api == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1:04d}"
            return 200, {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if rec.api == "files.completeUploadExternal":
            files = json.loads(p["files"])
            return 200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        return 200, {"ok": False, "error": "unknown_method"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _record(self) -> Recorded:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                params: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
                ctype = self.headers.get("Content-Type", "")
                if url.path.startswith(("/upload/", "/response/")):
                    api = url.path.lstrip("/")
                    if url.path.startswith("/response/") and raw:
                        params.update(json.loads(raw))
                elif url.path.startswith("/services/"):
                    api = "webhook"
                    params.update(json.loads(raw or b"{}"))
                else:
                    api = url.path.removeprefix("/api/")
                    if "json" in ctype and raw:
                        params.update(json.loads(raw))
                    elif raw:
                        params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                headers = {k.lower(): v for k, v in self.headers.items()}
                return Recorded(self.command, url.path, api, headers, params, raw)

            def _serve(self) -> None:
                with stand_in._idle:
                    stand_in._busy += 1
                try:
                    self._answer()
                finally:
                    with stand_in._idle:
                        stand_in._busy -= 1
                        stand_in._idle.notify_all()

            def _answer(self) -> None:
                rec = stand_in._record_request(self._record())
                if stand_in.redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", stand_in.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with stand_in._lock:
                    queue = stand_in.scripts.get(rec.api)
                    scripted = queue.popleft() if queue else Reply()
                status, body = scripted.status, scripted.body
                if scripted.processes:
                    if scripted.process_after:
                        time.sleep(scripted.process_after)
                    try:
                        default_status, default_body = stand_in._default(rec)
                    except (KeyError, ValueError):  # e.g. a body-less GET after a redirect
                        default_status, default_body = 200, {"ok": False, "error": "invalid_arguments"}
                    if scripted.body is None:  # else: stored, then the scripted fault is the answer
                        status, body = default_status, default_body
                        status = scripted.status if scripted.status != 200 else status
                if stand_in.after is not None:
                    stand_in.after(rec)
                if scripted.delay:
                    time.sleep(scripted.delay)
                if scripted.drop:
                    self.close_connection = True
                    return
                data = (json.dumps(body) if isinstance(body, dict) else str(body or "")).encode()
                try:
                    self.send_response(status)
                    ctype = "application/json; charset=utf-8" if isinstance(body, dict) else "text/plain"
                    self.send_header("Content-Type", ctype)
                    for key, value in scripted.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) or died (crash test)

            do_GET = _serve
            do_POST = _serve

        return Handler

    def _record_request(self, rec: Recorded) -> Recorded:
        with self._lock:
            self.requests.append(rec)
        return rec
