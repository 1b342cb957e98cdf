"""The wheel is self-contained: installed outside the checkout, it runs the daily path from an empty folder.

The wheel is built from this checkout without build isolation (setuptools from the test venv, no download),
installed with ``--no-deps --no-index`` into a fresh venv whose only other packages are this venv's (a ``.pth``
line: its editable fxbot hook is a ``.pth`` file there, which a path added that way does not run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO
from .support.env import clean_env

PAIRS = ("USD/JPY", "EUR/JPY", "GBP/JPY")


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    # Built from a copy: setuptools writes build/ and fxbot.egg-info/ into the source tree, and two pytest-xdist
    # workers (or a developer's build) would share the checkout's. The copy holds what the wheel is made of: the
    # top-level files, the package, and the folders its shipped/ links point to.
    source = tmp_path_factory.mktemp("source")
    for item in REPO.iterdir():
        if item.is_file():
            shutil.copy2(item, source / item.name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("fxbot", "data", "models", "configs"):
        shutil.copytree(REPO / folder, source / folder, symlinks=True, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    build = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, source,
        env=clean_env({"PIP_NO_INDEX": "1"}), cwd=out,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    [built] = out.glob("fxbot-*.whl")
    return built


def test_wheel_carries_models_history_and_default_config(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        assert f"fxbot/shipped/data/{pair}.csv" in names
        assert f"fxbot/shipped/models/{pair}/manifest.json" in names
        assert {f"fxbot/shipped/models/{pair}/member_{i}.tflite" for i in range(5)} <= names
    assert "fxbot/shipped/default.yaml" in names


def test_installed_wheel_runs_the_daily_path_from_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    (Path(site) / "deps-from-test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel,
        env=clean_env(),
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]

    empty, home = tmp_path / "empty", tmp_path / "home"
    empty.mkdir()
    env = clean_env({"HOME": str(home), "FXBOT_STATE_DIR": ""})
    env.pop("XDG_STATE_HOME", None)
    env.pop("PYTHONPATH", None)
    where = _run(python, "-c", "import fxbot; print(fxbot.__file__)", cwd=empty, env=env)
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr

    run = _run(target / "bin" / "fxbot", "run-once", "--dry-run", "--no-fetch", cwd=empty, env=env)
    assert run.returncode == 0, run.stderr
    calls = [line for line in run.stdout.splitlines() if line.startswith(PAIRS) and "/5" in line]
    assert [line.split()[0] for line in calls] == list(PAIRS), run.stdout
    assert all(("BUY" in line) != ("SELL" in line) for line in calls)
    assert list(empty.iterdir()) == [], "state written into the working folder"
    state = home / ".local" / "state" / "fxbot"
    assert {p.name for p in (state / "data").glob("*.csv")} == {"USDJPY.csv", "EURJPY.csv", "GBPJPY.csv"}

    env["XDG_STATE_HOME"] = str(tmp_path / "xdg")
    again = _run(target / "bin" / "fxbot", "run-once", "--dry-run", "--no-fetch", cwd=empty, env=env)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "xdg" / "fxbot" / "models" / "USDJPY").is_dir()
    assert os.listdir(empty) == []
