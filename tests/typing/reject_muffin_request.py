"""Misuse of the typed Muffin request that mypy must reject: proof that
``request.session`` is a `satchel.Session`, not Any."""

from __future__ import annotations

import muffin

from satchel_muffin import Plugin, Request

app = muffin.Application()
session = Plugin(app, auto_manage=True)


@app.route("/")
async def index(request: Request) -> str:
    request.session.login()
    request.session.log_in("alice")
    request.session.flash(404)
    return "ok"
