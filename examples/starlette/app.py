"""satchel-starlette example: a plain Starlette app with sessions in memory.

    python examples/starlette/app.py        # http://127.0.0.1:8000

The same features as the FastAPI example (visit counter, login under a new
session id, a cart kept as a typed model, flash messages, the session's
metadata, logging out here or everywhere), with Starlette's own request and
responses and a JSON API. Sessions live in this process (the memory backend),
so they end when it stops; without SESSION_SECRET_KEY a development key is
generated, with a warning.
"""

from __future__ import annotations

import argparse

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from satchel import SessionSettings
from satchel_starlette import SessionMiddleware, get_session, get_session_manager


class Cart(BaseModel):
    """The session's cart, validated on every request that uses it."""

    items: list[str] = []


async def _text(request: Request, field: str) -> str | JSONResponse:
    """A short non-empty string field of the JSON body, or the 422 to answer."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not 0 < len(value) <= 40:
        return JSONResponse({"detail": f"a JSON body with a {field!r} string"}, status_code=422)
    return value


async def home(request: Request) -> JSONResponse:
    """Counts this visit and takes the flash messages waiting for it."""
    session = get_session(request)
    session["visits"] = session.get("visits", 0) + 1
    return JSONResponse(
        {
            "visits": session["visits"],
            "user": session.user_id,
            "cart": session.as_model(Cart).items,
            "flashes": [[f.category, f.message] for f in session.pop_flashes()],
        }
    )


async def login(request: Request) -> JSONResponse:
    """Logs in under a new session id (no fixation), keeping the cart."""
    name = await _text(request, "name")
    if isinstance(name, JSONResponse):
        return name
    session = get_session(request)
    session.login(name)
    session.flash(f"Welcome, {name}!")
    return JSONResponse({"user": name})


async def add_to_cart(request: Request) -> JSONResponse:
    """Adds an item to the cart model and writes it back."""
    item = await _text(request, "item")
    if isinstance(item, JSONResponse):
        return item
    session = get_session(request)
    cart = session.as_model(Cart)
    cart.items.append(item)
    session.set_model(cart)
    return JSONResponse({"cart": cart.items})


async def logout(request: Request) -> JSONResponse:
    """Ends this session."""
    session = get_session(request)
    session.logout()
    session.flash("You are logged out.")
    return JSONResponse({"ok": True})


async def logout_everywhere(request: Request) -> JSONResponse:
    """Ends every session of the logged-in user, in every browser."""
    session = get_session(request)
    user = session.user_id
    if user is None:
        return JSONResponse({"detail": "log in first"}, status_code=401)
    ended = await get_session_manager(request).revoke_user(user)
    session.logout()  # this one was among them: nothing more is written to it
    return JSONResponse({"ended": ended})


async def metadata(request: Request) -> JSONResponse:
    """When this session began, was last written and will end."""
    session = get_session(request)
    meta = session.metadata
    return JSONResponse(
        {
            "created": meta.created.isoformat(),
            "last_seen": meta.last_seen.isoformat(),
            "expires": meta.expires.isoformat(),
            "is_new": session.is_new,
        }
    )


def create_app(settings: SessionSettings | None = None) -> Starlette:
    """The example app; *settings* default to the memory backend and ``SESSION_*``."""
    settings = settings or SessionSettings.development(backend="memory")
    routes = [
        Route("/", home),
        Route("/login", login, methods=["POST"]),
        Route("/cart", add_to_cart, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/logout-everywhere", logout_everywhere, methods=["POST"]),
        Route("/session", metadata),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, settings)])


def main() -> None:
    """Serve the example with uvicorn."""
    parser = argparse.ArgumentParser(description="satchel-starlette Starlette example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    app = create_app()
    print(f"satchel Starlette example: open http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
