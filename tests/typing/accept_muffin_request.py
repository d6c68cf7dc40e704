"""A Muffin app on satchel-muffin: mypy must accept it, and see a `satchel.Session` at
``request.session`` in views annotated with `satchel_muffin.Request`."""

from __future__ import annotations

import muffin
from typing_extensions import assert_type
from yarl import URL

from satchel import Session
from satchel_muffin import PlainSecret, Plugin, Request, SavedResponse

app = muffin.Application()
session = Plugin(app, auto_manage=True, user_key="id", session_type="jwt")


@app.route("/login", methods="POST")
async def login(request: Request) -> str:
    assert_type(request.session, Session)
    assert_type(request.url, URL)
    form = await request.form()
    request.session.login(str(form.get("name", "")))
    request.session["visits"] = request.session.get("visits", 0) + 1
    session.login(request, "alice")  # muffin-session's call: done as it is called
    await session.logout(request)  # and awaited
    return str(request.path_params)


@app.route("/private")
@session.user_pass(lambda user: user is not None)
async def private(request: Request) -> str:
    return f"hello {request.session.user_id}"


@app.route("/saved")
async def saved(request: muffin.Request) -> muffin.Response:
    response: SavedResponse = session.login(request, 7, response={"ok": True})
    assert_type(await session.logout(request, response="bye"), SavedResponse)
    assert_type(await session.login(request, 1), None)
    assert isinstance(response.headers["Set-Cookie"], str)
    return session.save_to_response(request, response, visits=1)


@app.route("/handler")
class Page(muffin.Handler):
    async def get(self, request: Request) -> str:
        return str(request.session.get("visits"))


token: Session = session.create_from_token("value")
secret: PlainSecret | str | None = session.cfg.secret_key
