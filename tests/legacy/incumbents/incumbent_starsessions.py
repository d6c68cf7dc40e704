"""The app before the move: a login page on starsessions (a ``CookieStore`` or a
``RedisStore``).

    python tests/legacy/incumbents/incumbent_starsessions.py --port N [--store redis]

The browser test (tests/browser/test_legacy.py) logs in here, then replaces this server
with examples/starlette/app.py on the same port. The cookie store's secret is
``INCUMBENT_SECRET``; the Redis store's server is ``INCUMBENT_REDIS_URL`` and its key
prefix ``INCUMBENT_STORE_PREFIX`` (starsessions' ``"starsessions."`` unless set). The
sessions last an hour (``lifetime=3600``); the user goes under ``user_id``, where
satchel looks. The cookie is not ``Secure``: the test serves plain http.
"""

from __future__ import annotations

import argparse
import html
import os
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starsessions import CookieStore, SessionAutoloadMiddleware, SessionMiddleware, SessionStore

LIFETIME = 3600

PAGE = """<!doctype html><title>Before the move</title>
{account}
<form id="login-form" method="post" action="/login">
<input id="login-name" name="name"><button id="login-button">Log in</button></form>"""


async def home(request: Request) -> Response:
    user = request.session.get("user_id")
    account = (
        ""
        if user is None
        else f'<p>Logged in as <strong id="user">{html.escape(user)}</strong>.</p>'
    )
    return HTMLResponse(PAGE.format(account=account))


async def login(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode()))
    request.session["user_id"] = form.get("name", "")
    return RedirectResponse("/", status_code=303)


def store(kind: str) -> SessionStore:
    """The starsessions store *kind* names, configured from the environment."""
    if kind == "cookie":
        return CookieStore(secret_key=os.environ["INCUMBENT_SECRET"])
    from redis.asyncio import Redis
    from starsessions.stores.redis import RedisStore

    return RedisStore(
        connection=Redis.from_url(os.environ["INCUMBENT_REDIS_URL"]),
        prefix=os.environ.get("INCUMBENT_STORE_PREFIX", "starsessions."),
    )


def build(kind: str) -> Starlette:
    """The login page on starsessions with the store *kind* names."""
    return Starlette(
        routes=[Route("/", home), Route("/login", login, methods=["POST"])],
        middleware=[
            Middleware(
                SessionMiddleware, store=store(kind), lifetime=LIFETIME, cookie_https_only=False
            ),
            Middleware(SessionAutoloadMiddleware),
        ],
    )


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--store", choices=["cookie", "redis"], default="cookie")
    args = parser.parse_args()
    uvicorn.run(build(args.store), host="127.0.0.1", port=args.port, log_level="info")
