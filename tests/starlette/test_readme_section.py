"""The README's "Starlette and FastAPI" examples run as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import SECRET

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]
README = Path(__file__).parents[2] / "README.md"


def _example(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ``app`` of the README block marked ``<!-- runs: NAME -->``, SESSION_* configured."""
    section = README.read_text().split("## Starlette and FastAPI", 1)[1].split("\n## ", 1)[0]
    marked = re.search(rf"<!-- runs: {name} -->\n```python\n(.*?)```", section, re.S)
    assert marked is not None, f"the README's Starlette section has no {name} example"
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    namespace: dict[str, Any] = {}
    exec(compile(marked[1], f"README.md ({name})", "exec"), namespace)  # noqa: S102
    return namespace["app"]


async def test_readme_starlette_example_counts_visits(
    http: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with http(_example("starlette", monkeypatch)) as client:
        texts = [(await client.get("/")).text for _ in range(2)]
    assert texts == ["visit number 1", "visit number 2"]


async def test_readme_fastapi_example_grows_a_typed_cart(
    http: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fastapi")
    async with http(_example("fastapi", monkeypatch)) as client:
        await client.post("/cart/apple")
        assert (await client.post("/cart/pear")).json() == {"items": ["apple", "pear"]}
