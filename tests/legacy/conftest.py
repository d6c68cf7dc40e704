"""Fixtures of the legacy-migration tests: the satchel app that replaces an incumbent, and
a client that sends and receives cookies by hand (so every Set-Cookie is seen).

Each test has the incumbent library itself (Starlette's or starsessions' middleware,
asgi-sessions, muffin-session) issue a cookie, then has a satchel app read it.
"""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from support import SECRET, MakeApp, Reply, Visit

from satchel import SessionManager
from satchel_starlette import SessionMiddleware, get_session


@pytest.fixture
def visit() -> Visit:
    """Send one request to an ASGI app: ``await visit(app, "/path", cookie="a=b")``;
    ``method``, ``json`` and ``https`` as needed."""

    async def go(
        app: Any,
        path: str = "/whoami",
        *,
        cookie: str | None = None,
        method: str = "GET",
        json: Any = None,
        https: bool = False,
    ) -> Reply:
        base = "https://testserver" if https else "http://testserver"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            headers = [] if cookie is None else [(b"cookie", cookie.encode())]
            response = await client.request(method, path, headers=headers, json=json)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Reply(response.status_code, body, response.headers.get_list("set-cookie"))

    return go


@pytest.fixture
def satchel_app() -> MakeApp:
    """A Starlette app on satchel_starlette's middleware, from satchel options (the test
    secret unless given) or ``manager=``. Routes: GET /whoami (the user, the data, whether
    the session is new), POST /visit (counts), POST /logout."""

    def make(*, manager: SessionManager | None = None, **options: Any) -> Starlette:
        if manager is None:
            options.setdefault("secret_key", SECRET)

        async def whoami(request: Request) -> JSONResponse:
            session = get_session(request)
            user = session.user_id
            return JSONResponse({"user": user, "data": dict(session), "is_new": session.is_new})

        async def count(request: Request) -> JSONResponse:
            session = get_session(request)
            session["visits"] = session.get("visits", 0) + 1
            return JSONResponse(dict(session))

        async def logout(request: Request) -> JSONResponse:
            get_session(request).logout()
            return JSONResponse({"ok": True})

        routes = [
            Route("/whoami", whoami),
            Route("/visit", count, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
        ]
        middleware = Middleware(SessionMiddleware, manager=manager, **options)
        return Starlette(routes=routes, middleware=[middleware])

    return make


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (a store that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
