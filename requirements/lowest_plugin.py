"""pytest plugin for `make test-lowest`: a test (or test file) that fails only because a module of an extra that
is not installed there ([train], [cluster]) is missing is reported as skipped, naming the module or
the extra; every other failure stays a failure. Loaded with ``-p lowest_plugin`` (PYTHONPATH=requirements).
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest

#: What a failure says when it needs another extra: a missing module of one, or fxbot's own refusal naming one
#: (a test that merely mentions an extra in a message it checks is not excused).
NEEDS_EXTRA = re.compile(
    r"No module named '(?:tensorflow|keras|sklearn|scipy|statsmodels|arch|ray)\b[^']*'"
    r"|needs fxbot\[(?:train|cluster)\] \(\w+ is missing\)"
    r"|which is not installed: pip install 'fxbot\[(?:train|cluster)\]'"
)


def _excused(report: Any) -> Any:
    if report.failed:
        found = NEEDS_EXTRA.search(str(report.longrepr))
        if found is not None:
            report.outcome = "skipped"
            report.longrepr = (str(report.fspath), 0, f"Skipped: needs another extra ({found[0]})")
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    return _excused(report)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    return _excused(report)
