"""A Robyn app that used Robyn's built-in sessions, moved to satchel-robyn (app.py).

One line changed: ``app.configure_sessions(...)`` became ``configure_sessions(app, ...)``,
with the same options. The secret must now be 32 bytes or more (`satchel keygen`); with
``SESSION_LEGACY_FORMATS=robyn`` in the environment, the cookies Robyn issued still load
(users stay logged in) and are re-issued in satchel's format.
"""

import os
import secrets

from robyn import Request, Robyn

from satchel_robyn import configure_sessions

SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)  # as it was

app = Robyn(__file__)
configure_sessions(  # was: app.configure_sessions(
    app,
    secret_key=SECRET_KEY,
    cookie_name="sid",
    max_age=3600,
    same_site="Strict",
)


@app.get("/")
def home(request: Request) -> str:
    request.session["views"] = request.session.get("views", 0) + 1
    return f"views: {request.session['views']}, user: {request.session.get('user')}"


@app.post("/cart")
def add_to_cart(request: Request) -> str:
    request.session.setdefault("cart", []).append("pear")  # a nested change: saved
    return f"cart: {request.session['cart']}"


@app.post("/logout")
def logout(request: Request) -> str:
    request.session.clear()  # the cookie expires, as with Robyn's sessions
    return "bye"
