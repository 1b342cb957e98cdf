"""The house rules of issue 24, checked on the source so they cannot rot.

- No import cycle among fxbot's modules; imports inside functions count (a deferred import is still a dependency).
- (Only the command layers import `fxbot.wiring`: `tests/test_cli_layers.py`.)
- No module in fxbot/ over 600 lines.
- The notifier manager asks its notifiers nothing by ``getattr``/``hasattr``: the interface says what they have.
- The README stays a front page (at most 250 lines); the reference lives in docs/.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .support import import_graph

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "fxbot"
MAX_MODULE_LINES = 600
MAX_README_LINES = 250


def test_no_import_cycle_among_fxbot_modules() -> None:
    graph = import_graph.graph()
    assert "fxbot.wiring" in graph["fxbot.commands.daily"]  # the graph sees the package's imports at all
    assert import_graph.cycles(graph) == []


def test_no_module_over_600_lines() -> None:
    modules = import_graph.module_names()
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules.items()}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_the_notifier_manager_asks_its_notifiers_nothing_by_reflection() -> None:
    tree = ast.parse((PACKAGE / "notify" / "manager.py").read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}
    ]
    assert calls == []


def test_the_readme_is_a_front_page() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES
    assert any("make run" in line for line in lines) and any("make test" in line for line in lines)
