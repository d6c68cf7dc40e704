"""What every adapter does around a request: load from the Cookie header, commit
into Set-Cookie headers."""

import asyncio

from satchel import SessionManager, SessionSettings, generate_key

manager = SessionManager(SessionSettings(secret_key=generate_key()))


async def handle(cookie_header: str | None) -> list[str]:
    session = await manager.load(cookie_header)  # lazy: nothing decoded yet
    session["visits"] = session.get("visits", 0) + 1
    return await manager.commit(session)  # Set-Cookie values, [] if nothing changed


async def main() -> None:
    first = await handle(None)
    cookie = first[0].split(";", 1)[0]  # what the browser sends back
    second = await handle(cookie)
    assert second != first
    session = await manager.load(second[0].split(";", 1)[0])
    assert session["visits"] == 2
    assert await manager.commit(session) == []  # read only: no Set-Cookie


asyncio.run(main())
