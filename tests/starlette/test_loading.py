"""Automatic and explicit loading, and SessionAutoloadMiddleware."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from support import SECRET

if TYPE_CHECKING:
    from starlette.testclient import TestClient

from satchel import SessionNotLoaded
from satchel_starlette import (
    ImproperlyConfigured,
    SessionAutoloadMiddleware,
    SessionMiddleware,
    get_session,
    is_loaded,
    load_session,
)

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]


async def state(request: Request) -> JSONResponse:
    """Whether the session arrived loaded, then a visit count (loading it if needed)."""
    loaded = is_loaded(request)
    try:
        visits = request.session.get("visits", 0) + 1
    except SessionNotLoaded:
        return JSONResponse({"loaded": loaded, "visits": None})
    request.session["visits"] = visits
    return JSONResponse({"loaded": loaded, "visits": visits})


async def explicit(request: Request) -> PlainTextResponse:
    await load_session(request)
    session = get_session(request)
    session["visits"] = session.get("visits", 0) + 1
    return PlainTextResponse(str(session["visits"]))


ROUTES = [
    Route("/explicit", explicit),
    Route("/{path:path}", state),
]


def app_with(*middleware: Middleware) -> Starlette:
    return Starlette(routes=ROUTES, middleware=list(middleware))


def sessions(**options: Any) -> Middleware:
    return Middleware(SessionMiddleware, secret_key=SECRET, **options)


async def test_by_default_the_session_is_there_without_loading_it(http: Client) -> None:
    async with http(app_with(sessions())) as client:
        assert (await client.get("/")).json() == {"loaded": True, "visits": 1}
        assert (await client.get("/")).json() == {"loaded": True, "visits": 2}


async def test_explicit_loading_refuses_access_until_load_session(http: Client) -> None:
    async with http(app_with(sessions(autoload=False))) as client:
        assert (await client.get("/")).json() == {"loaded": False, "visits": None}
        assert [(await client.get("/explicit")).text for _ in range(2)] == ["1", "2"]
        assert (await client.get("/")).json() == {"loaded": False, "visits": None}


async def test_explicit_loading_with_a_store_reads_it_only_when_asked(
    http: Client, dead_store: dict[str, Any]
) -> None:
    app = app_with(sessions(autoload=False, **dead_store["options"]))
    async with http(app) as client:
        client.cookies.set("session", dead_store["cookie"])
        assert (await client.get("/")).status_code == 200  # not loaded: the store is not asked
        assert (await client.get("/explicit")).status_code == 503


async def test_autoload_middleware_without_paths_loads_every_request(http: Client) -> None:
    app = app_with(sessions(autoload=False), Middleware(SessionAutoloadMiddleware))
    async with http(app) as client:
        assert (await client.get("/anything")).json() == {"loaded": True, "visits": 1}
        assert (await client.get("/else")).json() == {"loaded": True, "visits": 2}


@pytest.mark.parametrize(
    ("path", "loaded"),
    [
        ("/app", True),
        ("/app/", True),
        ("/app/settings", True),
        ("/application", False),  # starsessions' re.match("/app", ...) loads this one
        ("/apps/1", False),
        ("/admin", True),
        ("/admin-panel/users", True),
        ("/", False),
        ("/other/admin", False),
    ],
)
async def test_autoload_paths_are_prefixes_ending_at_a_segment_or_patterns(
    http: Client, path: str, loaded: bool
) -> None:
    paths: list[str | re.Pattern[str]] = ["/app", re.compile(r"/admin.*")]
    app = app_with(sessions(autoload=False), Middleware(SessionAutoloadMiddleware, paths=paths))
    async with http(app) as client:
        assert (await client.get(path)).json()["loaded"] is loaded


def test_autoload_root_path_means_every_request() -> None:
    assert SessionAutoloadMiddleware(app_with(), paths=["/"]).matches("/anything")
    assert SessionAutoloadMiddleware(app_with(), paths=[]).matches("/anything")


@pytest.mark.parametrize("pattern", ["/admin.*", "^/api", "/(a|b)"])
def test_a_string_that_looks_like_a_regex_asks_for_re_compile(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"pass re\.compile"):
        SessionAutoloadMiddleware(app_with(), paths=[pattern])


async def test_autoload_middleware_outside_session_middleware_is_a_clear_error(
    http: Client,
) -> None:
    wrong = app_with(Middleware(SessionAutoloadMiddleware), sessions(autoload=False))
    async with http(wrong) as client:
        with pytest.raises(ImproperlyConfigured, match="place it after"):
            await client.get("/")


class DictSessions:
    """Another sessions middleware (a dict at ``scope["session"]``, as Starlette's puts)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"] = {}
        await self.app(scope, receive, send)


async def test_autoload_middleware_over_another_sessions_middleware_is_a_clear_error(
    http: Client,
) -> None:
    app = app_with(Middleware(DictSessions), Middleware(SessionAutoloadMiddleware))
    async with http(app) as client:
        with pytest.raises(ImproperlyConfigured, match="found no satchel session"):
            await client.get("/")


def test_autoload_middleware_loads_a_websocket_session(testclient: type[TestClient]) -> None:
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"loaded": is_loaded(websocket)})
        await websocket.close()

    app = Starlette(
        routes=[WebSocketRoute("/ws", socket)],
        middleware=[sessions(autoload=False), Middleware(SessionAutoloadMiddleware)],
    )
    with testclient(app) as client, client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"loaded": True}
