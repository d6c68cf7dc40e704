"""satchel-starlette example: a FastAPI app with sessions in Redis.

    python examples/fastapi/app.py          # http://127.0.0.1:8000/docs to try it

It counts visits, logs in under a new session id, keeps a cart as a typed model,
carries flash messages, shows the session's metadata, and logs out here or
everywhere (every session of the user, on every device). Sessions live in Redis
at SESSION_REDIS_URL, or redis://127.0.0.1:6379/0 when that is unset. Without
SESSION_SECRET_KEY a development key is generated (with a warning) and sessions
end when the process restarts; ``satchel keygen --env`` makes a real one.
"""

from __future__ import annotations

import argparse
import os
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.middleware import Middleware

from satchel import SessionSettings
from satchel_starlette import SessionMiddleware, get_session_manager
from satchel_starlette.fastapi import SessionDep, SessionModel

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class Cart(BaseModel):
    """The session's cart, validated on every request that uses it."""

    items: list[str] = []


class Login(BaseModel):
    name: str = Field(min_length=1, max_length=40)


class Item(BaseModel):
    item: str = Field(min_length=1, max_length=40)


CartDep = Annotated[Cart, SessionModel(Cart)]


def default_settings() -> SessionSettings:
    """Redis at SESSION_REDIS_URL (else the local default), other SESSION_* variables as
    set; a generated development key when no secret is configured."""
    redis_url = os.environ.get("SESSION_REDIS_URL", DEFAULT_REDIS_URL)
    return SessionSettings.development(backend="redis", redis_url=redis_url)


def create_app(settings: SessionSettings | None = None) -> FastAPI:
    """The example app; *settings* default to `default_settings`."""
    app = FastAPI(
        title="satchel-starlette example",
        middleware=[Middleware(SessionMiddleware, settings or default_settings())],
    )

    @app.get("/")
    async def home(session: SessionDep, cart: CartDep) -> dict[str, Any]:
        """Counts this visit and takes the flash messages waiting for it."""
        session["visits"] = session.get("visits", 0) + 1
        flashes = [[f.category, f.message] for f in session.pop_flashes()]
        return {
            "visits": session["visits"],
            "user": session.user_id,
            "cart": cart.items,
            "flashes": flashes,
        }

    @app.post("/login")
    async def login(body: Login, session: SessionDep) -> dict[str, Any]:
        """Logs in under a new session id (no fixation), keeping the cart."""
        session.login(body.name)
        session.flash(f"Welcome, {body.name}!")
        return {"user": body.name}

    @app.post("/cart")
    async def add_to_cart(body: Item, cart: CartDep) -> dict[str, Any]:
        """Adds an item; the model is written back into the session."""
        cart.items.append(body.item)
        return {"cart": cart.items}

    @app.post("/logout")
    async def logout(session: SessionDep) -> dict[str, Any]:
        """Ends this session."""
        session.logout()
        session.flash("You are logged out.")
        return {"ok": True}

    @app.post("/logout-everywhere")
    async def logout_everywhere(request: Request, session: SessionDep) -> dict[str, Any]:
        """Ends every session of the logged-in user, on every device."""
        user = session.user_id
        if user is None:
            raise HTTPException(status_code=401, detail="log in first")
        ended = await get_session_manager(request).revoke_user(user)
        session.logout()  # this one was among them: nothing more is written to it
        return {"ended": ended}

    @app.get("/session")
    async def metadata(session: SessionDep) -> dict[str, Any]:
        """When this session began, was last written and will end."""
        meta = session.metadata
        return {
            "created": meta.created.isoformat(),
            "last_seen": meta.last_seen.isoformat(),
            "expires": meta.expires.isoformat(),
            "is_new": session.is_new,
        }

    return app


def main() -> None:
    """Serve the example with uvicorn."""
    parser = argparse.ArgumentParser(description="satchel-starlette FastAPI example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    app = create_app()
    print(f"satchel FastAPI example: open http://{args.host}:{args.port}/docs", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
