"""The app before the move: a login page on muffin-session's Plugin (JWT sessions).

    python tests/legacy/incumbents/incumbent_muffin.py --port N

The browser test (tests/browser/test_legacy.py) logs in here, then replaces this server
with examples/muffin/app.py on the same port. The secret is ``INCUMBENT_SECRET``; the
user goes under ``"id"``, as muffin-session's ``login`` puts it. Python 3.11+ (Muffin 3).
"""

from __future__ import annotations

import argparse
import html
import os
from typing import Any

import muffin
import muffin_session

PAGE = """<!doctype html><title>Before the move</title>
{account}
<form id="login-form" method="post" action="/login">
<input id="login-name" name="name"><button id="login-button">Log in</button></form>"""

app = muffin.Application()
session: Any = muffin_session.Plugin(
    app, secret_key=os.environ["INCUMBENT_SECRET"], session_type="jwt", auto_manage=True
)


@app.route("/", methods="GET")
async def home(request: muffin.Request) -> muffin.Response:
    user = session.load_from_request(request).get("id")
    account = (
        ""
        if user is None
        else f'<p>Logged in as <strong id="user">{html.escape(user)}</strong>.</p>'
    )
    return muffin.ResponseHTML(PAGE.format(account=account))


@app.route("/login", methods="POST")
async def login(request: muffin.Request) -> muffin.Response:
    form = await request.form()
    session.login(request, form.get("name", ""))
    return muffin.ResponseRedirect("/", status_code=303)  # returned: auto_manage saves it


if __name__ == "__main__":
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    uvicorn.run(app, host="127.0.0.1", port=parser.parse_args().port, log_level="info")
