"""The backtest package has no import cycle and imports no module's private names (tests/support/import_graph.py)."""

from __future__ import annotations

from .support import import_graph as g


def test_no_cycle_and_no_private_name_across_the_backtest_modules() -> None:
    modules = g.module_names()
    graph, private = {}, {}
    for name, path in modules.items():
        graph[name], private[name] = g.imports(name, path, modules)
    assert "fxbot.backtest.tasks" in graph["fxbot.backtest.worker"]  # the task types come from their own module
    assert [c for c in g.cycles(graph) if any(m.startswith("fxbot.backtest") for m in c)] == []
    assert {n: p for n, p in private.items() if n.startswith("fxbot.backtest") and p} == {}


def test_the_graph_sees_imports_inside_functions_and_finds_a_cycle() -> None:
    assert g.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    modules = g.module_names()
    edges, _ = g.imports("fxbot.backtest.walkforward", modules["fxbot.backtest.walkforward"], modules)
    assert "fxbot.backtest.executors" in edges  # imported inside run_walk_forward only
