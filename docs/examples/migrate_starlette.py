"""A Starlette app that used Starlette's SessionMiddleware, moved to satchel-starlette (app.py).

The import changed, and the secret: 32 bytes or more, read here from SESSION_SECRET_KEY
(`satchel keygen --env` makes one); secret_key= still takes one too. Starlette's
keyword arguments keep their meaning.
"""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from satchel_starlette import SessionMiddleware  # was: from starlette.middleware.sessions


async def home(request: Request) -> PlainTextResponse:
    request.session["visits"] = request.session.get("visits", 0) + 1
    return PlainTextResponse(str(request.session["visits"]))


async def add_to_cart(request: Request) -> PlainTextResponse:
    request.session.setdefault("cart", []).append("pear")  # Starlette 1.x kept one pear
    return PlainTextResponse("added")


async def profile(request: Request) -> JSONResponse:
    return JSONResponse(request.session)  # unchanged: the session is a dict


async def logout(request: Request) -> PlainTextResponse:
    request.session.clear()
    return PlainTextResponse("bye")


app = Starlette(
    routes=[
        Route("/", home),
        Route("/cart", add_to_cart, methods=["POST"]),
        Route("/profile", profile),
        Route("/logout", logout, methods=["POST"]),
    ],
    middleware=[
        Middleware(
            SessionMiddleware,  # was: secret_key=config("SECRET_KEY", cast=Secret), any length
            session_cookie="sid",
            max_age=3600,
            same_site="strict",
            https_only=False,
        )
    ],
)
