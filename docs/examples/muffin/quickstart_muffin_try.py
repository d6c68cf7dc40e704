"""Try the app without a server: httpx speaks ASGI and keeps cookies as a browser does."""

import asyncio

import httpx
from quickstart_muffin import app


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as browser:
        assert (await browser.get("/")).text == "visits: 1, user: None."
        assert (await browser.get("/admin")).headers["location"] == "/"

        page = await browser.post("/login", data={"name": "alice"}, follow_redirects=True)
        assert page.text == "visits: 2, user: alice. Welcome!"
        assert (await browser.get("/admin")).text == "Hello, alice."

        page = await browser.post("/logout", follow_redirects=True)
        assert page.text == "visits: 1, user: None."


asyncio.run(main())
