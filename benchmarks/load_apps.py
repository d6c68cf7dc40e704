"""The two applications the Redis load test serves: one Starlette app, with satchel or
with starsessions, doing the same work.

    POST /login     regenerates the session id and stores the user (303 to /)
    GET  /          counts a visit in the session (a modifying request: one read, one write)
    POST /hit/<n>   adds one to the session key ``hits:<n>``; answers the new count and the
                    serving worker's process id (the lost-update runs, lost_updates.py)
    GET  /dump      the session's data as JSON (a read-only request)

uvicorn imports them by name (``load_apps:satchel_app``, ``load_apps:starsessions_app``),
once per worker; LOAD_REDIS_URL and LOAD_PREFIX say where their sessions go, and
LOAD_SATCHEL_SETTINGS, a JSON object, adds to (or replaces) the satchel app's settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

SECRET = "bench-secret-0123456789abcdefghi"
LIFETIME = 3600
EXTRA_SETTINGS = "LOAD_SATCHEL_SETTINGS"
"""The environment variable whose JSON object is merged into the satchel app's settings."""


def _settings() -> tuple[str, str]:
    return os.environ["LOAD_REDIS_URL"], os.environ.get("LOAD_PREFIX", "load:")


def extra_settings() -> dict[str, Any]:
    """The settings `EXTRA_SETTINGS` adds to the satchel app's (none when it is unset)."""
    text = os.environ.get(EXTRA_SETTINGS, "").strip()
    if not text:
        return {}
    extra = json.loads(text)
    if not isinstance(extra, dict):
        raise ValueError(f"{EXTRA_SETTINGS} must hold a JSON object, not {type(extra).__name__}")
    return extra


def _name(body: bytes) -> str:
    """The ``name`` field of a urlencoded login form (the load generator sends one)."""
    for pair in body.split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == b"name":
            return value.decode("ascii", "replace") or "anonymous"
    return "anonymous"


def _hit(session: Any, client: int) -> Response:
    """Add one to the session's ``hits:<client>``."""
    key = f"hits:{client}"
    session[key] = session.get(key, 0) + 1
    return PlainTextResponse(f"{session[key]} {os.getpid()}")


def _routes(
    login: Callable[[Request], Awaitable[Response]],
    home: Callable[[Request], Awaitable[Response]],
    hit: Callable[[Request], Awaitable[Response]],
    dump: Callable[[Request], Awaitable[Response]],
) -> list[Route]:
    """The routes both apps serve."""
    return [
        Route("/login", login, methods=["POST"]),
        Route("/", home),
        Route("/hit/{client:int}", hit, methods=["POST"]),
        Route("/dump", dump),
    ]


def build_satchel() -> Starlette:
    """The app on satchel-starlette with satchel's Redis store."""
    from satchel import SessionManager, SessionSettings
    from satchel_starlette import SessionMiddleware

    url, prefix = _settings()
    settings = SessionSettings.model_validate(
        {
            "backend": "redis",
            "redis_url": url,
            "secret_key": SECRET,
            "store_prefix": f"{prefix}satchel:",
            "max_age": LIFETIME,
            **extra_settings(),
        }
    )

    async def login(request: Request) -> Response:
        name = _name(await request.body())
        session: Any = request.session  # satchel's Session
        session.login(name)
        return RedirectResponse("/", status_code=303)

    async def home(request: Request) -> Response:
        session: Any = request.session
        session["visits"] = session.get("visits", 0) + 1
        return PlainTextResponse(f"visit {session['visits']}")

    async def hit(request: Request) -> Response:
        return _hit(request.session, request.path_params["client"])

    async def dump(request: Request) -> Response:
        return JSONResponse(dict(request.session))

    return Starlette(
        routes=_routes(login, home, hit, dump),
        middleware=[Middleware(SessionMiddleware, manager=SessionManager(settings))],
    )


def build_starsessions() -> Starlette:
    """The same app on starsessions' SessionMiddleware with its RedisStore."""
    from redis.asyncio import Redis
    from starsessions import SessionMiddleware, load_session, regenerate_session_id
    from starsessions.stores.redis import RedisStore

    url, prefix = _settings()
    store = RedisStore(connection=Redis.from_url(url), prefix=f"{prefix}starsessions:")

    async def login(request: Request) -> Response:
        name = _name(await request.body())
        await load_session(request)
        regenerate_session_id(request)
        request.session["user_id"] = name
        return RedirectResponse("/", status_code=303)

    async def home(request: Request) -> Response:
        await load_session(request)
        session = request.session
        session["visits"] = session.get("visits", 0) + 1
        return PlainTextResponse(f"visit {session['visits']}")

    async def hit(request: Request) -> Response:
        await load_session(request)
        return _hit(request.session, request.path_params["client"])

    async def dump(request: Request) -> Response:
        await load_session(request)
        return JSONResponse(dict(request.session))

    return Starlette(
        routes=_routes(login, home, hit, dump),
        middleware=[
            Middleware(SessionMiddleware, store=store, lifetime=LIFETIME, cookie_https_only=False)
        ],
    )


def __getattr__(name: str) -> Starlette:
    """Each app is built when uvicorn imports it, from the environment it set."""
    if name == "satchel_app":
        return build_satchel()
    if name == "starsessions_app":
        return build_starsessions()
    raise AttributeError(f"module 'load_apps' has no attribute {name!r}")
