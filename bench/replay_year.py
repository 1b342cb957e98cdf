"""Replay a year with monthly retraining, as the daemon runs it, and summarise the model lifecycle.

    .venv/bin/python -m bench.replay_year [--first 2024-01-02] [--days 252] [--until 2023-12-29] [--log FILE]

In a temporary folder: `fxbot train --until UNTIL` and `fxbot models promote` make the first
champions (the shipped training settings), then `fxbot schedule --replay-from FIRST --replay-days
DAYS --replay-retrain` replays each trading day as the daily job, with `fxbot retrain` on the first
replayed day of each month. Printed: the days called, the retrain children (wall time, peak RSS),
each gate decision with its evidence (shadow calls, the held-back walk-forward, the pooled figures
the rule reads) beside what the rule before issue 20 (non-inferiority: within 2 points of the
champion and the random band of always-buy) would have decided on the same evidence, and each pair's
record against always-buy (the replay's calls: all of them are replays, none live). Prints figures;
asserts nothing. Takes about half an hour on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from fxbot.model.gate import band_half_width

REPO = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OANDA_", "FXBOT_"))}


def _run(argv: list[str], log: Path) -> int:
    with log.open("a") as handle:
        return subprocess.run(
            [sys.executable, "-m", "fxbot.cli", *argv], cwd=REPO, env=_env(), stdout=handle, stderr=handle, check=False
        ).returncode


def _old_rule(evidence: dict[str, Any], margin: float = 0.02) -> str:
    """What the gate before issue 20 decided on the same pooled figures: promote unless the challenger trails
    the champion by more than ``margin`` or always-buy by more than the random band."""
    if evidence["challenger"] < evidence["champion"] - margin - 1e-9:
        return "keep"
    if evidence["challenger_vs_always_buy"] < evidence["always_buy"] - band_half_width(evidence["calls_vs_always_buy"]):
        return "keep"
    return "promote"


def summarise(root: Path, log: Path, seconds: float) -> list[str]:
    """The replay's figures, from its ledger, promotions log and output."""
    out = []
    with sqlite3.connect(root / "ledger.sqlite") as db:
        runs = db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall()
        called = db.execute("SELECT COUNT(DISTINCT bar_date) FROM signals").fetchone()[0]
        shadow = db.execute("SELECT COUNT(*) FROM shadow_calls").fetchone()[0]
        records = db.execute(
            "SELECT pair, COUNT(*), SUM(right), SUM(move > 0) FROM signals WHERE right IS NOT NULL AND kind = 'replay'"
            " GROUP BY pair"
        ).fetchall()
    entries = [json.loads(line) for line in (root / "models" / "promotions.jsonl").read_text().splitlines()]
    decisions = [e for e in entries if e["action"] in ("promote", "retire", "passed") and e["by"] == "schedule"]
    trained = [e for e in entries if e["action"] == "import" and e["by"] == "schedule"]
    shipped = [e["to"] for e in entries if e["action"] == "seed"]
    text = log.read_text()
    children = [ln.split(": ", 1)[1] for ln in text.splitlines() if "retrain child:" in ln]
    out.append(f"runs by status: {dict(runs)}; {called} days called; {shadow} shadow calls; {seconds / 60:.1f} min")
    out.append(f"{len(children)} retrain children; {len(trained)} challengers trained; {len(decisions)} gate decisions")
    out += [f"  {c}" for c in children]
    out.append(f"seeded (shipped, not used: trained on the replayed days): {', '.join(shipped)}")
    retired = sum(e["action"] == "retire" for e in decisions)
    old_kept = sum(_old_rule(e["evidence"]) == "keep" for e in decisions)
    out.append(
        f"decisions: {len(decisions) - retired} promoted, {retired} retired "
        f"(the rule before issue 20, on the same evidence: {len(decisions) - old_kept} promoted, {old_kept} kept)"
    )
    out.append(
        "pair    challenger                 shadow (ch/champ/buy)   held back (recipe/buy; champ days: recipe/champ)"
        "   judged vs champion / vs always-buy            decision (old rule)"
    )
    for e in decisions:
        ev = e["evidence"]
        s, h = ev["shadow"], ev.get("held_back")
        held = "none"
        if h:
            held = f"{h['recipe']:.1%}/{h['always_buy']:.1%} of {h['calls']}"
            if "champion_calls" in h:
                held += f"; {h['recipe_on_those']:.1%}/{h['champion']:.1%} of {h['champion_calls']}"
        out.append(
            f"{e['pair']}  {e['to']}  {s['challenger']:.0%}/{s['champion']:.0%}/{s['always_buy']:.0%} of {s['calls']}"
            f"   {held}   {ev['challenger']:.1%} vs {ev['champion']:.1%} of {ev['calls']} "
            f"({ev['only_challenger']}:{ev['only_champion']}, one-sided p {ev['p_better']:.3f})"
            f" / {ev['challenger_vs_always_buy']:.1%} vs {ev['always_buy']:.1%} ±{ev['band']:.1%} of "
            f"{ev['calls_vs_always_buy']}   {e['action']} ({_old_rule(ev)})"
        )
    for pair, n, right, up in records:
        out.append(f"replayed {pair}: {right}/{n} right, always-buy {up}/{n}")
    return out


def main() -> None:
    """Train the first champions, replay the days with monthly retraining, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default="2024-01-02", help="the first replayed day")
    parser.add_argument("--days", type=int, default=252, help="replayed days (trading days from --first)")
    parser.add_argument("--until", default="2023-12-29", help="the first champions' last training bar")
    parser.add_argument("--log", type=Path, help="keep the replay's whole output here")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = root / "c.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "state_dir": str(root),
                    "data": {"dir": str(REPO / "data")},
                    "model": {"dir": str(root / "models")},
                    "ledger": {"path": str(root / "ledger.sqlite")},
                    "schedule": {"cron": "* * * * * *", "job_timeout": 600, "retrain_timeout": 7200},
                }
            )
        )
        log = args.log or root / "replay.log"
        log.write_text("")
        began = time.monotonic()
        if _run(["train", "--until", args.until, "--config", str(config)], log) != 0:
            sys.exit(f"fxbot train failed; see {log}")
        # The state was seeded with the shipped models (trained to 2024-12-31): the versions just trained
        # arrive as challengers, and a person makes them the champions, as the train command says.
        log_lines = (root / "models" / "promotions.jsonl").read_text().splitlines()
        for entry in [json.loads(line) for line in log_lines]:
            promote = ["models", "promote", entry["to"], "--config", str(config)]
            if entry["action"] == "import" and _run(promote, log) != 0:
                sys.exit(f"fxbot models promote {entry['to']} failed; see {log}")
        replay = ["--replay-from", args.first, "--replay-days", str(args.days), "--replay-retrain"]
        code = _run(["schedule", "--config", str(config), *replay], log)
        print(f"fxbot schedule exit {code}")
        print("\n".join(summarise(root, log, time.monotonic() - began)))
        notices = [ln for ln in log.read_text().splitlines() if "model gate" in ln]
        print("\n".join(notices))


if __name__ == "__main__":
    main()
