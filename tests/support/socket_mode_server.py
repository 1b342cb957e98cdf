"""A Socket Mode stand-in: a real WebSocket server on 127.0.0.1 speaking Slack's Socket Mode wire format.

``apps.connections.open`` on the Web API stand-in (``SlackStandIn(socket_url=server.next_url)``)
hands out ``ws://127.0.0.1:<port>/link/?ticket=<n>``. On each connection the server sends Slack's
``hello``; a test then pushes envelopes as Slack does (``slash_commands`` with a ``response_url``,
``events_api`` with ``app_home_opened``) and reads when each was acknowledged (the client sends back
``{"envelope_id": ...}``). aiohttp serves it, as in slack_sdk's own Socket Mode tests; with
``autoping=False`` the test decides whether pings get their pong (``pong``), so a link that stays
open but never answers, the silent death Socket Mode is known for, can be played.

Faults: ``drop()`` cuts the TCP connection without a close frame; ``pong = False`` stops answering pings;
``ask_to_reconnect()`` sends Slack's ``disconnect`` (refresh_requested) message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "A0TESTAPP"
TEAM_ID = "T0TESTTEAM"


class SocketModeStandIn:
    """The server, the envelopes it sent and the acknowledgements it got. Use as a context manager."""

    def __init__(self) -> None:
        self.pong = True
        self.connections = 0  # WebSockets accepted so far
        self.closed = 0  # WebSockets that have ended
        self.pings = 0
        self.sent: dict[str, float] = {}  # envelope_id -> when it was sent (monotonic)
        self.acks: dict[str, float] = {}  # envelope_id -> when its acknowledgement arrived
        self.ack_bodies: dict[str, dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self._tickets = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._current: web.WebSocketResponse | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- test side ---------------------------------------------------------------------------

    def __enter__(self) -> SocketModeStandIn:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def next_url(self) -> str:
        """A fresh WebSocket URL, as each apps.connections.open call returns one."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={next(self._tickets)}&app_id={APP_ID}"

    def wait_connections(self, count: int, timeout: float = 15.0) -> None:
        """Wait until ``count`` WebSockets have been accepted (and the latest is open)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections >= count and self._current is not None, timeout):
                raise TimeoutError(f"{self.connections} connection(s) after {timeout}s, wanted {count}")

    def wait_closed(self, count: int, timeout: float = 15.0) -> None:
        """Wait until ``count`` WebSockets have ended (the client let go of them, or they were cut)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.closed >= count, timeout):
                raise TimeoutError(f"{self.closed} connection(s) closed after {timeout}s, wanted {count}")

    def slash_command(self, text: str, *, user: str, channel: str, response_url: str, command: str = "/fxbot") -> str:
        """Send a ``slash_commands`` envelope as Slack does; returns its envelope_id."""
        envelope_id = f"env-{next(self._ids):04d}"
        payload = {
            "token": "verification-token-unused-in-socket-mode",
            "team_id": TEAM_ID,
            "team_domain": "fxbot-test",
            "channel_id": channel,
            "channel_name": "fx-signals",
            "user_id": user,
            "user_name": "trader",
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"1000.{envelope_id}",
        }
        self._send(
            {"envelope_id": envelope_id, "payload": payload, "type": "slash_commands", "accepts_response_payload": True}
        )
        return envelope_id

    def home_opened(self, user: str) -> str:
        """Send an ``events_api`` envelope with an ``app_home_opened`` event; returns its envelope_id."""
        envelope_id = f"env-{next(self._ids):04d}"
        now = time.time()
        payload = {
            "token": "verification-token-unused-in-socket-mode",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0TESTDM",
                "tab": "home",
                "event_ts": f"{now:.6f}",
            },
            "type": "event_callback",
            "event_id": f"Ev{envelope_id}",
            "event_time": int(now),
            "authorizations": [{"team_id": TEAM_ID, "user_id": "U0TESTBOT", "is_bot": True}],
        }
        self._send(
            {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> float:
        """Seconds from sending ``envelope_id`` to its acknowledgement; AssertionError if none within ``timeout``."""
        with self._changed:
            acked = self._changed.wait_for(lambda: envelope_id in self.acks, timeout)
        assert acked, f"envelope {envelope_id} was not acknowledged within {timeout}s"
        return self.acks[envelope_id] - self.sent[envelope_id]

    def ask_to_reconnect(self) -> None:
        """Send Slack's ``disconnect`` message (``refresh_requested``), as Slack does every few hours."""

        async def send() -> None:
            assert self._current is not None, "no Socket Mode connection is open"
            await self._current.send_str(
                json.dumps(
                    {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-test"}}
                )
            )

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)

    def drop(self) -> None:
        """Cut the current connection at the TCP level: no close frame, as a NAT or a proxy does."""

        def cut() -> None:
            if self._transport is not None:
                self._transport.abort()

        self._loop.call_soon_threadsafe(cut)

    # -- server side -------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        async def send() -> None:
            assert self._current is not None, "no Socket Mode connection is open"
            with self._changed:
                self.sent[message["envelope_id"]] = time.monotonic()
            await self._current.send_str(json.dumps(message))

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        with self._changed:
            self.connections += 1
            self._current = ws
            self._transport = request.transport
            self._changed.notify_all()
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-test", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        async for msg in ws:
            if msg.type == WSMsgType.PING:
                with self._changed:
                    self.pings += 1
                if self.pong:
                    await ws.pong(msg.data)
            elif msg.type == WSMsgType.TEXT:
                body = json.loads(msg.data)
                if "envelope_id" in body:
                    with self._changed:
                        self.acks.setdefault(body["envelope_id"], time.monotonic())
                        self.ack_bodies[body["envelope_id"]] = body
                        self._changed.notify_all()
        with self._changed:
            self.closed += 1
            if self._current is ws:
                self._current = None
            self._changed.notify_all()
        return ws
