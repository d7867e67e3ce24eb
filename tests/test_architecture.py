"""The module layout: data flows one way, so no module imports itself back.

The action, button, notify and voice modules call the call coordinator; the
coordinator imports none of them (nor anything that imports it), counting
imports made only for the type checker too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "custom_components" / "click_to_call"


def imports() -> dict[str, set[str]]:
    """Each module of the package, and the package modules it imports."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        names = {
            node.module.split(".")[0]
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
        }
        found[path.stem] = names
    return found


def test_no_module_imports_itself_back() -> None:
    graph = imports()
    cycles = []

    def visit(start: str, module: str, path: list[str]) -> None:
        for imported in graph.get(module, ()):
            if imported == start:
                cycles.append([*path, start])
            elif imported in graph and imported not in path:
                visit(start, imported, [*path, imported])

    for module in graph:
        visit(module, module, [module])
    assert cycles == []


def test_the_coordinator_calls_no_action_module() -> None:
    graph = imports()
    callers = {"services", "button", "notify", "voice", "llm", "webhook", "__init__"}
    assert graph["coordinator"].isdisjoint(callers)
    assert "coordinator" in graph["services"] | graph["button"] | graph["notify"]
