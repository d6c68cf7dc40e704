"""Every Python block of README.md runs as written, each in its own interpreter.

Blocks that serve an app only build it; the sections' own tests (tests/asgi,
tests/starlette) also drive those apps.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from support import SECRET, run_script

ROOT = Path(__file__).parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _blocks() -> list[Any]:
    """Each README block as a parameter named after its section, skipped when a module
    it imports is missing here (Muffin 3 needs Python 3.11+)."""
    readme = (ROOT / "README.md").read_text()
    params: list[Any] = []
    for match in BLOCK.finditer(readme):
        heading = re.findall(r"^## (.+)$", readme[: match.start()], re.M)[-1]
        source = match[1]
        modules: set[str] = set()
        for node in ast.parse(source).body:
            if isinstance(node, ast.Import):
                modules.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module.partition(".")[0])
        missing = sorted(m for m in modules if importlib.util.find_spec(m) is None)
        marks = [pytest.mark.skip(reason=f"{', '.join(missing)} not installed")] if missing else []
        name = re.sub(r"\W+", "-", heading.lower()).strip("-")
        params.append(pytest.param(source, id=f"{name}-{len(params)}", marks=marks))
    return params


def test_the_readme_has_its_30_second_example() -> None:
    assert any("in-30-seconds" in p.id for p in _blocks())


@pytest.mark.slow
@pytest.mark.parametrize("source", _blocks())
def test_readme_block_runs(source: str, tmp_path: Path) -> None:
    script = tmp_path / "block.py"
    script.write_text(source)
    run_script([sys.executable, str(script)], tmp_path, {"SESSION_SECRET_KEY": SECRET}, 60)
