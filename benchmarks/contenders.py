"""Every contender: satchel through each adapter and backend, and the libraries users
would otherwise pick, each wrapped around the same tiny endpoint.

A contender is an ASGI application serving these paths:

    /seed       writes {"user_id": 1, "n": 0}              (prepares a cookie)
    /seed-big   writes the same plus a 2 KB "notes" value    (prepares a cookie)
    /untouched  never touches the session
    /read       reads user_id
    /modify     increments n
    /new        writes user_id into a session that did not exist

Peers are imported only here and installed only into the bench environment.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from driver import ASGIApp, Scope

SECRET = "bench-secret-0123456789abcdefghi"
"""32 characters: asgi-sessions' and muffin-session's Fernet crash on longer secrets."""
NOTES = "x" * 2048


def act(path: str, session: Any) -> bytes:
    """The endpoint's work on the session, the same for every contender."""
    if path == "/read":
        return str(session.get("user_id")).encode()
    if path == "/modify":
        session["n"] = session.get("n", 0) + 1
        return str(session["n"]).encode()
    if path == "/new":
        session["user_id"] = 1
        return b"1"
    if path == "/seed":
        session["user_id"] = 1
        session["n"] = 0
        return b"seeded"
    if path == "/seed-big":
        session["user_id"] = 1
        session["n"] = 0
        session["notes"] = NOTES
        return b"seeded"
    return b"ok"


def raw_endpoint(
    get: Callable[[Scope], Any] | None = None, load: Callable[[Scope], Any] | None = None
) -> ASGIApp:
    """A bare ASGI endpoint; *get* finds the session in the scope, *load* (async)
    loads it first where a library needs that."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path = scope["path"]
        if path == "/untouched" or get is None:
            body = b"ok"
        else:
            if load is not None:
                await load(scope)
            body = act(path, get(scope))
        # a new list each time: asgi-sessions appends to the app's header list in place
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _session_of(scope: Scope) -> Any:
    return scope["session"]


PATHS = ("/seed", "/seed-big", "/untouched", "/read", "/modify", "/new")


def starlette_app(middleware: list[Any], load: Callable[[Any], Any] | None = None) -> ASGIApp:
    """A Starlette application with *middleware* and one route per path."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(request: Request) -> Response:
        path = request.url.path
        if path == "/untouched" or not middleware:
            return Response(b"ok", media_type="text/plain")
        if load is not None:
            await load(request)
        return Response(act(path, request.session), media_type="text/plain")

    return Starlette(routes=[Route(p, endpoint) for p in PATHS], middleware=middleware)


def muffin_app(setup: Callable[[Any], Callable[[Any], Any]] | None) -> ASGIApp:
    """A Muffin application; *setup* installs a session plugin and returns how a
    handler finds the session of a request."""
    import muffin

    app = muffin.Application(debug=False)
    session_of = setup(app) if setup is not None else None

    for path in PATHS:

        @app.route(path)
        async def handler(request: Any) -> Any:
            route = request.url.path
            if route == "/untouched" or session_of is None:
                return muffin.Response(b"ok", content_type="text/plain")
            return muffin.Response(act(route, session_of(request)), content_type="text/plain")

    return app


class Clock:
    """The satchel contenders' clock: the rolling scenario seeds a cookie in the past."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Contender:
    """One thing to measure: an application factory and what it is."""

    name: str
    family: str
    kind: str
    framework: str
    build: Callable[[Contender, bool], ASGIApp]
    """Builds the app; the flag asks for the rolling variant."""
    rolling: bool = False
    clock: Clock = field(default_factory=Clock)
    note: str = ""


def available(module: str) -> bool:
    """Whether *module* can be imported here."""
    return importlib.util.find_spec(module) is not None


def satchel_contenders(redis_url: str | None) -> list[Contender]:
    """satchel with each backend through each adapter that is installed."""
    from satchel import SessionManager, SessionSettings

    backends = ["signed", "jwt", "fernet", "aesgcm", "memory"]
    if redis_url:
        backends.append("redis")
    if available("orjson"):
        backends.append("signed+orjson")  # the signed backend, json_library="orjson"
    found: list[Contender] = []
    prefix = iter(range(10_000))

    def manager(variant: str, rolling: bool, clock: Clock) -> SessionManager:
        backend, _, serializer = variant.partition("+")
        options: dict[str, Any] = {"backend": backend, "secret_key": SECRET}
        if serializer:
            options["json_library"] = serializer
        if backend == "redis":
            options.update(redis_url=redis_url, store_prefix=f"bench:{next(prefix)}:")
        if rolling:
            options.update(rolling=True, refresh_interval=1)
        return SessionManager(SessionSettings.model_validate(options), clock=clock)

    adapters: dict[str, tuple[str, Callable[[Any], ASGIApp]]] = {}
    if available("satchel_asgi"):

        def asgi(m: Any) -> ASGIApp:
            from satchel_asgi import SessionMiddleware

            return SessionMiddleware(raw_endpoint(_session_of), manager=m)  # type: ignore[no-any-return]

        adapters["asgi"] = ("asgi", asgi)
    if available("satchel_starlette"):

        def starlette(m: Any) -> ASGIApp:
            from starlette.middleware import Middleware

            from satchel_starlette import SessionMiddleware

            return starlette_app([Middleware(SessionMiddleware, manager=m)])

        adapters["starlette"] = ("starlette", starlette)
    if available("satchel_muffin") and available("muffin"):

        def muffin(m: Any) -> ASGIApp:
            def setup(app: Any) -> Callable[[Any], Any]:
                from satchel_muffin import Plugin

                Plugin(app, manager=m, auto_manage=True)
                return lambda request: request.session

            return muffin_app(setup)

        adapters["muffin"] = ("muffin", muffin)

    for adapter, (framework, wrap) in adapters.items():
        for backend in backends:

            def build(
                contender: Contender, rolling: bool, b: str = backend, w: Any = wrap
            ) -> ASGIApp:
                return w(manager(b, rolling, contender.clock))  # type: ignore[no-any-return]

            kind = backend.partition("+")[0]
            found.append(
                Contender(f"satchel {backend} ({adapter})", "satchel", kind, framework, build, True)
            )
    return found


def peer_contenders(redis_url: str | None) -> list[Contender]:
    """The libraries satchel replaces, as their READMEs configure them."""
    found: list[Contender] = []
    if available("starlette"):
        from starlette.middleware import Middleware
        from starlette.middleware.sessions import SessionMiddleware

        found.append(
            Contender(
                "Starlette SessionMiddleware",
                "starlette",
                "signed",
                "starlette",
                lambda _, rolling: starlette_app(
                    [Middleware(SessionMiddleware, secret_key=SECRET)]
                ),
            )
        )
    if available("starsessions"):
        found.extend(_starsessions(redis_url))
    if available("asgi_sessions"):
        from asgi_sessions import SessionMiddleware as AsgiSessions

        for kind in ("base64", "jwt", "fernet"):
            found.append(
                Contender(
                    f"asgi-sessions {kind}",
                    "asgi-sessions",
                    kind,
                    "asgi",
                    lambda _, rolling, k=kind: AsgiSessions(
                        raw_endpoint(_session_of), secret_key=SECRET, session_type=k
                    ),
                )
            )
    if available("muffin_session") and available("muffin"):
        for kind in ("jwt", "fernet"):

            def setup(app: Any, k: str = kind) -> Callable[[Any], Any]:
                from muffin_session import Plugin

                plugin = Plugin(app, secret_key=SECRET, session_type=k, auto_manage=True)
                return plugin.load_from_request

            found.append(
                Contender(
                    f"muffin-session {kind}",
                    "muffin-session",
                    kind,
                    "muffin",
                    lambda _, rolling, s=setup: muffin_app(s),
                )
            )
    return found


def _starsessions(redis_url: str | None) -> list[Contender]:
    from starlette.middleware import Middleware
    from starsessions import CookieStore, InMemoryStore, SessionMiddleware, load_session

    stores: list[tuple[str, str, Callable[[], Any]]] = [
        ("CookieStore", "signed", lambda: CookieStore(secret_key=SECRET)),
        ("InMemoryStore", "memory", InMemoryStore),
    ]
    if redis_url:
        from redis.asyncio import Redis
        from starsessions.stores.redis import RedisStore

        stores.append(
            ("RedisStore", "redis", lambda: RedisStore(connection=Redis.from_url(redis_url)))
        )
    found = []
    for label, kind, store in stores:
        found.append(
            Contender(
                f"starsessions {label}",
                "starsessions",
                kind,
                "starlette",
                lambda _, rolling, s=store: starlette_app(
                    [
                        Middleware(
                            SessionMiddleware,
                            store=s(),
                            lifetime=3600,
                            rolling=rolling,
                            cookie_https_only=False,
                        )
                    ],
                    load=load_session,
                ),
                rolling=True,
                note="2.2.1 (the release on PyPI) has no encryptors",
            )
        )
    return found


def bases() -> dict[str, ASGIApp]:
    """The same endpoint with no session middleware, per framework."""
    found: dict[str, ASGIApp] = {"asgi": raw_endpoint()}
    if available("starlette"):
        found["starlette"] = starlette_app([])
    if available("muffin"):
        found["muffin"] = muffin_app(None)
    return found
