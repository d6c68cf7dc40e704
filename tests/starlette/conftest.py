"""Fixtures of satchel-starlette's tests."""

from __future__ import annotations

import socket
import warnings
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from support import make_settings

from satchel import SessionManager

Client = Callable[..., httpx.AsyncClient]

with warnings.catch_warnings():
    # Starlette 1.10 asks for httpx2 under its TestClient; httpx (the test suite's) still works
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


@pytest.fixture
def testclient() -> type[TestClient]:
    """Starlette's TestClient (sync; runs the lifespan when used as a context manager)."""
    return TestClient


@pytest.fixture
def http() -> Client:
    """Makes an HTTP client (with its own cookie jar) for an app; ``https=True`` for
    Secure cookies, which a jar sends over HTTPS only."""

    def make(app: Any, *, https: bool = False) -> httpx.AsyncClient:
        base = "https://testserver" if https else "http://testserver"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)

    return make


@pytest.fixture
def dead_store() -> dict[str, Any]:
    """Options of a redis store whose server is down (nothing listens on its port), and
    a session cookie it would look up (store ids are signed alike in every store)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = {"backend": "redis", "redis_url": f"redis://127.0.0.1:{port}/0", "store_timeout": 1}
    return {"options": options, "cookie": anyio.run(_stored_cookie)}


async def _stored_cookie() -> str:
    issuer = SessionManager(make_settings(backend="memory"))
    session = await issuer.load(None)
    session["user_id"] = 1
    [header] = await issuer.commit(session)
    return header.split(";", 1)[0].partition("=")[2]
