"""bench/ imports fxbot and the test stand-ins (tests.support) as packages of the checkout, not by sys.path edits."""

from __future__ import annotations

import ast

from .conftest import REPO


def test_benchmarks_do_not_edit_sys_path() -> None:
    modules = sorted((REPO / "bench").glob("*.py"))
    assert len(modules) > 5
    for path in modules:
        tree = ast.parse(path.read_text(), str(path))
        uses = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr == "path"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ]
        assert not uses, f"bench/{path.name}:{uses[0]} uses sys.path; run it as python -m bench.{path.stem}"
