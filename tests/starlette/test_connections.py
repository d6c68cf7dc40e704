"""Where Starlette meets the session: WebSockets, BaseHTTPMiddleware, the lifespan,
and a store that is down (core's 503, exception handlers, unavailable=Answer)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from support import SECRET, make_settings

from satchel import BackendUnavailable, SessionManager
from satchel.answers import UNAVAILABLE, Answer
from satchel_starlette import (
    RedisStore,
    SessionMiddleware,
    get_session,
    get_session_manager,
    load_session,
)

if TYPE_CHECKING:
    from starlette.testclient import TestClient

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]


async def count(request: Request) -> PlainTextResponse:
    request.session["n"] = request.session.get("n", 0) + 1
    return PlainTextResponse(str(request.session["n"]))


async def socket(websocket: WebSocket) -> None:
    """Reports the count set over HTTP, and marks the session before accepting."""
    seen = websocket.session.get("n")
    websocket.session["socket"] = True  # before the accept: committed with it
    await websocket.accept()
    await websocket.send_json({"n": seen})
    websocket.session["late"] = True  # after the accept: no cookie can carry it
    await websocket.close()


async def data(request: Request) -> JSONResponse:
    return JSONResponse(dict(request.session))


def starlette(*middleware: Middleware, **options: Any) -> Starlette:
    routes = [Route("/", count), Route("/data", data), WebSocketRoute("/ws", socket)]
    return Starlette(routes=routes, middleware=list(middleware), **options)


def sessions(**options: Any) -> Middleware:
    return Middleware(SessionMiddleware, **{"secret_key": SECRET, **options})


# -- WebSockets --------------------------------------------------------------------------


def test_a_websocket_sees_the_http_session_and_its_accept_carries_the_change(
    testclient: type[TestClient],
) -> None:
    with testclient(starlette(sessions())) as client:
        assert client.get("/").text == "1"
        with client.websocket_connect("/ws") as websocket:
            assert websocket.receive_json() == {"n": 1}
            accept_headers = dict(websocket.extra_headers or [])
        name, _, value = accept_headers[b"set-cookie"].decode().split(";")[0].partition("=")
        client.cookies.set(name, value, domain="testserver.local")  # as a browser keeps it
        assert client.get("/data").json() == {"n": 1, "socket": True}  # not "late"


# -- BaseHTTPMiddleware ------------------------------------------------------------------


class Visits(BaseHTTPMiddleware):
    """Reads the session before the endpoint and writes it after the response is made."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        before = request.session.get("n", 0)
        response = await call_next(request)
        request.session["last"] = before
        response.headers["x-before"] = str(before)
        return response


async def test_base_http_middleware_shares_the_session_and_its_late_change_is_saved(
    http: Client,
) -> None:
    async with http(starlette(sessions(), Middleware(Visits))) as client:
        assert (await client.get("/")).headers["x-before"] == "0"
        response = await client.get("/")
        assert (response.text, response.headers["x-before"]) == ("2", "1")
        assert (await client.get("/data")).json() == {"n": 2, "last": 1}


# -- lifespan ----------------------------------------------------------------------------


def test_lifespan_shutdown_closes_the_store_without_resource_warnings(
    testclient: type[TestClient], redis_url: str, redis_prefix: str
) -> None:
    settings = make_settings(backend="redis", redis_url=redis_url, store_prefix=redis_prefix)
    manager = SessionManager(settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with testclient(starlette(Middleware(SessionMiddleware, manager=manager))) as client:
            assert [client.get("/").text for _ in range(3)] == ["1", "2", "3"]
            assert "connected=True" in repr(manager.backend)
        assert "connected=False" in repr(manager.backend)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_connection_of_your_own_is_closed_by_your_lifespan_as_starsessions_advises(
    testclient: type[TestClient], redis_url: str, redis_prefix: str
) -> None:
    from contextlib import asynccontextmanager

    client_of_yours = Redis.from_url(redis_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        await client_of_yours.aclose()

    store = RedisStore(connection=client_of_yours, prefix=redis_prefix)
    app = starlette(sessions(store=store), lifespan=lifespan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with testclient(app) as client:
            assert [client.get("/").text for _ in range(2)] == ["1", "2"]
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


# -- a store that is down ----------------------------------------------------------------


async def explicit(request: Request) -> PlainTextResponse:
    await load_session(request)
    return PlainTextResponse(str(get_session(request).get("user_id")))


async def revoke(request: Request) -> PlainTextResponse:
    count = await get_session_manager(request).revoke_user(1)
    return PlainTextResponse(str(count))


async def revoke_later(request: Request) -> PlainTextResponse:
    task = BackgroundTask(get_session_manager(request).revoke_user, 1)
    return PlainTextResponse("sent", background=task)


def down(dead_store: dict[str, Any], **options: Any) -> Starlette:
    routes = [
        Route("/", count),
        Route("/explicit", explicit),
        Route("/revoke", revoke),
        Route("/revoke-later", revoke_later),
        WebSocketRoute("/ws", socket),
    ]
    middleware = [sessions(**dead_store["options"], **options)]
    return Starlette(routes=routes, middleware=middleware)


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "sessions are down"}, status_code=503)


async def test_a_store_down_while_loading_before_the_app_gives_a_503(
    http: Client, dead_store: dict[str, Any]
) -> None:
    async with http(down(dead_store)) as client:
        client.cookies.set("session", dead_store["cookie"])
        response = await client.get("/")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


@pytest.mark.parametrize("path", ["/explicit", "/revoke"])
async def test_a_store_down_inside_the_app_gives_cores_503_and_one_warning(
    http: Client, dead_store: dict[str, Any], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with http(down(dead_store, autoload=False)) as client:
        client.cookies.set("session", dead_store["cookie"])
        response = await client.get(path)
    assert (response.status_code, response.content) == (UNAVAILABLE.status, UNAVAILABLE.body)
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    warnings = [r for r in caplog.records if r.name == "satchel" and r.levelname == "WARNING"]
    assert [r.getMessage().split(":")[0] for r in warnings] == [
        "session store unavailable, request refused"
    ]


async def test_inside_the_app_starlettes_exception_handler_answers_first(
    http: Client, dead_store: dict[str, Any]
) -> None:
    app = down(dead_store, autoload=False)
    app.add_exception_handler(BackendUnavailable, unavailable_handler)
    async with http(app) as client:
        client.cookies.set("session", dead_store["cookie"])
        response = await client.get("/explicit")
    assert response.json() == {"error": "sessions are down"}


TEAPOT = Answer(418, b"try later", 1013, retry_after=60)


async def test_before_the_app_runs_only_the_unavailable_answer_can_answer(
    http: Client, dead_store: dict[str, Any]
) -> None:
    app = down(dead_store, unavailable=TEAPOT)
    app.add_exception_handler(BackendUnavailable, unavailable_handler)  # never reached here
    async with http(app) as client:
        client.cookies.set("session", dead_store["cookie"])
        response = await client.get("/")
    assert (response.status_code, response.text) == (418, "try later")
    assert response.headers["retry-after"] == "60"


async def test_inside_the_app_unhandled_the_unavailable_answer_goes_too(
    http: Client, dead_store: dict[str, Any]
) -> None:
    async with http(down(dead_store, autoload=False, unavailable=TEAPOT)) as client:
        client.cookies.set("session", dead_store["cookie"])
        response = await client.get("/explicit")
    assert (response.status_code, response.text) == (418, "try later")


async def test_a_store_failing_after_the_response_was_sent_is_raised_not_answered_twice(
    http: Client, dead_store: dict[str, Any]
) -> None:
    async with http(down(dead_store, autoload=False)) as client:
        with pytest.raises(BackendUnavailable):
            await client.get("/revoke-later")


def test_a_websocket_whose_store_is_down_is_closed_with_1013(
    testclient: type[TestClient], dead_store: dict[str, Any]
) -> None:
    with testclient(down(dead_store)) as client:
        client.cookies.set("session", dead_store["cookie"])
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
            pass
    assert closed.value.code == 1013
