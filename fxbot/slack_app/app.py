"""The `fxbot slack-app` process: slack_bolt over Socket Mode, a keepalive, and the App Home refresh.

Threads: slack_sdk's built-in Socket Mode client receives envelopes and pings Slack every
``ping_interval_seconds``; Bolt answers each envelope (``ack`` first, then the answer is posted to
the command's ``response_url``, ephemeral). The main thread runs ``SlackApp.run``: every
``keepalive_seconds`` it calls ``auth.test`` and looks at when the socket last got a pong; every
``home_poll_seconds`` it looks at the ledger for a newly finished run and then re-publishes the App
Home of everyone who opened it since the process started.

Staleness: Socket Mode links are known to die silently after an idle reconnect (the client believes
it is connected, nothing arrives). So the freshness of the link is the newest pong on any session,
not the session's own age: a client that keeps reconnecting without ever hearing back is stale too.
When no pong has come (or auth.test has not succeeded) for ``stale_after_seconds``, ``run`` logs a
WARNING with the cause and raises ``DeliveryError`` (exit 4), and systemd (``Restart=always``)
starts a fresh process. A new session after a drop is logged at INFO.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fxbot.config import SlackAppSettings
from fxbot.errors import ConfigError, DeliveryError
from fxbot.slack_app import views
from fxbot.slack_app.answers import Answers

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    from fxbot.sdnotify import SystemdNotifier

logger = logging.getLogger(__name__)

COMMAND = "/fxbot"
#: Slack answers these to a token it does not accept: no retry helps, the token must be replaced.
TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})


@dataclasses.dataclass(frozen=True)
class Access:
    """Who may ask: a command needs an allowed user (if users are listed) in an allowed channel (if listed).

    With both lists empty nobody may ask. The App Home is shown only to listed users.
    """

    users: frozenset[str]
    channels: frozenset[str]

    @classmethod
    def from_settings(cls, cfg: SlackAppSettings) -> Access:
        """From ``slack_app.allowed_users`` and ``slack_app.allowed_channels``."""
        return cls(frozenset(cfg.allowed_users), frozenset(cfg.allowed_channels))

    def command_allowed(self, user: str, channel: str) -> bool:
        """True if ``user`` may ask in ``channel``."""
        if not self.users and not self.channels:
            return False
        return (not self.users or user in self.users) and (not self.channels or channel in self.channels)

    def home_allowed(self, user: str) -> bool:
        """True if ``user`` may see the App Home."""
        return user in self.users


def allow_list_warning(cfg: SlackAppSettings) -> str | None:
    """What the allow lists leave nobody able to do (said at start and by `fxbot check`), or None."""
    if not cfg.allowed_users and not cfg.allowed_channels:
        return (
            "slack_app.allowed_users and slack_app.allowed_channels are both empty, so every /fxbot command is "
            "refused and the App Home is shown to nobody; list user IDs (U0123ABCD) and/or channel IDs (C0123ABCD) "
            "there (docs/slack-app.md, Setup step 3)"
        )
    if not cfg.allowed_users:
        return (
            "slack_app.allowed_users is empty, so the App Home is shown to nobody (commands are answered in "
            "slack_app.allowed_channels); list user IDs (U0123ABCD) there to show it"
        )
    return None


class Freshness:
    """When the Socket Mode link last proved alive (a pong on any session) and when auth.test last worked."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        start = clock()
        self.last_pong = start
        self.last_auth = start
        self.auth_error = ""
        self.session: str | None = None
        self.reconnects = 0

    def observe(self, client: Any) -> None:
        """Read the socket client's current session and its last pong (slack_sdk's builtin client)."""
        session = getattr(client, "current_session", None)
        if session is None or not session.is_active():
            return
        if session.session_id != self.session:
            if self.session is not None:
                self.reconnects += 1
                logger.info("slack-app: Socket Mode reconnected (new session %s)", session.session_id)
            else:
                logger.info("slack-app: Socket Mode connected (session %s)", session.session_id)
            self.session = session.session_id
        pong = session.last_ping_pong_time
        if pong is not None:
            self.last_pong = max(self.last_pong, float(pong))

    def auth_ok(self) -> None:
        """auth.test just succeeded."""
        self.last_auth = self._clock()
        self.auth_error = ""

    def problem(self, stale_after: float, connected: bool) -> str | None:
        """Why the link counts as stale, or None while it is fresh."""
        now = self._clock()
        quiet = now - self.last_pong
        if quiet > stale_after:
            state = "connected but unanswered" if connected else "not connected"
            return f"no pong on the Socket Mode connection for {quiet:.1f} s (socket {state}, session {self.session})"
        failing = now - self.last_auth
        if failing > stale_after:
            return f"auth.test has failed for {failing:.1f} s ({self.auth_error or 'no answer'})"
        return None


class _ClientWins(logging.Filter):
    """Drops Bolt's warning that the client's token wins over SLACK_BOT_TOKEN, which Bolt reads from the
    environment by itself: the client fxbot builds holds that very token, so nothing is lost."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class SlackApp:
    """The Bolt app, its Socket Mode handler, and the loop that keeps both honest."""

    def __init__(
        self,
        cfg: SlackAppSettings,
        answers: Answers,
        web_client: WebClient,
        app_token: str,
        systemd: SystemdNotifier | None = None,
    ) -> None:
        from slack_bolt import App
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.cfg = cfg
        self.answers = answers
        self.access = Access.from_settings(cfg)
        self.client = web_client
        self.systemd = systemd
        self.home_users: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.freshness = Freshness()
        # slack_sdk and Bolt log whole envelopes at DEBUG (a response_url is a short-lived credential):
        # never below INFO, even with --verbose.
        bolt_logger = logging.getLogger("fxbot.slack_app.bolt")
        bolt_logger.setLevel(logging.INFO)
        bolt_logger.addFilter(_ClientWins())
        self.app: App = App(
            client=web_client,
            token_verification_enabled=False,  # run() calls auth.test itself and says what a refusal means
            request_verification_enabled=False,  # Socket Mode: no HTTP requests to sign
            logger=bolt_logger,
        )
        self.app.command(COMMAND)(self._on_command)
        self.app.event("app_home_opened")(self._on_home_opened)
        socket_logger = logging.getLogger("fxbot.slack_app.socket_mode")
        socket_logger.setLevel(logging.INFO)
        self.handler: SocketModeHandler = SocketModeHandler(
            self.app, app_token, logger=socket_logger, web_client=web_client, ping_interval=cfg.ping_interval_seconds
        )

    # -- Slack's requests ------------------------------------------------------------------------

    def _on_command(self, ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any]) -> None:
        ack()  # first: Slack's 3 s clock stops here; the answer goes to response_url after
        user, channel = str(command.get("user_id", "")), str(command.get("channel_id", ""))
        if not self.access.command_allowed(user, channel):
            logger.info("slack-app: refused %s from user %s in channel %s (not allowed)", COMMAND, user, channel)
            answer = views.refusal(self.answers.locale)
        else:
            answer = self._answer(str(command.get("text") or ""))
        respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)

    def _answer(self, text: str) -> views.Answer:
        try:
            return self.answers.command(text)
        except Exception as exc:  # one broken answer must not take the app down, nor leave the asker waiting
            logger.exception("slack-app: answering %r failed", text[:40])
            return views.Answer(
                "fxbot could not answer",
                [views.section(f":warning: fxbot could not answer: {type(exc).__name__}; see the app's log")],
            )

    def _on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user", ""))
        if not user:
            return
        with self._lock:
            self.home_users.add(user)
        self.publish_home(user)

    def publish_home(self, user: str) -> None:
        """views.publish the App Home for ``user`` (the refusal view if not allowed); failures are logged."""
        from slack_sdk.errors import SlackApiError

        try:
            view = (
                self.answers.home() if self.access.home_allowed(user) else views.home_not_allowed(self.answers.locale)
            )
            self.client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            logger.warning("slack-app: views.publish for %s failed: %s", user, exc.response.get("error", "?"))
        except Exception:
            logger.exception("slack-app: the App Home for %s could not be built", user)

    # -- the loop --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run`` to return (SIGTERM and SIGINT do this)."""
        self._stop.set()

    def _auth_test(self) -> None:
        from slack_sdk.errors import SlackApiError

        try:
            self.client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error", "?"))
            if error in TOKEN_REFUSED:
                raise ConfigError(
                    f"Slack refused SLACK_BOT_TOKEN ({error}); reinstall the app and set the new bot token"
                ) from None
            self.freshness.auth_error = error
            logger.info("slack-app: keepalive auth.test answered %s", error)
            return
        except Exception as exc:  # network trouble: stale only if it lasts
            self.freshness.auth_error = type(exc).__name__
            logger.info("slack-app: keepalive auth.test failed: %s", type(exc).__name__)
            return
        self.freshness.auth_ok()

    def connect(self) -> None:
        """auth.test, then apps.connections.open and the WebSocket; a refused token is a ConfigError (exit 2)."""
        from slack_sdk.errors import SlackApiError

        self._auth_test()
        try:
            self.handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as exc:
            error = str(exc.response.get("error", "?"))
            if error in TOKEN_REFUSED:
                raise ConfigError(
                    f"Slack refused SLACK_APP_TOKEN ({error}); make an app-level token with connections:write "
                    "under Basic Information and set it"
                ) from None
            raise DeliveryError(f"apps.connections.open failed ({error}); try again later") from None
        except OSError as exc:  # urllib's URLError, a refused or reset connection: no network to Slack
            reason = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
            raise DeliveryError(
                f"cannot reach Slack to open the Socket Mode connection ({reason}); check the network and "
                "FXBOT_SLACK_API_URL if set (systemd restarts it)"
            ) from None

    def run(self, max_seconds: float | None = None) -> int:
        """Connect and serve until stopped (returns 0) or stale (raises DeliveryError, exit 4)."""
        installed = self._install_signals()
        warning = allow_list_warning(self.cfg)
        if warning is not None:
            logger.warning("slack-app: %s", warning)
        try:
            self.connect()
            self.freshness = Freshness()  # the clock starts once connected
            self.freshness.observe(self.handler.client)
            if self.systemd is not None:
                self.systemd.ready("connected to Slack over Socket Mode")
            seen_run = self.answers.last_finished_run()
            tick = min(self.cfg.keepalive_seconds, self.cfg.home_poll_seconds)
            started = time.monotonic()
            next_keepalive = started + self.cfg.keepalive_seconds
            next_poll = started + self.cfg.home_poll_seconds
            while not self._stop.wait(tick):
                now = time.monotonic()
                if max_seconds is not None and now - started >= max_seconds:
                    break
                if now >= next_keepalive:
                    next_keepalive = now + self.cfg.keepalive_seconds
                    self.keepalive()
                if now >= next_poll:
                    next_poll = now + self.cfg.home_poll_seconds
                    latest = self.answers.last_finished_run()
                    if latest is not None and latest != seen_run:
                        seen_run = latest
                        self.refresh_homes()
            if self.systemd is not None:
                self.systemd.stopping("stopping")
            return 0
        finally:
            # close() waits for the receiving thread, which holds its lock through a recv with slack_sdk's 3 s
            # timeout, and for the message thread, which polls its queue every second: shutting the socket down
            # and waking the queue (closed first, as close() does) ends both at once: a stop takes ms, not seconds.
            client = self.handler.client
            session = client.current_session
            sock = session.sock if session is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(2)  # socket.SHUT_RDWR
            client.closed = True
            client.message_queue.put(None)
            self.handler.close()  # type: ignore[no-untyped-call]
            for signum, previous in installed:
                signal.signal(signum, previous)

    def keepalive(self) -> None:
        """One keepalive: auth.test, the socket's pongs; stale: WARNING with the cause, then DeliveryError."""
        self._auth_test()
        client = self.handler.client
        self.freshness.observe(client)
        problem = self.freshness.problem(self.cfg.stale_after_seconds, client.is_connected())
        if problem is not None:
            logger.warning("slack-app: the Slack connection is stale: %s; exiting so it is restarted", problem)
            raise DeliveryError(
                f"the Slack Socket Mode connection is stale: {problem}; the service manager restarts it"
            )
        if self.systemd is not None:
            self.systemd.watchdog()

    def refresh_homes(self) -> None:
        """Re-publish the App Home of everyone who opened it (after a new run reached the ledger)."""
        with self._lock:
            users = sorted(self.home_users)
        if users:
            logger.info("slack-app: a new run is in the ledger; refreshing %d App Home(s)", len(users))
        for user in users:
            self.publish_home(user)

    def _install_signals(self) -> list[tuple[int, Any]]:
        if threading.current_thread() is not threading.main_thread():
            return []
        installed: list[tuple[int, Any]] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            installed.append((signum, signal.signal(signum, lambda *_: self._stop.set())))
        return installed
