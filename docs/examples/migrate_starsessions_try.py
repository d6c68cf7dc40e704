"""What changed for an app that used starsessions, checked against the migrated app."""

import asyncio
import contextlib
import os
from datetime import datetime, timezone
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from satchel import generate_key
from satchel.errors import ConfigurationError

os.environ["SESSION_SECRET_KEY"] = generate_key()

from migrate_starsessions import app, visit  # its store reads SESSION_SECRET_KEY

from satchel_starlette import (
    CookieStore,
    ImproperlyConfigured,
    SessionAutoloadMiddleware,
    SessionMiddleware,
)


def browser(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def start_up(app: Starlette) -> dict[str, Any]:
    """What *app* answers a server's lifespan startup (uvicorn exits unless it is
    ``lifespan.startup.complete``)."""
    answers: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        answers.append(message)

    with contextlib.suppress(ConfigurationError):  # raised after answering, as Starlette does
        await app({"type": "lifespan", "state": {}}, receive, send)
    return answers[0]


async def main() -> None:
    async with browser(app) as client:
        # An id the client chose is never adopted: the session gets one of the server's.
        first = await client.get("/app/visit", headers={"cookie": "sid=attackerchosen123"})
        cookie = first.headers["set-cookie"]
        assert not cookie.startswith("sid=attackerchosen123;")
        assert all(part in cookie for part in ("Max-Age=3600", "HttpOnly", "SameSite=Strict"))
        assert "Secure" not in cookie
        assert (await client.get("/app/visit")).text == "2"
        assert (await client.get("/application")).text == "load_session() first"

        me = await client.get("/whoami")
        assert "set-cookie" not in me.headers  # only read: nothing written, nothing sent
        anonymous, before = client.cookies["sid"], me.json()
        assert before["user"] is None
        assert before["id"] is not None  # the store's id (the cookie carries it signed)
        expires = datetime.fromisoformat(before["expires"]) - datetime.now(timezone.utc)
        assert 3500 < expires.total_seconds() <= 3600

        await client.post("/login")
        after = (await client.get("/whoami")).json()
        assert after["user"] == "alice"
        assert after["id"] != before["id"]

        async with browser(app) as thief:  # the old id was deleted from the store
            replay = await thief.get("/app/visit", headers={"cookie": f"sid={anonymous}"})
            assert replay.text == "1"

        async with browser(app) as laptop:  # alice, signed in on a second device
            await laptop.post("/login")
            assert (await laptop.get("/whoami")).json()["user"] == "alice"
            await client.post("/logout-everywhere")
            assert (await laptop.get("/whoami")).json()["user"] is None

    # lifetime=0 is still a cookie that ends with the browser; CookieStore is the signed
    # backend, and its secret must be 32 bytes or more.
    store = CookieStore(secret_key=os.environ["SESSION_SECRET_KEY"])
    cookie_app = Starlette(
        routes=[Route("/app/visit", visit)],
        middleware=[Middleware(SessionMiddleware, store=store, lifetime=0)],
    )
    async with browser(cookie_app) as client:
        cookie = (await client.get("/app/visit")).headers["set-cookie"]
        assert "Max-Age" not in cookie
        assert "Expires" not in cookie
    # starsessions' README secret, 10 bytes: the app refuses to start (its lifespan
    # startup fails with the reason, so uvicorn exits) instead of serving.
    weak = CookieStore(secret_key="TOP SECRET")  # noqa: S106
    refused = Starlette(middleware=[Middleware(SessionMiddleware, store=weak)])
    answer = await start_up(refused)
    assert answer["type"] == "lifespan.startup.failed"
    assert "secret_key must be at least 32 bytes" in answer["message"]

    # SessionAutoloadMiddleware placed before SessionMiddleware says where it belongs.
    misplaced = Starlette(
        routes=[Route("/app/visit", visit)],
        middleware=[Middleware(SessionAutoloadMiddleware), Middleware(SessionMiddleware)],
    )
    try:
        async with browser(misplaced) as client:
            await client.get("/app/visit")
    except ImproperlyConfigured as error:
        message = str(error)
    else:
        raise SystemExit("a misplaced SessionAutoloadMiddleware went unnoticed")
    assert "place it after satchel_starlette.SessionMiddleware" in message


asyncio.run(main())
