"""What changed for an asgi-sessions app, checked against the migrated app."""

import asyncio
import os

import httpx
import jwt
from asgi_tools import App

from satchel import ConfigurationError, generate_key

os.environ["SESSION_SECRET_KEY"] = secret = generate_key()

from migrate_asgi_sessions import app  # it reads SESSION_SECRET_KEY

from satchel_asgi import SessionMiddleware


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as browser:
        first = await browser.get("/")
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("sid=")
        assert all(part in cookie for part in ("Max-Age=3600", "HttpOnly", "SameSite=Strict"))

        await browser.post("/profile", json={"name": "alice"})
        await browser.post("/cart")
        await browser.post("/cart")
        whoami = await browser.get("/whoami")
        assert whoami.text == "alice"
        assert "set-cookie" not in whoami.headers
        assert (await browser.get("/")).text == "2"

        # A cookie asgi-sessions made, even with the same secret, is not read: users
        # start a fresh session once. A forged or expired one never becomes a 500.
        browser.cookies.clear()
        browser.cookies.set("sid", jwt.encode({"name": "alice"}, secret, algorithm="HS256"))
        page = await browser.get("/whoami")
        assert (page.status_code, page.text) == (200, "None")

    try:  # asgi-sessions made any unknown session_type an unsigned, forgeable cookie
        App().middleware(SessionMiddleware.setup(session_type="JWT"))
    except ConfigurationError as error:
        message = str(error)
    else:
        raise SystemExit("an unknown session_type was accepted")
    assert message.startswith("session_type='JWT': must be 'signed', 'jwt', 'fernet'")


asyncio.run(main())
