"""A Starlette app that used starsessions, moved to satchel-starlette (app.py).

The imports changed. The store's ids are signed, with SESSION_SECRET_KEY (32 bytes or
more; `satchel keygen --env` makes one). starsessions' options, helpers and
SessionAutoloadMiddleware keep their meaning; autoload=False keeps its explicit loading.
"""

from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from satchel_starlette import (  # was: from starsessions import ...
    InMemoryStore,
    SessionAutoloadMiddleware,
    SessionMiddleware,
    SessionNotLoaded,
    get_session_id,
    get_session_manager,  # was: get_session_handler
    get_session_metadata,
    load_session,
    regenerate_session_id,
)


async def visit(request: Request) -> Response:  # under /app: SessionAutoloadMiddleware loads it
    request.session["visits"] = request.session.get("visits", 0) + 1
    return PlainTextResponse(str(request.session["visits"]))


async def login(request: Request) -> Response:
    await load_session(request)
    regenerate_session_id(request)  # returns None now: the new id is made as the response starts
    request.session["user"] = "alice"
    return PlainTextResponse("signed in")


async def whoami(request: Request) -> Response:
    await load_session(request)
    metadata = get_session_metadata(request)  # created, last_seen, expires: UTC datetimes
    return JSONResponse(
        {
            "user": request.session.get("user"),
            "id": get_session_id(request),
            "expires": metadata.expires.isoformat(),
        }
    )


async def logout(request: Request) -> Response:
    await load_session(request)
    request.session.clear()
    return PlainTextResponse("bye")


async def logout_everywhere(request: Request) -> Response:
    await load_session(request)
    user = request.session.get("user")
    if user is not None:  # every session of this user, on other devices too
        await get_session_manager(request).revoke_user(user)
    request.session.clear()
    return PlainTextResponse("bye, everywhere")


async def not_loaded(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("load_session() first", status_code=500)


app = Starlette(
    routes=[
        Route("/app/visit", visit),
        Route("/application", visit),  # not under /app: its session is not loaded
        Route("/login", login, methods=["POST"]),
        Route("/whoami", whoami),
        Route("/logout", logout, methods=["POST"]),
        Route("/logout-everywhere", logout_everywhere, methods=["POST"]),
    ],
    middleware=[
        Middleware(
            SessionMiddleware,
            store=InMemoryStore(),
            lifetime=timedelta(hours=1),
            rolling=True,
            cookie_name="sid",
            cookie_same_site="strict",
            cookie_https_only=False,
            autoload=False,  # starsessions' loading: SessionNotLoaded until loaded
            user_key="user",  # where this app keeps its user, for revoke_user()
        ),
        Middleware(SessionAutoloadMiddleware, paths=["/app"]),
    ],
    exception_handlers={SessionNotLoaded: not_loaded},
)
