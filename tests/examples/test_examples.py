"""Every example app (examples/<framework>/app.py) serves the same shop, in-process.

The same flows run against each example over httpx's ASGI transport; the real
browser runs them again in tests/browser/. mypy --strict accepts every example.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser.conftest import installed_examples, missing_modules
from support import SECRET

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/app.py"))


ASGI_EXAMPLES = [p for p in installed_examples() if p.values[0] != "robyn"]
"""The examples served here, in-process; Robyn is not ASGI, so tests/robyn/test_example.py
serves its example on a real server instead."""


@pytest.fixture(params=ASGI_EXAMPLES)
def example(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The module-level ``app`` of one example, its secret from SESSION_SECRET_KEY."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    return runpy.run_path(str(ROOT / "examples" / request.param / "app.py"))["app"]


@asynccontextmanager
async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
        yield client


def _text(page: str, element: str) -> str:
    match = re.search(rf'id="{element}"[^>]*>([^<]*)<', page)
    assert match is not None, f"no #{element} in the page"
    return match[1]


def test_every_framework_has_an_example() -> None:
    assert {p.parent.name for p in EXAMPLES} >= {"asgi", "asgi_tools", "muffin"}


async def test_example_counts_logs_in_with_a_new_id_flashes_once_and_logs_out(
    example: Any,
) -> None:
    async with _client(example) as client:
        assert _text((await client.get("/")).text, "visits") == "1"
        assert _text((await client.get("/")).text, "visits") == "2"
        before = client.cookies["session"]

        login = await client.post("/login", data={"name": "alice <b>"})
        assert (login.status_code, login.headers["location"]) == (303, "/")
        assert client.cookies["session"] != before
        page = (await client.get("/")).text
        assert "Welcome, alice &lt;b&gt;!" in page
        assert _text(page, "user") == "alice &lt;b&gt;"
        assert _text(page, "visits") == "3"
        assert "Welcome" not in (await client.get("/")).text

        logout = await client.post("/logout")
        assert (logout.status_code, logout.headers["location"]) == (303, "/bye")
        assert "Max-Age=0" in logout.headers["set-cookie"]
        assert "session" not in client.cookies
        bye = await client.get("/bye")
        assert "set-cookie" not in bye.headers
        page = (await client.get("/")).text
        assert _text(page, "visits") == "1"
        assert 'id="user"' not in page


@pytest.fixture
def raised_cookie_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The former default's 12 KB of cookies: chunks need more than the default 3 KB."""
    monkeypatch.setenv("SESSION_COOKIE_MAX_BYTES", "12288")


async def test_example_cart_is_chunked_past_4_kb_then_refused_with_a_413_that_keeps_it(
    raised_cookie_budget: None, example: Any
) -> None:
    async with _client(example) as client:
        await client.post("/login", data={"name": "alice"})
        sizes = []
        for _ in range(3):
            added = await client.post("/cart", data={"quantity": "50"}, follow_redirects=True)
            assert added.status_code == 200
            sizes.append(int(_text(added.text, "cookie-bytes")))
        assert _text(added.text, "cart-count") == "150"
        assert _text(added.text, "cookie-names") == "session, session.1, session.2, session.3"
        assert sizes[0] < 4096 < sizes[1] < sizes[2]

        refused = await client.post("/cart", data={"quantity": "50"})
        assert refused.status_code == 413
        assert "The last\n50 item(s) were not added" in refused.text
        assert "Max-Age=0" not in refused.headers.get("set-cookie", "")
        cart = (await client.get("/cart")).text
        assert _text(cart, "cart-count") == "150"
        assert _text((await client.get("/")).text, "user") == "alice"

        await client.post("/logout")
        assert not [name for name in client.cookies if name.startswith("session")]


async def test_example_shows_the_session_metadata_without_writing(example: Any) -> None:
    async with _client(example) as client:
        await client.get("/")
        page = await client.get("/session")
        assert "set-cookie" not in page.headers
        assert _text(page.text, "meta-new") == "no"
        assert _text(page.text, "meta-backend") == "signed"
        assert _text(page.text, "meta-cookie") == "session"
        created = re.search(r'id="meta-created" datetime="([^"]+)"', page.text)
        expires = re.search(r'id="meta-expires" datetime="([^"]+)"', page.text)
        assert created is not None
        assert expires is not None
        assert created[1] < expires[1]
        assert (await client.get("/no-such-page")).status_code == 404


@pytest.mark.slow
def test_mypy_strict_accepts_every_example() -> None:
    """Checked here because the repository's mypy run covers packages/ and tests/ only."""
    files = [str(p.relative_to(ROOT)) for p in EXAMPLES if not missing_modules(p)]
    files.append("examples/demo.py")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT / "examples" / "common")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
