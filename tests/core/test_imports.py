"""How satchel's modules import each other: no cycle, and nothing optional at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import satchel

SOURCE = Path(satchel.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["satchel", *path.relative_to(SOURCE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Every satchel module and the satchel modules it imports anywhere in its source:
    at the top, under ``if TYPE_CHECKING:`` or inside a function."""
    paths = {_module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)  # submodules
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that returns to its start, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle is not None:
            return cycle
    return None


def test_the_import_graph_sees_the_engine_modules() -> None:
    graph = _import_graph()
    assert "satchel.session" in graph["satchel.manager"]
    assert "satchel._state" in graph["satchel.session"]  # a TYPE_CHECKING import
    assert "satchel.backends.jwt" in graph["satchel.backends"]  # a function-level import


def test_no_satchel_module_imports_itself_back() -> None:
    cycle = _find_cycle(_import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_session_does_not_import_the_manager() -> None:
    assert "satchel.manager" not in _import_graph()["satchel.session"]


def test_importing_satchel_loads_no_backend_module_or_optional_dependency() -> None:
    code = (
        "import satchel, sys; print(sorted(m for m in sys.modules if m.startswith("
        "('satchel.backends.', 'jwt', 'cryptography', 'redis'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
