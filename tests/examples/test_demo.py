"""The demo app (``nox -s demo``) works end to end through real HTTP semantics."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from support import make_settings

from satchel import SessionManager

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).parents[2] / "examples" / "demo.py"


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("satchel_demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["satchel_demo"] = module
    spec.loader.exec_module(module)
    return module


def _visits(page: str) -> int:
    match = re.search(r'id="visits">(\d+)<', page)
    assert match is not None
    return int(match[1])


async def test_demo_counts_logs_in_with_a_new_id_flashes_once_and_logs_out() -> None:
    demo = _demo()
    app = demo.DemoApp(SessionManager(make_settings()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        first = await client.get("/")
        assert _visits(first.text) == 1
        assert first.headers["vary"] == "Cookie"
        assert _visits((await client.get("/")).text) == 2
        before = client.cookies["session"]

        login = await client.post("/login", data={"name": "alice <b>"})
        assert login.status_code == 303
        assert client.cookies["session"] != before
        page = (await client.get("/")).text
        assert "Welcome, alice &lt;b&gt;!" in page
        assert 'id="user">alice &lt;b&gt;<' in page
        assert _visits(page) == 3
        assert "Welcome" not in (await client.get("/")).text

        await client.post("/logout")
        page = (await client.get("/")).text
        assert "You are logged out" in page
        assert _visits(page) == 1
        assert 'id="user"' not in page
        assert (await client.get("/missing")).status_code == 404


def test_demo_generates_a_development_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = _demo()
    monkeypatch.setattr(demo, "KEY_FILE", tmp_path / "key")
    first = demo.development_settings()
    assert "SESSION_SECRET_KEY=" in capsys.readouterr().out
    second = demo.development_settings()
    assert capsys.readouterr().out == ""
    assert first.secret_key == second.secret_key
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0
