"""Try the FastAPI app without a server: httpx speaks ASGI and keeps cookies as a browser does."""

import asyncio

import httpx
from quickstart_fastapi import app


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as browser:
        empty = await browser.get("/cart")
        assert empty.json() == {"items": []}
        assert "set-cookie" not in empty.headers  # a model built from defaults, only read

        for item in ("pear", "fig", "plum"):
            added = await browser.post(f"/cart/{item}")
            assert added.status_code == 200
            assert "set-cookie" in added.headers
        refused = await browser.post("/cart/kiwi")
        assert refused.status_code == 409
        assert "set-cookie" not in refused.headers  # the endpoint raised: the model is dropped

        cart = await browser.get("/cart")
        assert cart.json() == {"items": ["pear", "fig", "plum"]}
        assert "set-cookie" not in cart.headers

        assert (await browser.get("/messages")).json() == ["pear added", "fig added", "plum added"]
        assert (await browser.get("/messages")).json() == []

        anonymous = browser.cookies["session"]
        assert (await browser.post("/login")).json() == {"user": "alice"}
        assert browser.cookies["session"] != anonymous  # re-issued for the new identity
        assert (await browser.get("/cart")).json() == {"items": ["pear", "fig", "plum"]}

        response = await browser.post("/logout")
        assert response.json() == {"user": None}
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert (await browser.get("/cart")).json() == {"items": []}


asyncio.run(main())
