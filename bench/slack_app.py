"""`fxbot slack-app` benchmark: idle memory over a long run of keepalives, and command answer times.

    .venv/bin/python -m bench.slack_app [--keepalives 3600] [--interval 0.05] [--commands 60]

The real CLI (`fxbot slack-app`, a child process) runs against loopback stand-ins in this process:
the Web API (tests/support/slack_server.py: auth.test, apps.connections.open, views.publish and the
response_url) and the Socket Mode WebSocket server (tests/support/socket_mode_server.py). Time is
compressed: a keepalive (auth.test plus the socket's pong check) every ``--interval`` seconds, and a
WebSocket ping every second (the least ``ping_interval_seconds`` allows). 3,600 keepalives are 60
hours at the default keepalive_seconds (60 s), or an hour at one a second. The ledger holds three
replayed daily runs, so status, history and the App Home read real rows.

Printed: the child's RSS (VmRSS) after connecting and one answer of each kind, then at a few points
through the keepalives and at the end, with its peak (VmHWM); the median and 95th percentile of the
time from sending a command envelope to its acknowledgement and to the answer on response_url.
Targets: idle RSS under 60 MiB and flat. Loopback only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.support.env import clean_env
from tests.support.slack_server import APP_TOKEN, TOKEN, SlackStandIn
from tests.support.socket_mode_server import SocketModeStandIn

REPO = Path(__file__).resolve().parents[1]

USER, CHANNEL = "U0BENCHUSR", "C0BENCHCHN"


def proc_mib(pid: int, field: str) -> float:
    """``field`` (VmRSS, VmHWM) of process ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed_ledger(folder: Path) -> dict[str, object]:
    """A config whose ledger holds three replayed days (the CLI's own run-once)."""
    raw: dict[str, object] = {
        "data": {"dir": str(REPO / "data")},
        "model": {"dir": str(REPO / "models")},
        "ledger": {"path": str(folder / "fxbot.sqlite")},
    }
    config = folder / "seed.yaml"
    config.write_text(yaml.safe_dump(raw))
    for day in ("2024-12-27", "2024-12-30", "2024-12-31"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "fxbot.cli",
                "run-once",
                "--replay",
                "--no-fetch",
                "--as-of",
                day,
                "--config",
                str(config),
            ],
            cwd=REPO,
            env=clean_env(),
            check=True,
            capture_output=True,
        )
    return raw


def ask(socket: SocketModeStandIn, web: SlackStandIn, text: str, key: str) -> tuple[float, float]:
    """(seconds to the ack, seconds to the answer on response_url) of one `/fxbot text`."""
    sent = time.monotonic()
    envelope = socket.slash_command(text, user=USER, channel=CHANNEL, response_url=web.response_url(key))
    acked = socket.wait_ack(envelope, timeout=3.0)
    arrived, _ = web.wait_response(key, timeout=30)
    return acked, arrived - sent


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keepalives", type=int, default=3600, help="keepalives to simulate (default 3600)")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between keepalives (default 0.05)")
    parser.add_argument("--commands", type=int, default=60, help="commands for the answer times (default 60)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SocketModeStandIn() as socket:
        folder = Path(tmp)
        raw = seed_ledger(folder)
        raw["slack_app"] = {
            "allowed_users": [USER],
            "allowed_channels": [CHANNEL],
            "keepalive_seconds": args.interval,
            "ping_interval_seconds": 1.0,  # the least allowed (see configs/default.yaml)
            "stale_after_seconds": 30.0,
            "home_poll_seconds": args.interval,
        }
        config = folder / "app.yaml"
        config.write_text(yaml.safe_dump(raw))
        with SlackStandIn(socket_url=socket.next_url) as web:
            env = clean_env(
                {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "FXBOT_SLACK_API_URL": web.api_url}
            )
            log = (folder / "app.log").open("w")
            child = subprocess.Popen(
                [sys.executable, "-m", "fxbot.cli", "slack-app", "--config", str(config)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                socket.wait_connections(1, timeout=60)
                # warm up: one answer of each kind and the App Home, so every code path is loaded
                for i, text in enumerate(("status", "history", "help", "week")):
                    ask(socket, web, text, f"warm{i}")
                socket.wait_ack(socket.home_opened(USER))
                time.sleep(1.0)
                start_rss = proc_mib(child.pid, "VmRSS")
                base = len(web.calls("auth.test"))
                print(
                    f"fxbot slack-app (pid {child.pid}): a keepalive every {args.interval} s, {args.keepalives} of them"
                )
                print(f"{'keepalives':>10}  {'pings':>7}  {'RSS MiB':>8}")
                print(f"{0:>10}  {socket.pings:>7}  {start_rss:>8.1f}")
                marks = [args.keepalives * k // 4 for k in (1, 2, 3, 4)]
                samples = [start_rss]
                started = time.monotonic()
                for mark in marks:
                    while len(web.calls("auth.test")) - base < mark:
                        if child.poll() is not None:
                            raise SystemExit(f"fxbot slack-app exited {child.returncode}; see its log")
                        time.sleep(0.2)
                    samples.append(proc_mib(child.pid, "VmRSS"))
                    print(f"{len(web.calls('auth.test')) - base:>10}  {socket.pings:>7}  {samples[-1]:>8.1f}")
                elapsed = time.monotonic() - started
                peak = proc_mib(child.pid, "VmHWM")
                print(
                    f"RSS start {samples[0]:.1f} MiB, middle {samples[2]:.1f} MiB, end {samples[-1]:.1f} MiB "
                    f"(growth {samples[-1] - samples[0]:+.1f} MiB), peak {peak:.1f} MiB; {elapsed:.0f} s wall; "
                    f"target: under 60 MiB and flat"
                )
                acks, answers = [], []
                kinds = ("status", "history 5", "help", "week")
                per_kind: dict[str, list[float]] = {k: [] for k in kinds}
                for i in range(args.commands):
                    kind = kinds[i % len(kinds)]
                    acked, answered = ask(socket, web, kind, f"cmd{i}")
                    acks.append(acked)
                    answers.append(answered)
                    per_kind[kind].append(answered)
                q = statistics.quantiles
                print(
                    f"{args.commands} commands: ack median {statistics.median(acks) * 1000:.1f} ms "
                    f"(p95 {q(acks, n=20)[18] * 1000:.1f} ms, max {max(acks) * 1000:.1f} ms; Slack allows 3000 ms); "
                    f"answer on response_url median {statistics.median(answers) * 1000:.1f} ms "
                    f"(p95 {q(answers, n=20)[18] * 1000:.1f} ms)"
                )
                print(
                    "answer median by command: "
                    + ", ".join(f"{k} {statistics.median(v) * 1000:.1f} ms" for k, v in per_kind.items())
                )
                after = proc_mib(child.pid, "VmRSS")
                print(f"RSS after the commands: {after:.1f} MiB; reconnects {socket.connections - 1}")
            finally:
                child.terminate()
                code = child.wait(30)
                log.close()
                print(f"fxbot slack-app stopped on SIGTERM with exit {code}")


if __name__ == "__main__":
    main()
