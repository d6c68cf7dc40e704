"""The app before the move: a login page on asgi-tools with asgi-sessions'
SessionMiddleware.

    python tests/legacy/incumbents/incumbent_asgi_sessions.py --port N --session-type jwt

The browser test (tests/browser/test_legacy.py) logs in here, then replaces this server
with examples/asgi_tools/app.py on the same port. ``--session-type`` is asgi-sessions'
``session_type`` (``jwt``, ``fernet`` or its default, the unsigned ``base64``); the
secret is ``INCUMBENT_SECRET`` (32 characters at most for ``fernet``). The user goes
under ``user_id``, where satchel looks.
"""

from __future__ import annotations

import argparse
import html
import os

from asgi_sessions import SessionMiddleware
from asgi_tools import App, Request, Response, ResponseHTML, ResponseRedirect

PAGE = """<!doctype html><title>Before the move</title>
{account}
<form id="login-form" method="post" action="/login">
<input id="login-name" name="name"><button id="login-button">Log in</button></form>"""


def build(session_type: str) -> App:
    """The login page on asgi-sessions' *session_type* sessions."""
    app = App()
    app.middleware(
        SessionMiddleware.setup(
            secret_key=os.environ["INCUMBENT_SECRET"], session_type=session_type
        )
    )

    @app.route("/", methods=["GET"])
    async def home(request: Request) -> Response:
        user = request.session.get("user_id")
        account = (
            ""
            if user is None
            else f'<p>Logged in as <strong id="user">{html.escape(user)}</strong>.</p>'
        )
        return ResponseHTML(PAGE.format(account=account))

    @app.route("/login", methods=["POST"])
    async def login(request: Request) -> Response:
        form = await request.form()
        request.session["user_id"] = str(form.get("name", ""))
        return ResponseRedirect("/", status_code=303)

    return app


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--session-type", choices=["jwt", "fernet", "base64"], default="base64")
    args = parser.parse_args()
    uvicorn.run(build(args.session_type), host="127.0.0.1", port=args.port, log_level="info")
