"""What changed for an app that used Starlette's SessionMiddleware, checked."""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.middleware import Middleware
from starlette.routing import Route

from satchel import generate_key
from satchel.errors import ConfigurationError

os.environ["SESSION_SECRET_KEY"] = secret = generate_key()

from migrate_starlette import app, home  # its middleware reads SESSION_SECRET_KEY

from satchel_starlette import SessionMiddleware


def starlette_cookie(data: dict[str, object], secret: str) -> str:
    """The cookie Starlette's SessionMiddleware sends for *data*: base64 JSON and a time,
    signed by itsdangerous' TimestampSigner (HMAC-SHA1, the key a SHA-1 of the secret)."""

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signed_at = b64(int(time.time()).to_bytes(4, "big"))
    value = base64.b64encode(json.dumps(data).encode()) + b"." + signed_at
    key = hashlib.sha1(b"itsdangerous.Signersigner" + secret.encode()).digest()  # noqa: S324
    return (value + b"." + b64(hmac.new(key, value, hashlib.sha1).digest())).decode()


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
        first = await client.get("/")
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("sid=")
        assert all(part in cookie for part in ("Max-Age=3600", "HttpOnly", "SameSite=Strict"))
        assert first.headers["vary"] == "Cookie"
        assert first.headers["cache-control"] == "private"

        await client.post("/cart")
        await client.post("/cart")
        profile = await client.get("/profile")
        assert profile.json() == {"visits": 1, "cart": ["pear", "pear"]}
        assert "set-cookie" not in profile.headers  # only read: nothing sent

        bye = await client.post("/logout")
        assert "Max-Age=0" in bye.headers["set-cookie"]
        assert (await client.get("/")).text == "1"

    # A cookie Starlette's middleware made, under the very same secret, is not read:
    # each user starts one fresh session after the switch (and nobody gets an error).
    async with browser(app) as client:
        old = starlette_cookie({"visits": 41}, secret)
        assert (await client.get("/", headers={"cookie": f"sid={old}"})).text == "1"

    # secret_key= takes a str or Starlette's Secret as before; max_age=None is still a
    # cookie that ends with the browser (the server ends the session after 14 days).
    kept = Middleware(SessionMiddleware, secret_key=Secret(generate_key()), max_age=None)
    async with browser(Starlette(routes=[Route("/", home)], middleware=[kept])) as client:
        cookie = (await client.get("/")).headers["set-cookie"]
        assert "Max-Age" not in cookie
        assert "Expires" not in cookie

    # A secret shorter than 32 bytes (Starlette signed with any) stops the app at
    # start-up: its lifespan startup fails with the reason, so uvicorn exits, never serves.
    weak = "a placeholder"
    refused = Starlette(middleware=[Middleware(SessionMiddleware, secret_key=weak)])
    assert await start_up(refused) == {
        "type": "lifespan.startup.failed",
        "message": "ConfigurationError: secret_key must be at least 32 bytes: "
        "generate one with `satchel keygen`",
    }
    async with browser(refused) as client:  # served without a lifespan: a 500, never a session
        assert (await client.get("/")).status_code == 500


asyncio.run(main())
