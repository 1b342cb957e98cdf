"""Fault-injection soak: every replayed day is posted exactly once, whatever Slack and the OS do to the runs.

For each of N past trading days, `fxbot run-once --replay --as-of DAY` runs as a child process
against the loopback Slack stand-in (``tests.support.slack_server``), again and again until one
run exits 0, as cron or the daemon's catch-up would. Before each attempt a fault is drawn at random:

    store-then-5xx   Slack stores the message, then answers 500/502/503/504
    store-then-junk  Slack stores it, then answers 200 with a non-JSON body, or ok:false internal_error
    slow-answer      Slack stores it and answers after the client's timeout
    drop             Slack stores it and closes the connection without an answer
    kill             the run is killed (SIGKILL) at a random moment
    none             no fault

At the end the channel must hold exactly one report per day. Prints the counts; exits 1 if any
day has zero or several posts. Traffic goes to 127.0.0.1 only; the loop is bounded (attempts per day).

    .venv/bin/python -m bench.fault_soak [--days 200] [--seed 7] [--start 2023-01-02]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fxbot.calendar import is_trading_day, next_trading_day
from tests.support.env import clean_env
from tests.support.slack_server import TOKEN, Reply, SlackStandIn

REPO = Path(__file__).resolve().parents[1]
CHANNEL = "C0FXSIGNALS"
CLIENT_TIMEOUT = 1  # seconds: notify.slack.timeout_seconds of the runs
MAX_ATTEMPTS = 12
RUN_ONCE = [sys.executable, "-m", "fxbot.cli", "run-once", "--replay", "--no-fetch"]
FAULTS = ("none", "store-then-5xx", "store-then-junk", "slow-answer", "drop", "kill")


def trading_days(start: dt.date, count: int) -> list[dt.date]:
    """``count`` trading days from ``start`` on."""
    day = start if is_trading_day(start) else next_trading_day(start)
    days = []
    while len(days) < count:
        days.append(day)
        day = next_trading_day(day)
    return days


def write_config(folder: Path) -> Path:
    """A config on the bundled data and shipped models, posting to the stand-in's channel."""
    config = folder / "soak.yaml"
    config.write_text(
        f"data:\n  dir: {REPO / 'data'}\nmodel:\n  dir: {REPO / 'models'}\n"
        f"ledger:\n  path: {folder / 'state' / 'fxbot.sqlite'}\n"
        f"notify:\n  slack:\n    channel: {CHANNEL}\n    retries: 1\n    timeout_seconds: {CLIENT_TIMEOUT}\n"
    )
    return config


def script_fault(slack: SlackStandIn, fault: str, rng: random.Random) -> None:
    """Queue the answers of the next chat.postMessage for ``fault`` (every one of them stores the message)."""
    slack.scripts.clear()
    if fault == "store-then-5xx":
        status = rng.choice([500, 502, 503, 504])
        slack.reply("chat.postMessage", Reply(status, "<html>upstream error</html>", process=True))
    elif fault == "store-then-junk":
        body: dict[str, object] | str = rng.choice(["not json at all", {"ok": False, "error": "internal_error"}])
        slack.reply("chat.postMessage", Reply(200, body, process=True))
    elif fault == "slow-answer":
        slack.reply("chat.postMessage", Reply(delay=CLIENT_TIMEOUT + 1.0, process=True))
    elif fault == "drop":
        slack.reply("chat.postMessage", Reply(drop=True, process=True))


def attempt(config: Path, env: dict[str, str], day: dt.date, kill_after: float | None) -> int:
    """One `run-once` for ``day``; killed after ``kill_after`` seconds if given. Returns its exit code."""
    proc = subprocess.Popen(
        [*RUN_ONCE, "--as-of", day.isoformat(), "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is not None:
        try:
            return proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            return proc.wait()
    return proc.wait(timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 1, 2))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    faults: collections.Counter[str] = collections.Counter()
    exits: collections.Counter[int] = collections.Counter()
    attempts_per_day: list[int] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, SlackStandIn() as slack:
        config = write_config(Path(tmp))
        env = clean_env({"SLACK_BOT_TOKEN": TOKEN, "FXBOT_SLACK_API_URL": slack.api_url})
        days = trading_days(args.start, args.days)
        for day in days:
            for n in range(1, MAX_ATTEMPTS + 1):
                fault = rng.choice(FAULTS) if n < MAX_ATTEMPTS - 2 else "none"  # let a day end eventually
                faults[fault] += 1
                script_fault(slack, fault, rng)
                code = attempt(config, env, day, rng.uniform(0.05, 1.5) if fault == "kill" else None)
                exits[code] += 1
                if code == 0:
                    break
            attempts_per_day.append(n)
        posts = collections.Counter(
            m["metadata"]["event_payload"]["as_of"]
            for m in slack.posts(CHANNEL)
            if (m.get("metadata") or {}).get("event_type") == "fxbot_daily_calls"
        )
    per_day = collections.Counter(posts.get(d.isoformat(), 0) for d in days)
    print(f"fault soak: {len(days)} days {days[0]}..{days[-1]}, seed {args.seed}, {time.monotonic() - began:.0f} s")
    print(f"attempts: {sum(attempts_per_day)} ({max(attempts_per_day)} at most for one day)")
    print("faults injected: " + ", ".join(f"{k} {faults[k]}" for k in FAULTS))
    print("run exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items())))
    print("posts per day: " + ", ".join(f"{k} post(s): {v} day(s)" for k, v in sorted(per_day.items())))
    ok = set(per_day) == {1}
    print("exactly once per day: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
