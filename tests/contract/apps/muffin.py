"""The contract's route table as a Muffin app, sessions by satchel-muffin (auto-managed)."""

from __future__ import annotations

from typing import Any

import muffin
from support import Cart

import satchel_muffin
from satchel import SessionManager
from satchel_muffin import Plugin

ALIASES = satchel_muffin.ALIASES


def build(**options: Any) -> SessionManager:
    """The manager satchel-muffin's plugin builds from *options* on a Muffin app."""
    return Plugin(muffin.Application(), **options).manager


def make_app(manager: SessionManager) -> muffin.Application:
    """A Muffin app serving the contract routes, its sessions from *manager*."""
    app = muffin.Application()
    plugin = Plugin(app, manager=manager, auto_manage=True)
    load = plugin.load_from_request

    async def body(request: muffin.Request) -> dict[str, Any]:
        data = await request.json()
        if not isinstance(data, dict):
            raise muffin.ResponseError.BAD_REQUEST("a JSON object is expected")
        return data

    @app.route("/untouched", methods="GET")
    async def untouched(request: muffin.Request) -> dict[str, Any]:
        return {"ok": True}

    @app.route("/get", methods="GET")
    async def get(request: muffin.Request) -> dict[str, Any]:
        session = await load(request)
        return {"data": dict(session), "is_new": session.is_new}

    @app.route("/set", methods="POST")
    async def set_(request: muffin.Request) -> dict[str, Any]:
        session = await load(request)
        session.update(await body(request))
        return {"data": dict(session)}

    @app.route("/append", methods="POST")
    async def append(request: muffin.Request) -> dict[str, Any]:
        session, data = await load(request), await body(request)
        session.setdefault(data["key"], [])
        session[data["key"]].append(data["value"])
        return {"data": dict(session)}

    @app.route("/clear", methods="POST")
    async def clear(request: muffin.Request) -> dict[str, Any]:
        (await load(request)).clear()
        return {"data": {}}

    @app.route("/regenerate", methods="POST")
    async def regenerate(request: muffin.Request) -> dict[str, Any]:
        session = await load(request)
        session.regenerate()
        return {"data": dict(session)}

    @app.route("/flash", methods="POST")
    async def flash(request: muffin.Request) -> dict[str, Any]:
        data = await body(request)
        (await load(request)).flash(data["message"], data.get("category", "info"))
        return {"ok": True}

    @app.route("/flashes", methods="GET")
    async def flashes(request: muffin.Request) -> dict[str, Any]:
        taken = (await load(request)).pop_flashes()
        return {"flashes": [[f.category, f.message] for f in taken]}

    @app.route("/login", methods="POST")
    async def login(request: muffin.Request) -> dict[str, Any]:
        user_id = (await body(request))["user_id"]
        (await load(request)).login(user_id)
        return {"user_id": user_id}

    @app.route("/logout", methods="POST")
    async def logout(request: muffin.Request) -> dict[str, Any]:
        (await load(request)).logout()
        return {"ok": True}

    @app.route("/whoami", methods="GET")
    async def whoami(request: muffin.Request) -> dict[str, Any]:
        return {"user_id": (await load(request)).user_id}

    @app.route("/model", methods="GET")
    async def model(request: muffin.Request) -> dict[str, Any]:
        return {"cart": (await load(request)).as_model(Cart).model_dump()}

    @app.route("/model", methods="POST")
    async def add_to_model(request: muffin.Request) -> dict[str, Any]:
        session, item = await load(request), (await body(request))["item"]
        cart = session.as_model(Cart)
        cart.items.append(item)
        session.set_model(cart)
        return {"cart": cart.model_dump()}

    @app.route("/metadata", methods="GET")
    async def metadata(request: muffin.Request) -> dict[str, Any]:
        meta = (await load(request)).metadata
        return {
            "created": meta.created.isoformat(),
            "last_seen": meta.last_seen.isoformat(),
            "expires": meta.expires.isoformat(),
        }

    return app
