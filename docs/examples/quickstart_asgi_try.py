"""Try the app without a server: httpx speaks ASGI and keeps cookies as a browser does."""

import asyncio

import httpx
from quickstart_asgi import app


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as browser:
        assert (await browser.get("/")).text == "visits: 1, user: None"
        assert (await browser.get("/")).text == "visits: 2, user: None"
        anonymous = browser.cookies["session"]

        assert (await browser.post("/login")).text == "visits: 2, user: alice"
        assert browser.cookies["session"] != anonymous  # a new session identity

        response = await browser.post("/logout")
        assert response.text == "visits: 0, user: None"
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert "session" not in browser.cookies


asyncio.run(main())
