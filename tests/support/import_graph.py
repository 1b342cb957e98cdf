"""fxbot's import graph and its cycles, read from the source with ``ast`` (nothing is imported).

Every ``import``/``from ... import`` of an ``fxbot`` module counts, wherever it is written: at
module level, under ``if TYPE_CHECKING``, or inside a function (a deferred import still ties the
two modules together). ``from fxbot.x import y`` is an edge to ``fxbot.x.y`` when that is a
module, else to ``fxbot.x``. Prints each strongly connected component of more than one module
and each module importing a private name of another module; exits 1 if there is any.

    python -m bench.import_graph                   # the whole package
    python -m bench.import_graph fxbot.backtest    # only components touching that prefix

The tests (``tests/test_architecture.py``, ``test_cli_layers.py``, ``test_backtest_imports.py``) read the
same graph: one implementation of what counts as an import.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "fxbot"


def module_names() -> dict[str, Path]:
    """Dotted name -> file for every module of the package."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, level: int, current: str, is_package: bool) -> str:
    if not level:
        return module
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports(name: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], list[tuple[str, str]]]:
    """The fxbot modules ``name`` imports, and the (module, private name) pairs it imports from others."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    edges: set[str] = set()
    private: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    edges.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node.module or "", node.level, name, path.name == "__init__.py")
            if source not in modules:
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in modules:
                    edges.add(sub)
                else:
                    edges.add(source)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append((source, alias.name))
    edges.discard(name)
    return edges, private


def graph() -> dict[str, set[str]]:
    """Each fxbot module -> the fxbot modules it imports anywhere in its file."""
    modules = module_names()
    return {name: imports(name, path, modules)[0] for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv: list[str]) -> int:
    """Print the cycles and private imports (of modules under the prefix, if given); 1 if any."""
    prefix = argv[0] if argv else "fxbot"
    modules = module_names()
    graph: dict[str, set[str]] = {}
    privates: dict[str, list[tuple[str, str]]] = {}
    for name, path in modules.items():
        graph[name], privates[name] = imports(name, path, modules)
    found = [c for c in cycles(graph) if any(m.startswith(prefix) for m in c)]
    crossing = [(name, src, attr) for name, items in privates.items() if name.startswith(prefix) for src, attr in items]
    edges = sum(len(e) for e in graph.values())
    print(f"{len(modules)} modules, {edges} import edges (module- and function-level)")
    for comp in found:
        print("cycle: " + " <-> ".join(comp))
    for name, src, attr in sorted(crossing):
        print(f"private name: {name} imports {src}.{attr}")
    if not found and not crossing:
        print(f"no cycle and no private name crossing modules under {prefix}")
    return 1 if found or crossing else 0
