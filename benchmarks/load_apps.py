"""The two applications the Redis load test serves: one Starlette app, with satchel or
with starsessions, doing the same work.

    POST /login   regenerates the session id and stores the user (303 to /)
    GET  /        counts a visit in the session (a modifying request: one read, one write)

uvicorn imports them by name (``load_apps:satchel_app``, ``load_apps:starsessions_app``),
once per worker; LOAD_REDIS_URL and LOAD_PREFIX say where their sessions go.
"""

from __future__ import annotations

import os
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

SECRET = "bench-secret-0123456789abcdefghi"
LIFETIME = 3600


def _settings() -> tuple[str, str]:
    return os.environ["LOAD_REDIS_URL"], os.environ.get("LOAD_PREFIX", "load:")


def _name(body: bytes) -> str:
    """The ``name`` field of a urlencoded login form (the load generator sends one)."""
    for pair in body.split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == b"name":
            return value.decode("ascii", "replace") or "anonymous"
    return "anonymous"


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

    return Starlette(
        routes=[Route("/login", login, methods=["POST"]), Route("/", home)],
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

    return Starlette(
        routes=[Route("/login", login, methods=["POST"]), Route("/", home)],
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
