"""Constraints that pin fxbot's core dependencies and the ``charts`` extra to the lowest versions pyproject.toml allows.

`make test-lowest` (and CI) installs those at their ``>=`` bounds, the ``test`` extra and every other package at
the versions of requirements/dev.txt (the lock), into .venv/lowest, and runs the fast tests there with the
``lowest_plugin`` beside this file (a test that needs another extra is skipped, saying which). Printed to stdout;
pure standard library.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The groups whose lower bounds are tested: what `pip install fxbot` (with [charts] or [slack-app]) may get.
TESTED = ("", "charts", "slack-app")
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)", re.MULTILINE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lower_bounds() -> dict[str, str]:
    """Package -> its ``>=`` bound, for every requirement of the tested groups (each must have one)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    out = {}
    for group in TESTED:
        for requirement in groups[group]:
            name = NAME.match(requirement)
            bound = re.search(r">=\s*([^,;\s]+)", requirement)
            if name is None or bound is None:
                sys.exit(f"pyproject.toml: {requirement!r} has no lower bound (>=) to test")
            out[canonical(name[1])] = bound[1]
    return out


def main() -> int:
    lowest = lower_bounds()
    locked = {canonical(m[1]): m[2] for m in PIN.finditer((ROOT / "requirements" / "dev.txt").read_text())}
    lines = [f"{name}=={version}" for name, version in sorted(lowest.items())]
    lines += [f"{name}=={version}" for name, version in sorted(locked.items()) if name not in lowest]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
