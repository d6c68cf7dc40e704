"""The documented examples of Starlette's SessionMiddleware and of starsessions, run with
only the import changed.

Each example's code is written as its documentation shows it, with its source named;
the one line that differs is the import (``satchel_starlette`` instead of
``starlette.middleware.sessions`` or ``starsessions``). Where an example uses a
placeholder secret shorter than the 32 bytes satchel requires (``'TOP SECRET'``), the
port also puts a strong secret in its place, and says so. Examples that configure no
secret at all get it as their deployments would: from ``SESSION_SECRET_KEY``.
"""

from __future__ import annotations

import datetime
import json
import typing
from collections.abc import Callable

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.config import Config
from starlette.datastructures import Secret
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from support import SECRET

from satchel import SessionNotLoaded
from satchel_starlette import (
    CookieStore,
    RedisStore,
    Serializer,
    SessionAutoloadMiddleware,
    SessionMiddleware,
    load_session,
    regenerate_session_id,
)

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]
STRONG = SECRET  # in place of the examples' 'TOP SECRET' (10 bytes; satchel requires 32)


async def visit(request: Request) -> PlainTextResponse:
    """A view of the tests' own that counts visits through ``request.session``."""
    request.session["visits"] = request.session.get("visits", 0) + 1
    return PlainTextResponse(str(request.session["visits"]))


def serve(middleware: list[Middleware], *routes: Route) -> Starlette:
    """The documented middleware list in an app with the tests' routes."""
    return Starlette(routes=[*routes, Route("/visit", visit)], middleware=middleware)


@pytest.fixture
def environment_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret of an example that configures none, as its deployment gives it."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)


async def counts(client: httpx.AsyncClient, path: str = "/visit") -> list[str]:
    return [(await client.get(path)).text for _ in range(3)]


# -- Starlette: docs/middleware.md (SessionMiddleware) and docs/config.md ----------------


async def test_starlette_docs_session_middleware_with_its_documented_arguments(
    http: Client,
) -> None:
    # docs/config.md reads the secret as a Secret; its sample .env value
    # (43n080musdfjt54t-09sdgr) is 23 bytes, so the environment gives a strong one
    config = Config(environ={"SECRET_KEY": STRONG})
    SECRET_KEY = config("SECRET_KEY", cast=Secret)

    # docs/middleware.md, "Using middleware", with SessionMiddleware's documented arguments
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=SECRET_KEY,
            session_cookie="session",
            max_age=14 * 24 * 60 * 60,
            same_site="lax",
            https_only=False,
            domain=None,
        ),
    ]
    app = serve(middleware)
    async with http(app) as client:
        assert await counts(client) == ["1", "2", "3"]
        header = (await client.get("/visit")).headers["set-cookie"]
    assert "Max-Age=1209600" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


async def test_starlette_docs_max_age_none_lasts_as_long_as_the_browser_session(
    http: Client,
) -> None:
    # docs/middleware.md: "If set to None then the cookie will last as long as the browser session."
    middleware = [Middleware(SessionMiddleware, secret_key=STRONG, max_age=None)]
    async with http(serve(middleware)) as client:
        header = (await client.get("/visit")).headers["set-cookie"]
    assert "Max-Age" not in header
    assert "Expires" not in header


# -- starsessions README (HEAD) ----------------------------------------------------------


async def test_starsessions_usage(http: Client) -> None:
    # README "Usage"; 'TOP SECRET' replaced by a strong secret, and dict() around the
    # session: JSONResponse needs a dict (see the next test)
    async def index_view(request):  # type: ignore[no-untyped-def]
        await load_session(request)

        session_data = request.session
        return JSONResponse(dict(session_data))

    session_store = CookieStore(secret_key=STRONG)

    app = Starlette(
        middleware=[
            Middleware(SessionMiddleware, store=session_store, lifetime=3600 * 24 * 14),
        ],
        routes=[
            Route("/", index_view),
            Route("/visit", visit),
        ],
    )
    async with http(app) as client:
        await client.get("/visit")
        assert (await client.get("/")).json() == {"visits": 1}


async def test_starsessions_usage_returning_the_session_itself(http: Client) -> None:
    # README "Usage" exactly (but the secret)
    async def index_view(request):  # type: ignore[no-untyped-def]
        await load_session(request)

        session_data = request.session
        return JSONResponse(session_data)

    session_store = CookieStore(secret_key=STRONG)
    app = Starlette(
        middleware=[Middleware(SessionMiddleware, store=session_store, lifetime=3600 * 24 * 14)],
        routes=[Route("/", index_view)],
    )
    async with http(app) as client:
        assert (await client.get("/")).json() == {}  # the session itself, as JSON


async def test_starsessions_cookie_security(http: Client) -> None:
    # README "Cookie security"; 'TOP SECRET' replaced by a strong secret
    session_store = CookieStore(secret_key=STRONG)

    middleware = [
        Middleware(
            SessionMiddleware,
            store=session_store,
            cookie_https_only=False,
            cookie_same_site="lax",
            lifetime=3600 * 24 * 14,
        ),
    ]
    async with http(serve(middleware)) as client:
        assert await counts(client) == ["1", "2", "3"]
        header = (await client.get("/visit")).headers["set-cookie"]
    assert "Max-Age=1209600" in header
    assert "Secure" not in header


async def test_starsessions_lifetime_as_a_timedelta(http: Client, environment_secret: None) -> None:
    # README "Cookie security", the timedelta form
    middleware = [
        Middleware(SessionMiddleware, lifetime=datetime.timedelta(days=14)),
    ]
    async with http(serve(middleware)) as client:
        assert "Max-Age=1209600" in (await client.get("/visit")).headers["set-cookie"]


async def test_starsessions_loading_session(http: Client, environment_secret: None) -> None:
    # README "Loading session": starsessions never loads by itself; satchel does unless
    # told not to, so the port asks for starsessions' behaviour with autoload=False
    async def index_view(request):  # type: ignore[no-untyped-def]
        await load_session(request)
        request.session["key"] = "value"
        return PlainTextResponse("ok")

    async def unloaded_view(request):  # type: ignore[no-untyped-def]
        request.session["key"] = "value"  # raises SessionNotLoaded

    def refused(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(type(exc).__name__, status_code=500)

    app = Starlette(
        routes=[Route("/", index_view), Route("/unloaded", unloaded_view)],
        middleware=[Middleware(SessionMiddleware, autoload=False)],
        exception_handlers={SessionNotLoaded: refused},
    )
    async with http(app) as client:
        assert (await client.get("/")).text == "ok"
        assert (await client.get("/unloaded")).text == "SessionNotLoaded"


@pytest.mark.parametrize("variant", ["always", "paths", "regex"])
async def test_starsessions_session_autoload(http: Client, variant: str) -> None:
    # README "Session autoload"; 'TOP SECRET' replaced by a strong secret. starsessions
    # loads only through these; satchel also does by itself unless autoload=False
    session_store = CookieStore(secret_key=STRONG)

    # Always autoload
    always = [
        Middleware(SessionMiddleware, store=session_store),
        Middleware(SessionAutoloadMiddleware),
    ]

    # Autoload for selected paths only
    paths = [
        Middleware(SessionMiddleware, store=session_store),
        Middleware(SessionAutoloadMiddleware, paths=["/admin", "/app"]),
    ]

    # Regex patterns are also supported
    import re

    regex = [
        Middleware(SessionMiddleware, store=session_store),
        Middleware(SessionAutoloadMiddleware, paths=[re.compile(r"/admin.*")]),
    ]

    middleware = {"always": always, "paths": paths, "regex": regex}[variant]
    app = serve(middleware, Route("/admin/visit", visit), Route("/app/visit", visit))
    async with http(app) as client:
        assert await counts(client, "/admin/visit") == ["1", "2", "3"]


async def test_starsessions_rolling_sessions(http: Client, environment_secret: None) -> None:
    # README "Rolling sessions"
    middleware = [
        Middleware(SessionMiddleware, lifetime=300, rolling=True),
    ]
    async with http(serve(middleware)) as client:
        assert await counts(client) == ["1", "2", "3"]
        assert "Max-Age=300" in (await client.get("/visit")).headers["set-cookie"]


async def test_starsessions_cookie_path(http: Client, environment_secret: None) -> None:
    # README "Cookie path"
    middleware = [
        Middleware(SessionMiddleware, cookie_path="/admin"),
    ]
    async with http(serve(middleware, Route("/admin/visit", visit))) as client:
        assert await counts(client, "/admin/visit") == ["1", "2", "3"]
        assert (await client.get("/visit")).text == "1"  # the browser keeps it to /admin


async def test_starsessions_cookie_domain(http: Client, environment_secret: None) -> None:
    # README "Cookie domain"
    middleware = [
        Middleware(SessionMiddleware, cookie_domain="example.com"),
    ]
    async with http(serve(middleware)) as client:
        assert "Domain=example.com" in (await client.get("/visit")).headers["set-cookie"]


async def test_starsessions_session_only_cookies(http: Client, environment_secret: None) -> None:
    # README "Session-only cookies"
    middleware = [
        Middleware(SessionMiddleware, lifetime=0),
    ]
    async with http(serve(middleware)) as client:
        assert await counts(client) == ["1", "2", "3"]
        assert "Max-Age" not in (await client.get("/visit")).headers["set-cookie"]


async def test_starsessions_redis(
    http: Client, environment_secret: None, redis_url: str, redis_prefix: str
) -> None:
    # README "Redis" (the URL is the tests' server), its prefix and gc_ttl variants
    client = Redis.from_url(redis_url)
    store = RedisStore(connection=client)

    store = RedisStore(connection=client, prefix=redis_prefix)
    store = RedisStore(connection=client, gc_ttl=3600, prefix=redis_prefix)  # max 1 hour

    app = serve([Middleware(SessionMiddleware, store=store, lifetime=0)])
    async with http(app) as browser:
        assert await counts(browser) == ["1", "2", "3"]
    assert await client.keys(f"{redis_prefix}*")

    # close connection on shutdown
    await client.aclose()


def test_starsessions_redis_callable_prefix_is_refused_with_the_reason() -> None:
    # README "Redis key prefix", the callable form: satchel keys records on hashed ids
    def make_prefix(key: str) -> str:
        return "my_sessions_" + key

    client = Redis.from_url("redis://localhost")
    with pytest.raises(TypeError, match="prefix must be a str"):
        RedisStore(connection=client, prefix=make_prefix)  # type: ignore[arg-type]


async def test_starsessions_serializers(http: Client, environment_secret: None) -> None:
    # README "Serializers"
    class MySerializer(Serializer):
        def serialize(self, data: object) -> bytes:
            return json.dumps(data).encode("utf-8")

        def deserialize(self, data: bytes) -> dict[str, object]:
            return typing.cast(dict[str, object], json.loads(data))

    middleware = [
        Middleware(SessionMiddleware, serializer=MySerializer()),
    ]
    async with http(serve(middleware)) as client:
        assert await counts(client) == ["1", "2", "3"]


async def test_starsessions_session_termination(http: Client, environment_secret: None) -> None:
    # README "Session termination"
    async def logout(request):  # type: ignore[no-untyped-def]
        request.session.clear()
        return PlainTextResponse("bye")

    async with http(serve([Middleware(SessionMiddleware)], Route("/logout", logout))) as client:
        await counts(client)
        assert "Max-Age=0" in (await client.get("/logout")).headers["set-cookie"]
        assert (await client.get("/visit")).text == "1"


async def test_starsessions_regenerating_session_id(http: Client, environment_secret: None) -> None:
    # README "Regenerating session ID"
    async def login(request):  # type: ignore[no-untyped-def]
        regenerate_session_id(request)
        return Response("successfully signed in")

    app = serve([Middleware(SessionMiddleware, backend="memory")], Route("/login", login))
    async with http(app) as client:
        await client.get("/visit")
        before = client.cookies["session"]
        assert (await client.get("/login")).text == "successfully signed in"
        assert client.cookies["session"] != before
        assert (await client.get("/visit")).text == "2"
