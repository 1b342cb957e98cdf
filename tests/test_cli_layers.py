"""The command layers point down: cli -> commands -> wiring -> library, read from the source with ``ast``.

Imports inside functions count (each command's imports are made there); imports under ``TYPE_CHECKING``
count too. No process is started and nothing is imported but ``fxbot.cli.parser``.
"""

from __future__ import annotations

from pathlib import Path

import fxbot

from .support import import_graph

PACKAGE = Path(fxbot.__file__).parent
#: The layers above the library: only these may import fxbot.wiring, and nothing imports them from below.
ABOVE = ("fxbot.cli", "fxbot.commands", "fxbot.wiring")


def _graph() -> dict[str, set[str]]:
    return import_graph.graph()


def _above(name: str) -> bool:
    return any(name == layer or name.startswith(layer + ".") for layer in ABOVE)


def test_nothing_below_the_composition_root_imports_it_or_the_commands() -> None:
    graph = _graph()
    upward = {name: sorted(t for t in targets if _above(t)) for name, targets in graph.items() if not _above(name)}
    assert {name: up for name, up in upward.items() if up} == {}
    assert not any(t.startswith(("fxbot.cli", "fxbot.commands")) for t in graph["fxbot.wiring"])
    commands = [name for name in graph if name.startswith("fxbot.commands")]
    assert commands and not any(t.startswith("fxbot.cli") for name in commands for t in graph[name])


def test_the_commands_wiring_and_the_reports_sit_on_no_import_cycle() -> None:
    graph = _graph()

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    watched = [
        name
        for name in graph
        if _above(name)
        or name in ("fxbot.sources", "fxbot.status", "fxbot.check", "fxbot.history", "fxbot.status_text")
        or name.startswith("fxbot.slack_app")
    ]
    assert [name for name in watched if name in reach(name)] == []


def test_every_command_is_built_by_its_groups_module_in_the_help_order() -> None:
    from fxbot.cli.parser import COMMANDS, build_parser

    choices = next(a.choices for a in build_parser()._actions if a.dest == "command")
    assert choices is not None and list(choices) == list(COMMANDS)
    required = {"alert": ["x"], "models": ["list"], "import-csv": ["f.csv", "--pair", "USDJPY"]}
    for name, group in COMMANDS.items():
        handler = build_parser(name).parse_args([name, *required.get(name, [])]).handler
        assert handler.__module__ == f"fxbot.commands.{group}", name
