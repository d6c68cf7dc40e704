"""A Muffin app with sessions: a visit counter, login, logout, a page for one user (app.py)."""

import muffin

from satchel import SessionSettings
from satchel_muffin import Plugin as Session

app = muffin.Application()
# SESSION_* variables configure it; without SESSION_SECRET_KEY a key is generated with
# a warning (leave .development() out and the plugin refuses to start without one).
session = Session(app, SessionSettings.development(), auto_manage=True, login_url="/")


@app.route("/", methods="GET")
async def home(request: muffin.Request) -> str:
    data = request.session  # a satchel.Session, loaded before the view ran
    data["visits"] = data.get("visits", 0) + 1
    flashes = " ".join(f.message for f in await session.pop_flashes(request))
    return f"visits: {data['visits']}, user: {data.user_id}. {flashes}".strip()


@app.route("/login", methods="POST")
async def login(request: muffin.Request) -> None:
    form = await request.form()
    await session.login(request, str(form.get("name", "")))  # a new session id
    await session.flash(request, "Welcome!")
    raise muffin.ResponseRedirect("/", status_code=303)  # saved into raised responses too


@app.route("/logout", methods="POST")
async def logout(request: muffin.Request) -> None:
    await session.logout(request)
    raise muffin.ResponseRedirect("/", status_code=303)


@app.route("/admin", methods="GET")
@session.user_pass(lambda user: user == "alice")  # anyone else: a 307 to login_url
async def admin(request: muffin.Request) -> str:
    return f"Hello, {await session.load_user(request)}."
