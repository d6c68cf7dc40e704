"""docs/logging.md lists every logger satchel uses and every message it logs.

The messages are read from the source: each ``logger.<level>("...")`` call, and the
reasons that end up in the DEBUG line (``BadCookie("...")`` and ``reject("...")``).
Placeholders (``%s``, f-string fields) match any ``<word>`` on the page.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "logging.md"
SOURCES = sorted((ROOT / "packages").glob("*/src/**/*.py"))
LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
NOT_LOGGED = {"cli.py"}
"""Where a BadCookie is printed to the terminal, not logged."""
PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdrifxXeEgGc]")


def _module(path: Path) -> str:
    """The dotted name of the module at *path* (``packages/core/src/satchel/x.py``)."""
    parts = path.with_suffix("").parts
    return ".".join(parts[parts.index("src") + 1 :]).removesuffix(".__init__")


def _pattern(message: ast.expr) -> re.Pattern[str] | None:
    """A regex matching *message* on the page, its placeholders written as ``<word>``."""
    if isinstance(message, ast.Constant) and isinstance(message.value, str):
        pieces = PERCENT.split(message.value)
    elif isinstance(message, ast.JoinedStr):
        pieces = [""]
        for part in message.values:
            if isinstance(part, ast.Constant):
                pieces[-1] += str(part.value)
            else:
                pieces.append("")
    else:
        return None
    return re.compile("<[^<>`]+>".join(re.escape(piece) for piece in pieces))


def _calls() -> Iterator[tuple[str, str, ast.Call]]:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                yield path.name, _module(path), node


def logger_names() -> set[str]:
    """Every name passed to ``logging.getLogger`` in the packages."""
    found = set()
    for _, module, call in _calls():
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "getLogger":
            (argument,) = call.args
            if isinstance(argument, ast.Name) and argument.id == "__name__":
                found.add(module)
            else:
                assert isinstance(argument, ast.Constant), ast.unparse(call)
                found.add(str(argument.value))
    return found


def messages() -> list[tuple[str, ast.expr]]:
    """The logged texts: log calls' messages and the reasons of refused sessions."""
    found = []
    for filename, _, call in _calls():
        func = call.func
        is_log = (
            isinstance(func, ast.Attribute)
            and func.attr in LEVELS
            and ast.unparse(func.value).split(".")[-1] in ("logger", "log", "_logger")
        )
        is_reason = (
            (isinstance(func, ast.Name) and func.id == "BadCookie")
            or (isinstance(func, ast.Attribute) and func.attr == "reject")
        ) and filename not in NOT_LOGGED
        if is_reason and call.args and not isinstance(call.args[0], ast.Constant | ast.JoinedStr):
            continue  # reject(exc.reason) passes on a BadCookie's reason, found at its raise
        if (is_log or is_reason) and call.args:
            found.append((f"{filename}: {ast.unparse(call)[:80]}", call.args[0]))
    return found


def _page() -> str:
    return PAGE.read_text()


def test_the_scan_finds_satchels_logging() -> None:
    assert "satchel" in logger_names()
    assert len(messages()) > 30


@pytest.mark.parametrize("name", sorted(logger_names()))
def test_every_logger_is_listed(name: str) -> None:
    assert f"| `{name}` |" in _page()


def test_every_logged_message_is_on_the_page() -> None:
    page = _page()
    missing = []
    for where, message in messages():
        pattern = _pattern(message)
        if pattern is None or not pattern.search(page):
            missing.append(where)
    assert missing == [], "document these in docs/logging.md"


def test_the_page_is_in_the_nav_and_promises_no_secret() -> None:
    assert "Logging: logging.md" in (ROOT / "mkdocs.yml").read_text()
    assert "## What is never logged" in _page()
