"""The lock (requirements/*.txt, `make lock`) agrees with pyproject.toml and with itself, and is what installs use."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO

LOCKS = ("run", "charts", "slack-app", "train", "dev")
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ \\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    """Package name -> version of requirements/NAME.txt; every pin carries at least one hash."""
    text = (REPO / "requirements" / f"{name}.txt").read_text()
    found = {canonicalize_name(m[1]): m[2] for m in PIN.finditer(text)}
    blocks = [b for b in re.split(r"\n(?=[A-Za-z0-9])", text) if PIN.match(b)]
    assert blocks and all("--hash=sha256:" in b for b in blocks), f"requirements/{name}.txt: a pin without a hash"
    return found


def project() -> dict[str, list[Requirement]]:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = {k: [Requirement(r) for r in v] for k, v in meta["optional-dependencies"].items()}
    return {"": [Requirement(r) for r in meta["dependencies"]], **extras}


def test_extras_are_named_as_the_ecosystem_expects() -> None:
    assert {"charts", "train", "slack-app", "cluster", "test", "dev"} <= set(project())


def test_the_daily_install_has_no_matplotlib() -> None:
    """matplotlib is the charts extra (`fxbot site`, the Slack chart, the backtest report): `make run` and the
    daemon's image install requirements/run.txt without it; train (the backtest report) and charts have it."""
    assert "matplotlib" not in {canonicalize_name(r.name) for r in project()[""]}
    assert "matplotlib" not in pins("run") and "matplotlib" not in pins("slack-app")
    assert {"matplotlib"} <= set(pins("charts")) & set(pins("train")) & set(pins("dev"))


@pytest.mark.parametrize(
    ("lock", "groups"),
    [
        ("run", [""]),
        ("charts", ["", "charts"]),
        ("slack-app", ["", "slack-app"]),
        ("train", ["", "train"]),
        ("dev", list(project())),
    ],
)
def test_each_lock_pins_every_requirement_within_its_bounds(lock: str, groups: list[str]) -> None:
    pinned = pins(lock)
    for group in groups:
        for req in project()[group]:
            name = canonicalize_name(req.name)
            assert name in pinned, f"requirements/{lock}.txt lacks {req.name}: run `make lock`"
            assert req.specifier.contains(pinned[name], prereleases=True), f"{lock}: {name}=={pinned[name]} vs {req}"


def test_the_smaller_locks_take_the_versions_the_tests_ran_with() -> None:
    dev = pins("dev")
    for lock in ("run", "charts", "slack-app", "train"):
        assert {n: v for n, v in pins(lock).items() if dev.get(n) != v} == {}, lock


def test_make_and_ci_install_from_the_lock() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "--require-hashes -r requirements/run.txt" in makefile
    assert "--require-hashes -r requirements/dev.txt" in makefile
    assert "make check" in (REPO / ".ci" / "run").read_text()  # which installs through $(VENV)/.dev-installed
    docker = (REPO / "Dockerfile").read_text()
    assert docker.index("requirements/run.txt") < docker.index("COPY fxbot ./fxbot")  # deps before code


def test_the_lower_bounds_are_installed_and_tested() -> None:
    """`make test-lowest` (run by CI) pins every core, [charts] and [slack-app] requirement to its >= bound."""
    import runpy

    lowest = runpy.run_path(str(REPO / "requirements" / "lowest.py"))
    bounds = lowest["lower_bounds"]()
    for req in [*project()[""], *project()["charts"], *project()["slack-app"]]:
        bound = bounds[canonicalize_name(req.name)]
        assert f">={bound}" in str(req.specifier) and req.specifier.contains(bound), req
    makefile = (REPO / "Makefile").read_text()
    assert "requirements/lowest.py > $(LOWEST)/constraints.txt" in makefile and "-p lowest_plugin" in makefile
    assert "make test-lowest" in (REPO / ".ci" / "run").read_text()
