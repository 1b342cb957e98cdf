"""Soak benchmark: the daemon's real job loop for N simulated trading days in one daemon process.

    .venv/bin/python -m bench.soak [--days 365] [--engine litert|tensorflow] [--inject-failures] [--png PATH]

The daemon (``fxbot.wiring.build_daemon``, the same wiring `fxbot schedule` uses) runs in this
process with a one-second trigger and replays trading days (``--replay-from``): each firing
spawns `fxbot run-once --as-of DAY` as a fresh child. The child fetches from a loopback OANDA v20
server that serves one new bar per simulated day, and posts to a loopback Slack Web API stand-in.
Both servers live in a separate process, so their bookkeeping never counts as the daemon's memory.

Recorded: the daemon's RSS every 10 days, each child's peak RSS (wait4), and the posts per day.
With --inject-failures one child is made to hang (the OANDA server stalls past job_timeout) and
one is killed with SIGKILL (as the OOM killer would): both must be recorded in the ledger,
alerted, and the next day must still post. Prints a table; saves a PNG of RSS over days.
Targets: daemon RSS growth <= 5 MB over 365 days; child peak <= 150 MB (litert), < 1 GiB (tensorflow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import multiprocessing as mp
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]

CHANNEL, ALERTS = "C0SOAKCALLS", "C0SOAKALERT"


def rss_mib() -> float:
    """This process's resident set size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(day_value: Any, hang_day: Any, ready: Any, results: Any, stop: Any) -> None:
    """Server process: OANDA bars up to the shared simulated day, and the Slack stand-in."""
    from fxbot.data.store import PriceStore
    from tests.support.market_servers import MarketServer
    from tests.support.slack_server import TOKEN, SlackStandIn

    full = {p: PriceStore(REPO / "data").load(p) for p in ("USDJPY", "EURJPY", "GBPJPY")}

    class SoakMarket(MarketServer):
        def _answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
            day = dt.date.fromordinal(day_value.value)
            if day_value.value == hang_day.value:
                time.sleep(3600)  # stalls past job_timeout: the child hangs
            self.bars = {p: b.up_to(day).to_frame() for p, b in full.items()}
            self.requests.clear()  # keep the server's own memory flat over a long soak
            return super()._answer(path, query, headers)

    market = SoakMarket(full).start()
    with SlackStandIn() as slack:
        ready.send((market.url, slack.api_url, TOKEN))
        stop.wait()
        per_day: dict[str, int] = {}
        for message in slack.posts(CHANNEL):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == "fxbot_daily_calls":
                day = meta["event_payload"]["as_of"]
                per_day[day] = per_day.get(day, 0) + 1
        results.send({"posts": per_day, "alerts": [m["text"] for m in slack.posts(ALERTS)]})
    market.stop()


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="fxbot daemon soak benchmark")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--engine", choices=["litert", "tensorflow"], default="litert")
    parser.add_argument("--inject-failures", action="store_true", help="one hung child and one killed child")
    parser.add_argument("--job-timeout", type=float, default=60.0)
    parser.add_argument("--png", type=Path, help="save RSS over days here")
    args = parser.parse_args()

    from fxbot.calendar import next_trading_day, previous_trading_day
    from fxbot.config import Secrets, settings_from_mapping
    from fxbot.data.store import PriceStore
    from fxbot.ledger import Ledger
    from fxbot.wiring import build_daemon

    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    last = dt.date(2024, 12, 31)
    days = [last]
    while len(days) < args.days:
        days.insert(0, previous_trading_day(days[0]))
    hang_at = days[len(days) // 3] if args.inject_failures else None
    crash_at = days[2 * len(days) // 3] if args.inject_failures else None

    work = Path(tempfile.mkdtemp(prefix="fxbot-soak-"))
    store = PriceStore(work / "data")
    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        store.save(pair, PriceStore(REPO / "data").load(pair).up_to(previous_trading_day(days[0])))

    ctx = mp.get_context("spawn")
    day_value = ctx.Value("l", days[0].toordinal(), lock=False)
    hang_value = ctx.Value("l", hang_at.toordinal() if hang_at else -1, lock=False)
    ready_recv, ready_send = ctx.Pipe(duplex=False)
    results_recv, results_send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    server = ctx.Process(target=serve, args=(day_value, hang_value, ready_send, results_send, stop), daemon=True)
    server.start()
    market_url, slack_url, token = ready_recv.recv()

    raw = {
        "data": {"dir": str(work / "data"), "provider": "oanda", "timeout_seconds": 300, "retries": 1},
        "model": {"dir": str(REPO / "models"), "engine": args.engine},
        "ledger": {"path": str(work / "state" / "ledger.sqlite")},
        "notify": {"slack": {"channel": CHANNEL, "error_channel": ALERTS, "retries": 2, "timeout_seconds": 30}},
        "schedule": {"cron": "* * * * * *", "job_timeout": args.job_timeout, "misfire_grace_time": 3600},
    }
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump(raw))
    os.environ.update(
        {
            "OANDA_API_TOKEN": "test-oanda-token-0123456789abcdef",
            "FXBOT_OANDA_API_URL": market_url,
            "SLACK_BOT_TOKEN": token,
            "FXBOT_SLACK_API_URL": slack_url,
        }
    )
    settings = settings_from_mapping(raw, str(config))

    samples: list[tuple[int, float]] = [(0, rss_mib())]
    children: list[tuple[dt.date, float, float, int | None]] = []
    started = time.monotonic()

    def on_child(result: Any) -> None:
        day = days[len(children)]
        children.append((day, result.peak_rss_mib, result.wall_seconds, result.exit_code))
        if len(children) < len(days):
            day_value.value = days[len(children)].toordinal()
        if len(children) % 10 == 0 or len(children) == len(days):
            samples.append((len(children), rss_mib()))
            print(
                f"day {len(children):>3}/{len(days)} {day}  daemon RSS {samples[-1][1]:6.1f} MiB  "
                f"child peak {result.peak_rss_mib:6.1f} MiB  {result.wall_seconds:5.1f} s  exit {result.exit_code}",
                flush=True,
            )

    def killer() -> None:  # SIGKILL the child of the crash day, as the OOM killer would
        while crash_at is not None and len(children) < len(days):
            if day_value.value == crash_at.toordinal():
                time.sleep(1.0)
                for pid in children_of(os.getpid()):
                    if Path(f"/proc/{pid}/cmdline").read_bytes().find(b"run-once") >= 0:
                        os.kill(pid, signal.SIGKILL)
                        return
            time.sleep(0.05)

    threading.Thread(target=killer, daemon=True).start()
    # The children print their tables to stdout: send those to /dev/null, keep ours.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = out
    daemon = build_daemon(settings, config, Secrets.from_env(), replay_from=days[0], replay_days=len(days))
    daemon.on_child = on_child
    daemon.run()
    elapsed = time.monotonic() - started

    stop.set()
    outcome = results_recv.recv()
    server.join(timeout=10)
    posts: dict[str, int] = outcome["posts"]
    failed_days = {d for d in (hang_at, crash_at) if d}
    missing = [d for d in days if posts.get(str(d), 0) == 0 and d not in failed_days]
    doubled = [d for d, n in posts.items() if n > 1]
    ledger = Ledger(settings.ledger.path)
    failed_runs = [dict(r) for r in ledger.runs(len(days) + 5) if r["status"] == "failed"]

    peaks = [c[1] for c in children]
    walls = [c[2] for c in children]
    growth = samples[-1][1] - samples[1][1] if len(samples) > 1 else float("nan")
    print()
    print(f"engine {args.engine}: {len(children)} simulated days in {elapsed / 60:.1f} min")
    print(
        f"{'daemon RSS MiB':<34}start {samples[0][1]:.1f}, day 10 {samples[1][1]:.1f}, "
        f"day {samples[-1][0]} {samples[-1][1]:.1f}; growth day 10 -> end {growth:+.2f} MiB"
    )
    print(f"{'child peak RSS MiB':<34}median {statistics.median(peaks):.1f}, max {max(peaks):.1f}")
    print(f"{'child wall s':<34}median {statistics.median(walls):.2f}, max {max(walls):.2f}")
    print(
        f"{'days posted exactly once':<34}{sum(1 for d in days if posts.get(str(d)) == 1)} of {len(days)}; "
        f"missing {missing or 'none'}; doubled {doubled or 'none'}"
    )
    if failed_days:
        print(f"{'injected failures':<34}hang {hang_at}, kill {crash_at}")
        for run in failed_runs:
            print(f"  ledger: {run['as_of']} failed: {run['error']}")
        for text in outcome["alerts"]:
            print(f"  alert: {text[:140]}")
        for d in sorted(failed_days):
            after = next_trading_day(d)
            print(f"  the day after {d} ({after}) posted: {posts.get(str(after), 0) == 1}")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        ax.plot([s[0] for s in samples], [s[1] for s in samples], marker="o", label="daemon RSS (every 10 days)")
        ax.plot(range(1, len(peaks) + 1), peaks, lw=0.6, alpha=0.7, label="child peak RSS")
        ax.set_xlabel("simulated trading day")
        ax.set_ylabel("MiB")
        ax.set_title(f"fxbot daemon soak, {args.engine} engine, {len(children)} days")
        ax.set_ylim(bottom=0)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.png)
        print(f"saved {args.png}")


if __name__ == "__main__":
    main()
