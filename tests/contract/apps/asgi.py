"""The contract's route table as a bare ASGI app, sessions by satchel-asgi."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from support import Cart

import satchel_asgi
from satchel import Session, SessionManager
from satchel_asgi import ASGIApp, Receive, Scope, Send, SessionMiddleware

Handler = Callable[[Session, dict[str, Any]], dict[str, Any]]


def _get(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"data": dict(session), "is_new": session.is_new}


def _set(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.update(body)
    return {"data": dict(session)}


def _append(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.setdefault(body["key"], [])
    session[body["key"]].append(body["value"])
    return {"data": dict(session)}


def _clear(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.clear()
    return {"data": {}}


def _regenerate(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.regenerate()
    return {"data": dict(session)}


def _flash(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.flash(body["message"], body.get("category", "info"))
    return {"ok": True}


def _flashes(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"flashes": [[f.category, f.message] for f in session.pop_flashes()]}


def _login(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.login(body["user_id"])
    return {"user_id": body["user_id"]}


def _logout(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    session.logout()
    return {"ok": True}


def _whoami(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": session.user_id}


def _model(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    return {"cart": session.as_model(Cart).model_dump()}


def _add_to_model(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    cart = session.as_model(Cart)
    cart.items.append(body["item"])
    session.set_model(cart)
    return {"cart": cart.model_dump()}


def _metadata(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    meta = session.metadata
    return {
        "created": meta.created.isoformat(),
        "last_seen": meta.last_seen.isoformat(),
        "expires": meta.expires.isoformat(),
    }


ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/get"): _get,
    ("POST", "/set"): _set,
    ("POST", "/append"): _append,
    ("POST", "/clear"): _clear,
    ("POST", "/regenerate"): _regenerate,
    ("POST", "/flash"): _flash,
    ("GET", "/flashes"): _flashes,
    ("POST", "/login"): _login,
    ("POST", "/logout"): _logout,
    ("GET", "/whoami"): _whoami,
    ("GET", "/model"): _model,
    ("POST", "/model"): _add_to_model,
    ("GET", "/metadata"): _metadata,
}


async def _body(receive: Receive) -> dict[str, Any]:
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if not message.get("more_body"):
            break
    data = json.loads(raw) if raw else {}
    assert isinstance(data, dict)
    return data


async def _respond(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def routes(scope: Scope, receive: Receive, send: Send) -> None:
    """The route table, reading the session from ``scope["session"]``."""
    if scope["type"] != "http":
        return
    key = (scope["method"], scope["path"])
    if key == ("GET", "/untouched"):
        await _respond(send, 200, {"ok": True})
        return
    handler = ROUTES.get(key)
    if handler is None:
        await _respond(send, 404, {"error": "not found"})
        return
    await _respond(send, 200, handler(scope["session"], await _body(receive)))


ALIASES = satchel_asgi.ALIASES


def build(**options: Any) -> SessionManager:
    """The manager satchel-asgi builds from *options*, as a user passes them."""
    return SessionMiddleware(routes, **options).manager


def make_app(manager: SessionManager) -> ASGIApp:
    """A bare ASGI app serving the contract routes, its sessions from *manager*."""
    return SessionMiddleware(routes, manager=manager)
