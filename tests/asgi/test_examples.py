"""The examples in examples/asgi run, and the README shows them as they are."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from asgi.conftest import client
from support import SECRET

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "asgi"


def _app(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ``app`` of an example file, run as a script is (not imported as a package)."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    return runpy.run_path(str(EXAMPLES / name))["app"]


async def test_bare_app_counts_visits_with_an_httponly_cookie(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with client(_app("bare_app.py", monkeypatch)) as http:
        assert [(await http.get("/")).text for _ in range(3)] == [
            "visit number 1",
            "visit number 2",
            "visit number 3",
        ]
        assert "HttpOnly" in (await http.get("/")).headers["set-cookie"]


async def test_asgi_tools_app_counts_logs_in_with_a_new_id_and_logs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with client(_app("asgi_tools_app.py", monkeypatch)) as http:
        assert (await http.get("/")).text == "visit number 1, logged in: nobody."
        before = http.cookies["session"]
        login = await http.post("/login", data={"name": "alice"}, follow_redirects=True)
        assert login.text == "visit number 2, logged in: alice. Welcome, alice!"
        assert http.cookies["session"] != before
        assert (await http.get("/")).text == "visit number 3, logged in: alice."
        logout = await http.post("/logout", follow_redirects=True)
        assert logout.text == "visit number 1, logged in: nobody."


def _shown_code(path: Path) -> str:
    """An example file as the README shows it: without its docstring and ``__main__`` block."""
    text = path.read_text()
    body = text.split('"""', 2)[2].split("\nif __name__")[0]
    return body.replace("from __future__ import annotations\n", "").strip()


@pytest.mark.parametrize("name", ["bare_app.py", "asgi_tools_app.py"])
def test_the_readme_shows_each_example_as_it_is(name: str) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Raw ASGI and asgi-tools", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert _shown_code(EXAMPLES / name) in [block.strip() for block in blocks]
    assert f"examples/asgi/{name}" in section
