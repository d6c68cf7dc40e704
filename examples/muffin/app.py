"""satchel-muffin example: a Muffin 3 app with a visit counter, login, logout and flash messages.

    python examples/muffin/app.py            # http://127.0.0.1:8000

Sessions are signed cookies unless SESSION_* variables say otherwise. Without
SESSION_SECRET_KEY the plugin runs in its debug mode: it generates a key and
warns, and everyone is logged out when the process restarts; set one
(``satchel keygen --env``) to keep sessions across restarts.
"""

from __future__ import annotations

import argparse
import html

import muffin

from satchel import SessionSettings
from satchel_muffin import Plugin

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>satchel-muffin example</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}
.flash{{background:#e8f4e8;border:1px solid #8c8;padding:.5rem 1rem;border-radius:4px}}</style>
</head><body>
<h1>satchel-muffin example</h1>
{flashes}
<p>You have visited this page <strong id="visits">{visits}</strong> time(s).</p>
{account}
<p><a href="/private">A page for logged-in users</a></p>
</body></html>
"""

LOGIN_FORM = """<form method="post" action="/login">
<label>Name <input name="name" required maxlength="40"></label> <button>Log in</button></form>"""

LOGOUT_FORM = """<p>Logged in as <strong id="user">{user}</strong>.</p>
<form method="post" action="/logout"><button>Log out</button></form>"""


def create_app(settings: SessionSettings | None = None, *, dev: bool = False) -> muffin.Application:
    """The example app; *settings* default to ``SESSION_*`` variables, and *dev* lets the
    plugin generate a key when none is configured."""
    app = muffin.Application()
    session = Plugin(app, settings, auto_manage=True, debug=dev)

    @app.route("/", methods="GET")
    async def home(request: muffin.Request) -> muffin.ResponseHTML:
        data = await session.load_from_request(request)
        data["visits"] = data.get("visits", 0) + 1
        flashes = "".join(
            f'<p class="flash {html.escape(f.category)}">{html.escape(f.message)}</p>'
            for f in data.pop_flashes()
        )
        user = await session.load_user(request)
        account = LOGIN_FORM if user is None else LOGOUT_FORM.format(user=html.escape(str(user)))
        return muffin.ResponseHTML(
            PAGE.format(flashes=flashes, visits=data["visits"], account=account)
        )

    @app.route("/login", methods="POST")
    async def login(request: muffin.Request) -> None:
        form = await request.form()
        name = str(form.get("name", "")).strip()[:40]
        if name:
            await session.login(request, name)  # a new session id: no fixation
            await session.flash(request, f"Welcome, {name}!")
        raise muffin.ResponseRedirect("/", status_code=303)  # the session is saved all the same

    @app.route("/logout", methods="POST")
    async def logout(request: muffin.Request) -> None:
        await session.logout(request)
        await session.flash(request, "You are logged out.")
        raise muffin.ResponseRedirect("/", status_code=303)

    @app.route("/private", methods="GET")
    @session.user_pass(location="/")
    async def private(request: muffin.Request) -> str:
        user = html.escape(str(await session.load_user(request)))
        return f"<p>Only logged-in users see this, {user}. <a href='/'>Back</a></p>"

    return app


def main() -> None:
    """Serve the example with uvicorn."""
    parser = argparse.ArgumentParser(description="satchel-muffin example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    app = create_app(dev=True)
    print(f"satchel-muffin example: open http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
