"""The connection helpers: one-line delegations to the session of a request."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from support import SECRET, FrozenClock, make_settings

from satchel import Session, SessionManager, SessionNotLoaded
from satchel_starlette import (
    ImproperlyConfigured,
    SessionMiddleware,
    get_session,
    get_session_id,
    get_session_manager,
    get_session_metadata,
    get_session_remaining_seconds,
    regenerate_session_id,
)

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]


async def ids(request: Request) -> JSONResponse:
    """The session id this request arrived with, after recording a visit."""
    session = get_session(request)
    before = get_session_id(request)
    session["visits"] = session.get("visits", 0) + 1
    if request.query_params.get("regenerate"):
        regenerate_session_id(request)
    return JSONResponse({"id": before, "visits": session["visits"]})


async def metadata(request: Request) -> JSONResponse:
    try:
        meta = get_session_metadata(request)
    except SessionNotLoaded:
        return JSONResponse({"loaded": False})
    times = {"created": meta.created, "last_seen": meta.last_seen, "expires": meta.expires}
    return JSONResponse({name: time.timestamp() for name, time in times.items()})


async def manager_of(request: Request) -> JSONResponse:
    manager = get_session_manager(request)
    return JSONResponse({"can_revoke": manager.can_revoke, "backend": manager.settings.backend})


async def remaining(request: Request) -> JSONResponse:
    return JSONResponse(get_session_remaining_seconds(request))


def app_for(manager: SessionManager) -> Starlette:
    routes = [
        Route("/ids", ids),
        Route("/metadata", metadata),
        Route("/manager", manager_of),
        Route("/remaining", remaining),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, manager=manager)])


async def test_get_session_is_the_typed_satchel_session(http: Client) -> None:
    seen: list[object] = []

    async def view(request: Request) -> JSONResponse:
        seen.append(get_session(request))
        return JSONResponse({})

    app = Starlette(
        routes=[Route("/", view)],
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET)],
    )
    async with http(app) as client:
        await client.get("/")
    assert isinstance(seen[0], Session)


async def test_helpers_without_the_middleware_say_what_is_missing(http: Client) -> None:
    app = Starlette(routes=[Route("/ids", ids), Route("/manager", manager_of)])
    async with http(app) as client:
        for path in ("/ids", "/manager"):
            with pytest.raises(ImproperlyConfigured, match="add Middleware"):
                await client.get(path)


async def test_get_session_manager_is_the_middlewares_manager(http: Client) -> None:
    manager = SessionManager(make_settings(backend="memory"))
    async with http(app_for(manager)) as client:
        assert (await client.get("/manager")).json() == {"can_revoke": True, "backend": "memory"}


async def test_session_id_is_none_for_cookies_and_stable_for_a_store(http: Client) -> None:
    async with http(app_for(SessionManager(make_settings()))) as client:
        assert (await client.get("/ids")).json()["id"] is None
        assert (await client.get("/ids")).json()["id"] is None  # a cookie backend has no id
    async with http(app_for(SessionManager(make_settings(backend="memory")))) as client:
        assert (await client.get("/ids")).json()["id"] is None  # not stored yet
        first = (await client.get("/ids")).json()["id"]
        assert isinstance(first, str)
        assert (await client.get("/ids")).json()["id"] == first


async def test_regenerate_session_id_gives_a_new_id_and_keeps_the_data(http: Client) -> None:
    async with http(app_for(SessionManager(make_settings(backend="memory")))) as client:
        await client.get("/ids")
        old_cookie = client.cookies["session"]
        first = (await client.get("/ids?regenerate=1")).json()["id"]
        after = (await client.get("/ids")).json()
        assert after["id"] != first
        assert after["visits"] == 3
        client.cookies.set("session", old_cookie, domain="testserver.local")
        assert (await client.get("/ids")).json() == {"id": None, "visits": 1}  # old id is gone


async def test_metadata_tells_creation_last_write_and_expiry(
    http: Client, clock: FrozenClock
) -> None:
    manager = SessionManager(make_settings(backend="memory", max_age=3600), clock=clock)
    async with http(app_for(manager)) as client:
        await client.get("/ids")
        clock.advance(100)
        await client.get("/ids")
        meta = (await client.get("/metadata")).json()
    assert meta["last_seen"] - meta["created"] == 100
    assert meta["expires"] - meta["created"] == 3600


async def test_remaining_seconds_count_down_and_follow_a_rolling_refresh(
    http: Client, clock: FrozenClock
) -> None:
    settings = make_settings(max_age=3600, rolling=True, refresh_interval=60)
    async with http(app_for(SessionManager(settings, clock=clock))) as client:
        await client.get("/ids")
        clock.advance(100)
        assert (await client.get("/remaining")).json() == 3500
        await client.get("/ids")  # a write slides the rolling lifetime
        assert (await client.get("/remaining")).json() == 3600


async def test_metadata_of_a_session_not_loaded_raises_as_in_starsessions(http: Client) -> None:
    explicit = Middleware(SessionMiddleware, secret_key=SECRET, autoload=False)
    app = Starlette(routes=[Route("/metadata", metadata)], middleware=[explicit])
    async with http(app) as client:
        assert (await client.get("/metadata")).json() == {"loaded": False}
