"""The contract's route table as a FastAPI app, through satchel-starlette's dependencies."""

from __future__ import annotations

from typing import Annotated, Any

from contract.apps.starlette import built_manager
from fastapi import Body, FastAPI
from pydantic import BaseModel
from starlette.middleware import Middleware
from support import Cart

import satchel_starlette
from satchel import SessionManager
from satchel_starlette import SessionMiddleware
from satchel_starlette.fastapi import SessionDep, SessionModel

JSONObject = Annotated[dict[str, Any], Body()]
CartDep = Annotated[Cart, SessionModel(Cart)]


class Append(BaseModel):
    key: str
    value: Any


class Flash(BaseModel):
    message: str
    category: str = "info"


class Login(BaseModel):
    user_id: Any


class Item(BaseModel):
    item: int


ALIASES = satchel_starlette.ALIASES


def build(**options: Any) -> SessionManager:
    """The manager satchel-starlette builds from *options* in a FastAPI app."""
    return built_manager(FastAPI(middleware=[Middleware(SessionMiddleware, **options)]))


def make_app(manager: SessionManager) -> FastAPI:
    """A FastAPI app serving the contract routes, its sessions from *manager*."""
    app = FastAPI(middleware=[Middleware(SessionMiddleware, manager=manager)])

    @app.get("/untouched")
    async def untouched() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/get")
    async def get(session: SessionDep) -> dict[str, Any]:
        return {"data": dict(session), "is_new": session.is_new}

    @app.post("/set")
    async def set_(session: SessionDep, body: JSONObject) -> dict[str, Any]:
        session.update(body)
        return {"data": dict(session)}

    @app.post("/append")
    async def append(session: SessionDep, body: Append) -> dict[str, Any]:
        session.setdefault(body.key, [])
        session[body.key].append(body.value)
        return {"data": dict(session)}

    @app.post("/clear")
    async def clear(session: SessionDep) -> dict[str, Any]:
        session.clear()
        return {"data": {}}

    @app.post("/regenerate")
    async def regenerate(session: SessionDep) -> dict[str, Any]:
        session.regenerate()
        return {"data": dict(session)}

    @app.post("/flash")
    async def flash(session: SessionDep, body: Flash) -> dict[str, Any]:
        session.flash(body.message, body.category)
        return {"ok": True}

    @app.get("/flashes")
    async def flashes(session: SessionDep) -> dict[str, Any]:
        return {"flashes": [[f.category, f.message] for f in session.pop_flashes()]}

    @app.post("/login")
    async def login(session: SessionDep, body: Login) -> dict[str, Any]:
        session.login(body.user_id)
        return {"user_id": body.user_id}

    @app.post("/logout")
    async def logout(session: SessionDep) -> dict[str, Any]:
        session.logout()
        return {"ok": True}

    @app.get("/whoami")
    async def whoami(session: SessionDep) -> dict[str, Any]:
        return {"user_id": session.user_id}

    @app.get("/model")
    async def model(cart: CartDep) -> dict[str, Any]:
        return {"cart": cart.model_dump()}

    @app.post("/model")
    async def add_to_model(cart: CartDep, body: Item) -> dict[str, Any]:
        cart.items.append(body.item)
        return {"cart": cart.model_dump()}

    @app.get("/metadata")
    async def metadata(session: SessionDep) -> dict[str, Any]:
        meta = session.metadata
        return {
            "created": meta.created.isoformat(),
            "last_seen": meta.last_seen.isoformat(),
            "expires": meta.expires.isoformat(),
        }

    return app
