"""What changed for a muffin-session app, checked against the migrated app."""

import asyncio
import os

import httpx
import jwt
import muffin

from satchel import generate_key

os.environ["SESSION_SECRET_KEY"] = secret = generate_key()

from migrate_muffin_session import app  # it reads SESSION_SECRET_KEY

from satchel_muffin import ConfigurationError, Plugin


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as browser:
        first = await browser.get("/")
        assert first.text == "1 visits, user: None"
        assert all(part in first.headers["set-cookie"] for part in ("Path=/", "SameSite=Strict"))
        assert "HttpOnly" in first.headers["set-cookie"]  # muffin-session never set it

        page = await browser.post("/login", data={"name": "alice"}, follow_redirects=True)
        assert page.text == "2 visits, user: Alice, an admin"
        assert (await browser.get("/admin")).text == "TOP SECRET"

        # logout ends the whole session (muffin-session only deleted the user id)
        page = await browser.post("/logout", follow_redirects=True)
        assert page.text == "1 visits, user: None"
        assert (await browser.get("/admin")).headers["location"] == "/"

        # muffin-session's cookies (a JWT of the data, user id under "id") are not read:
        # users log in again once. Nor does a crafted one become a 500.
        browser.cookies.clear()
        browser.cookies.set("session", jwt.encode({"id": "alice"}, secret, algorithm="HS256"))
        page = await browser.get("/")
        assert (page.status_code, page.text) == (200, "1 visits, user: None")

    # Every bad option is one satchel.errors.ConfigurationError (satchel_muffin's is the
    # same class), raised by setup so the app does not start, naming the option as given.
    try:  # muffin-session only warned about its default secret
        Plugin(muffin.Application(), secret_key="InsecureSecret")  # noqa: S106
    except ConfigurationError as error:
        weak = str(error)
    else:
        raise SystemExit("a weak secret was accepted")
    assert weak == "secret_key must be at least 32 bytes: generate one with `satchel keygen`"
    try:  # muffin-session dropped a misspelled option without a word
        Plugin(muffin.Application(), secret=secret)  # type: ignore[call-arg]
    except ConfigurationError as error:
        misspelled = str(error)
    else:
        raise SystemExit("a misspelled option was accepted")
    assert misspelled.endswith("'secret' in the options; did you mean 'secret_key'?")


asyncio.run(main())
