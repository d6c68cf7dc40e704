"""The app before the move: a login page on Starlette's own SessionMiddleware.

    python tests/legacy/incumbents/incumbent_starlette.py --port N

The browser test (tests/browser/test_legacy.py) logs in here, then replaces this server
with examples/starlette/app.py on the same port. The secret is ``INCUMBENT_SECRET`` (any
length, as Starlette allows); the user goes under ``user_id``, where satchel looks.
"""

from __future__ import annotations

import argparse
import html
import os
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

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


app = Starlette(
    routes=[Route("/", home), Route("/login", login, methods=["POST"])],
    middleware=[Middleware(SessionMiddleware, secret_key=os.environ["INCUMBENT_SECRET"])],
)

if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    uvicorn.run(app, host="127.0.0.1", port=parser.parse_args().port, log_level="info")
