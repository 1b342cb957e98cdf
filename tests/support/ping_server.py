"""A healthchecks.io stand-in on 127.0.0.1: records every ping (path and query) in the order received."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

#: The check's key: what a real ping URL hides in its path (never to appear in fxbot's output).
KEY = "5f1c0ffee-0000-4000-8000-00000000feed"


class PingStandIn:
    """Records ``(path, rid)`` of each request; ``delay`` seconds before answering, ``status`` as the answer."""

    def __init__(self, delay: float = 0.0, status: int = 200, statuses: list[int] | None = None) -> None:
        self.delay = delay
        self.status = status
        self.statuses = list(statuses or [])  # answered first, one per request, then ``status``
        self.pings: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                rid = parse_qs(parts.query).get("rid", [None])[0]
                with stand_in._lock:
                    stand_in.pings.append((parts.path, rid))
                if stand_in.delay:
                    time.sleep(stand_in.delay)
                body = b"OK"
                with stand_in._lock:
                    status = stand_in.statuses.pop(0) if stand_in.statuses else stand_in.status
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (a slow-answer test)
                    pass

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # serve_forever looks for shutdown() every poll_interval (0.5 s by default): every test paid it at exit.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """The ping URL of the check (its path holds ``KEY``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/ping/{KEY}"

    def paths(self) -> list[str]:
        """The suffix of each ping after the check's URL ('' success, '/start', '/<code>'), in order."""
        with self._lock:
            return [path.removeprefix(f"/ping/{KEY}") for path, _ in self.pings]

    def rids(self) -> list[str | None]:
        """The ``rid`` of each ping, in order."""
        with self._lock:
            return [rid for _, rid in self.pings]

    def wait_for(self, count: int, seconds: float = 30.0) -> list[str]:
        """The paths once at least ``count`` pings arrived (or after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.paths()) < count:
            time.sleep(0.05)
        return self.paths()

    def __enter__(self) -> PingStandIn:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
