"""A Muffin app that used muffin-session, moved to satchel-muffin (app.py).

The changed lines carry a comment: the import, the secret, and an ``await`` before
``load_from_request``, the one method that became a coroutine. The rest is
muffin-session's API, called as muffin-session's README calls it.
"""

import muffin

from satchel import SessionSettings
from satchel_muffin import Plugin as Session  # was: from muffin_session import Plugin

USERS = {"alice": "Alice, an admin", "bob": "Bob"}

app = muffin.Application()
session = Session(
    app,
    SessionSettings.development(),  # was: secret_key="InsecureSecret" by default
    session_type="jwt",
    cookie_params={"samesite": "strict"},  # merged into the defaults, no longer replacing them
)


@session.user_loader
def load_user(user_id: str) -> str | None:
    return USERS.get(user_id)


@app.route("/", methods="GET")
async def home(request: muffin.Request) -> muffin.Response:
    data = await session.load_from_request(request)  # was: session.load_from_request(...)
    data["visits"] = data.get("visits", 0) + 1
    user = await session.load_user(request)
    return session.save_to_response(data, f"{data['visits']} visits, user: {user}")


@app.route("/login", methods="POST")
async def login(request: muffin.Request) -> muffin.Response | None:
    name = str((await request.form()).get("name", ""))
    redirect = muffin.ResponseRedirect("/", status_code=303)
    return session.login(request, name, response=redirect)


@app.route("/logout", methods="POST")
async def logout(request: muffin.Request) -> muffin.Response | None:
    redirect = muffin.ResponseRedirect("/", status_code=303)
    return session.logout(request, response=redirect)


@app.route("/admin", methods="GET")
@session.user_pass(lambda user: user is not None and "admin" in user, location="/")
async def admin(request: muffin.Request) -> str:
    return "TOP SECRET"
