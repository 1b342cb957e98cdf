"""The daily-path import rule, checked in fresh processes (what is in ``sys.modules`` after the command ran).

- `run-once` (dry or recording) imports neither TensorFlow, scikit-learn, pandas nor pydantic, nor
  ``dataclasses``: its value types are msgspec Structs (a dataclass costs ~0.7 ms to define).
- The `schedule` daemon, after it has run a day (in its child), holds no pandas, no numpy, no model
  code and no pipeline; without a Slack credential it holds no slack_sdk either.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import BUNDLED_DATA, SHIPPED_MODELS
from .support.env import clean_env

HEAVY = ("tensorflow", "keras", "sklearn", "pandas", "pydantic", "scipy", "matplotlib")
#: `fxbot slack-app` only: no daily run, no daemon loads Bolt or a WebSocket client.
APP_ONLY = ("slack_bolt", "aiohttp", "websockets")

PROBE = """
import json, sys
from fxbot.cli import main
code = main(sys.argv[1:])
print("MODULES " + json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def _modules_after(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("MODULES ")), None)
    assert line is not None, result.stderr[-2000:]
    payload = json.loads(line.removeprefix("MODULES "))
    assert payload["exit"] == 0, result.stderr[-2000:]
    return set(payload["modules"])


def _top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def _config(tmp_path: Path, **schedule: str) -> Path:
    config = tmp_path / "fxbot.yaml"
    lines = [
        f"data:\n  dir: {BUNDLED_DATA}",
        f"model:\n  dir: {SHIPPED_MODELS}",
        f"ledger:\n  path: {tmp_path / 'state' / 'fxbot.sqlite'}",
    ]
    if schedule:
        lines.append("schedule:\n" + "".join(f"  {k}: '{v}'\n" for k, v in schedule.items()))
    config.write_text("\n".join(lines) + "\n")
    return config


def test_dry_run_imports_nothing_heavy(tmp_path: Path) -> None:
    modules = _modules_after(["run-once", "--dry-run", "--no-fetch", "--config", str(_config(tmp_path))], tmp_path)
    assert _top_level(modules) & {*HEAVY, *APP_ONLY, "dataclasses"} == set()
    assert {"numpy", "ai_edge_litert"} <= _top_level(modules)  # it did run the models: the check can fail


def test_recording_run_imports_nothing_heavy(tmp_path: Path) -> None:
    config = _config(tmp_path)
    modules = _modules_after(
        ["run-once", "--no-fetch", "--as-of", "2024-12-31", "--force", "--config", str(config)], tmp_path
    )
    assert _top_level(modules) & {*HEAVY, *APP_ONLY, "dataclasses"} == set()
    assert not any(m.startswith("fxbot.slack_app") for m in modules)
    assert "fxbot.ledger" in modules and (tmp_path / "state" / "fxbot.sqlite").exists()


def test_daemon_after_a_day_holds_no_model_code_nor_slack(tmp_path: Path) -> None:
    config = _config(tmp_path, cron="* * * * * *")  # every second: the replayed day runs at once
    args = ["schedule", "--config", str(config), "--replay-from", "2024-12-30", "--replay-days", "1"]
    modules = _modules_after(args, tmp_path)
    assert _top_level(modules) & {*HEAVY, *APP_ONLY, "numpy", "slack_sdk", "requests", "ai_edge_litert"} == set()
    assert {m for m in modules if m.startswith(("fxbot.model", "fxbot.pipeline", "fxbot.features"))} == set()
    assert "apscheduler" in _top_level(modules)
    # the day did run, in a child: its calls are in the ledger the daemon never opened for them
    import sqlite3

    with sqlite3.connect(tmp_path / "state" / "fxbot.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM signals WHERE bar_date = '2024-12-30'").fetchone()[0] == 3


def test_daemon_with_a_webhook_loads_slack_sdk_only_then(tmp_path: Path) -> None:
    config = _config(tmp_path, cron="* * * * * *")
    args = ["schedule", "--config", str(config), "--replay-from", "2024-12-30", "--replay-days", "1"]
    from .support.slack_server import Reply, SlackStandIn

    # the day's post fails (exit 4) so the daemon alerts: that is when it needs slack_sdk. A stand-in answers
    # the child's post and alert with errors at once (an unreachable URL cost seconds of connection retries).
    with SlackStandIn() as slack:
        slack.reply("webhook", Reply(503, "busy"), Reply(404, "no_service"))  # the child's report, its alert
        modules = _modules_after(args, tmp_path, {"SLACK_WEBHOOK_URL": slack.webhook_url})
    [alert] = slack.webhook_posts  # the daemon's: the failed ones were not stored
    assert "the daily run exited with code 4" in alert["text"]
    assert "slack_sdk" in _top_level(modules)
    assert _top_level(modules) & {*HEAVY, *APP_ONLY, "numpy"} == set()
    assert "slack_sdk.socket_mode" not in modules and not any(m.startswith("fxbot.slack_app") for m in modules)


def test_a_recording_run_with_both_slack_tokens_still_loads_no_bolt(tmp_path: Path) -> None:
    """SLACK_APP_TOKEN beside the bot token (as on a VM that runs `fxbot slack-app` too) changes nothing."""
    from .support.slack_server import APP_TOKEN, TOKEN, SlackStandIn

    config = _config(tmp_path)
    with open(config, "a") as handle:
        handle.write("notify:\n  slack:\n    channel: C0TESTCHAN\n")
    with SlackStandIn() as slack:
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "FXBOT_SLACK_API_URL": slack.api_url}
        modules = _modules_after(
            ["run-once", "--no-fetch", "--as-of", "2024-12-31", "--force", "--config", str(config)], tmp_path, env
        )
        assert slack.posts("C0TESTCHAN")  # it did post through slack_sdk: the check below can fail
    assert "slack_sdk" in _top_level(modules)
    assert _top_level(modules) & set(APP_ONLY) == set() and "slack_sdk.socket_mode" not in modules


def test_weekly_summary_imports_no_pandas_nor_models(tmp_path: Path) -> None:
    config = _config(tmp_path)
    # a ledger with one scored day, so the summary has calls to count
    for day in ("2024-12-27", "2024-12-30"):
        _modules_after(["run-once", "--no-fetch", "--as-of", day, "--force", "--config", str(config)], tmp_path)
    modules = _modules_after(["summary", "--week", "2024-12-30", "--dry-run", "--config", str(config)], tmp_path)
    assert _top_level(modules) & {"tensorflow", "keras", "sklearn", "pandas", "pydantic", "scipy"} == set()
    assert {m for m in modules if m.startswith(("fxbot.model", "fxbot.pipeline"))} == set()
    assert "fxbot.summary" in modules and "fxbot.backtest.rollover" in modules  # it did build the summary
