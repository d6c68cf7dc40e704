"""A Starlette app with sessions: a visit counter, login and logout (app.py)."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from satchel_starlette import SessionMiddleware, get_session


async def home(request: Request) -> PlainTextResponse:
    request.session["visits"] = request.session.get("visits", 0) + 1  # a dict, as before
    return PlainTextResponse(f"visits: {request.session['visits']}")


async def me(request: Request) -> PlainTextResponse:
    session = get_session(request)  # request.session, typed as the satchel.Session it is
    return PlainTextResponse(f"visits: {session.get('visits', 0)}, user: {session.user_id}")


async def login(request: Request) -> PlainTextResponse:
    get_session(request).login("alice")  # a new session identity: a planted cookie gains nothing
    return await me(request)


async def logout(request: Request) -> PlainTextResponse:
    get_session(request).logout()  # everything goes; the browser is told to drop the cookie
    return await me(request)


app = Starlette(
    routes=[
        Route("/", home),
        Route("/me", me),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ],
    # SESSION_* variables configure it, checked as the app starts (a bad one stops it);
    # development=True: without SESSION_SECRET_KEY, a key is generated, with a warning.
    middleware=[Middleware(SessionMiddleware, development=True)],
)
