"""The README's examples marked ``<!-- runs: NAME -->`` run, as written, here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import SECRET

pytestmark = pytest.mark.anyio
README = Path(__file__).parents[2] / "README.md"
MARKED = re.compile(r"<!-- runs: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)```", re.S)


def _examples() -> dict[str, str]:
    return {m["name"]: m["code"] for m in MARKED.finditer(README.read_text())}


def _app(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    namespace: dict[str, Any] = {}
    exec(compile(_examples()[name], f"README.md ({name})", "exec"), namespace)  # noqa: S102
    return namespace["app"]


def test_the_readme_marks_its_runnable_examples() -> None:
    assert {"bare-asgi", "asgi-tools"} <= set(_examples())


@pytest.mark.parametrize("name", ["bare-asgi", "asgi-tools"])
async def test_readme_example_counts_visits_with_a_session_cookie(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(name, monkeypatch)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        texts = [(await client.get("/")).text for _ in range(3)]
        assert texts == ["visit number 1", "visit number 2", "visit number 3"]
        assert "HttpOnly" in (await client.get("/")).headers["set-cookie"]
