"""satchel-asgi example: an asgi-tools app with a visit counter, login and logout.

    python examples/asgi/asgi_tools_app.py                          # http://127.0.0.1:8000
    SESSION_SECRET_KEY=$(satchel keygen) uvicorn asgi_tools_app:app  # any ASGI server

asgi-sessions users: the same ``SessionMiddleware.setup(...)`` line, with the same
keyword arguments (``session_type``, ``cookie_name``, ``max_age``...). Without
SESSION_SECRET_KEY a development key is generated (with a warning).
"""

from __future__ import annotations

from asgi_tools import App, Request, ResponseRedirect, ResponseText

from satchel import SessionSettings
from satchel_asgi import SessionMiddleware

app = App()
app.middleware(SessionMiddleware.setup(SessionSettings.development(), session_type="jwt"))


@app.route("/", methods=["GET"])
async def home(request: Request) -> ResponseText:
    session = request.session  # or request["session"]
    session["visits"] = session.get("visits", 0) + 1
    notes = " ".join(message for _, message in session.pop_flashes())
    user = session.user_id or "nobody"
    return ResponseText(f"visit number {session['visits']}, logged in: {user}. {notes}".strip())


@app.route("/login", methods=["POST"])
async def login(request: Request) -> None:
    name = str((await request.form()).get("name", "")).strip()
    if name:
        request.session.login(name)  # a new session identity: no fixation
        request.session.flash(f"Welcome, {name}!")
    raise ResponseRedirect("/", status_code=303)


@app.route("/logout", methods=["POST"])
async def logout(request: Request) -> None:
    request.session.logout()  # everything goes, the cookie expires
    raise ResponseRedirect("/", status_code=303)


if __name__ == "__main__":
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    print(f"satchel-asgi example: open http://127.0.0.1:{port}/", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port)
