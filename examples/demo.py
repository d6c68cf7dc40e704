"""The satchel demo: a small real app on http://127.0.0.1:8000.

A visit counter, login and logout (the session id is regenerated at login),
and a flash message, on the embedded default: signed cookies. Without
SESSION_SECRET_KEY a development key is generated once, printed, and kept in
.satchel-dev-key so restarts keep everyone logged in.

This app drives the engine directly over bare ASGI, which is all an adapter does.
"""

from __future__ import annotations

import argparse
import html
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from satchel import Session, SessionManager, SessionSettings, generate_key

KEY_FILE = Path(__file__).resolve().parent.parent / ".satchel-dev-key"

Scope = dict[str, Any]
Message = dict[str, Any]


def development_settings() -> SessionSettings:
    """Settings from the environment, with a generated key kept on disk if none is set."""
    if os.environ.get("SESSION_SECRET_KEY"):
        return SessionSettings()
    if KEY_FILE.exists():
        key = KEY_FILE.read_text().strip()
    else:
        key = generate_key()
        KEY_FILE.write_text(key + "\n")
        KEY_FILE.chmod(0o600)
        print(f"satchel demo: generated a development key, kept in {KEY_FILE}:")
        print(f"  SESSION_SECRET_KEY={key}")
    return SessionSettings(secret_key=key)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>satchel demo</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}
.flash{{background:#e8f4e8;border:1px solid #8c8;padding:.5rem 1rem;border-radius:4px}}
code{{background:#f3f3f3;padding:0 .25rem}}</style></head><body>
<h1>satchel demo</h1>
{flashes}
<p>You have visited this page <strong id="visits">{visits}</strong> time(s).</p>
{account}
<p>Backend: <code>{backend}</code>. Session created {created}, expires {expires}.</p>
</body></html>
"""

LOGIN_FORM = """<form method="post" action="/login">
<label>Name <input name="name" required maxlength="40"></label> <button>Log in</button></form>"""

LOGOUT_FORM = """<p>Logged in as <strong id="user">{user}</strong>.</p>
<form method="post" action="/logout"><button>Log out</button></form>"""


def render_home(session: Session, backend: str) -> str:
    """The home page: counts the visit and shows the user, flashes and metadata."""
    session["visits"] = session.get("visits", 0) + 1
    flashes = "".join(
        f'<p class="flash {html.escape(f.category)}">{html.escape(f.message)}</p>'
        for f in session.pop_flashes()
    )
    user = session.user_id
    account = LOGIN_FORM if user is None else LOGOUT_FORM.format(user=html.escape(str(user)))
    meta = session.metadata
    return PAGE.format(
        flashes=flashes,
        visits=session["visits"],
        account=account,
        backend=html.escape(backend),
        created=meta.created.strftime("%H:%M:%S UTC"),
        expires=meta.expires.strftime("%Y-%m-%d %H:%M UTC"),
    )


class DemoApp:
    """A bare ASGI application over the satchel engine."""

    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()  # lifespan.startup
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        cookie = "; ".join(v.decode("latin-1") for k, v in scope["headers"] if k == b"cookie")
        session = await self.manager.load(cookie)
        status, headers, body = await self.route(scope, receive, session)
        headers = await self.manager.commit_headers(session, headers)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def route(
        self, scope: Scope, receive: Any, session: Session
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Dispatch one request; returns status, headers and body."""
        path, method = scope["path"], scope["method"]
        if path == "/" and method == "GET":
            page = render_home(session, self.manager.settings.backend).encode()
            return 200, [(b"content-type", b"text/html; charset=utf-8")], page
        if path == "/login" and method == "POST":
            form = parse_qs((await read_body(receive)).decode())
            name = form.get("name", [""])[0].strip()[:40]
            if name:
                session.login(name)
                session.flash(f"Welcome, {name}! Your session id was regenerated.")
            return redirect("/")
        if path == "/logout" and method == "POST":
            session.logout()
            session.flash("You are logged out; the old session is gone.")
            return redirect("/")
        return 404, [(b"content-type", b"text/plain")], b"not found"


async def read_body(receive: Any) -> bytes:
    """The whole request body."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def redirect(location: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A 303 See Other to *location*."""
    return 303, [(b"location", location.encode())], b""


def main() -> None:
    """Serve the demo with uvicorn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    app = DemoApp(SessionManager(development_settings()))
    print(f"satchel demo: open http://{args.host}:{args.port}/")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
