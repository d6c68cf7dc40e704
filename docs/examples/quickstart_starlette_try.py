"""Try the Starlette app without a server: httpx speaks ASGI and keeps cookies as a browser does."""

import asyncio

import httpx
from quickstart_starlette import app


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as browser:
        first = await browser.get("/")
        assert first.text == "visits: 1"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert first.headers["vary"] == "Cookie"  # and Cache-Control: private, for shared caches
        assert (await browser.get("/")).text == "visits: 2"

        me = await browser.get("/me")
        assert me.text == "visits: 2, user: None"
        assert "set-cookie" not in me.headers  # only read: nothing to write
        anonymous = browser.cookies["session"]

        assert (await browser.post("/login")).text == "visits: 2, user: alice"
        assert browser.cookies["session"] != anonymous  # re-issued for the new identity

        response = await browser.post("/logout")
        assert response.text == "visits: 0, user: None"
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert "session" not in browser.cookies

        # A tampered cookie is a fresh, empty session: never an error in the app.
        tampered = await browser.get("/me", headers={"cookie": f"session={anonymous[:-1]}"})
        assert (tampered.status_code, tampered.text) == (200, "visits: 0, user: None")


asyncio.run(main())
