"""Why was a session refused? satchel says so at DEBUG level, on the "satchel"
logger: the reason only, never the cookie or a secret."""

import asyncio
import io
import logging

from satchel import SessionManager, SessionSettings, generate_key

log = io.StringIO()  # or logging.basicConfig(), or your server's logging config
handler = logging.StreamHandler(log)
handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
logging.getLogger("satchel").addHandler(handler)
logging.getLogger("satchel").setLevel(logging.DEBUG)  # unset: WARNING and up

manager = SessionManager(SessionSettings(secret_key=generate_key()))


async def main() -> None:
    session = await manager.load("session=forged.or.expired")
    assert dict(session) == {}  # a fresh session, and no exception
    assert session.is_new
    print(log.getvalue(), end="")  # DEBUG satchel: session refused, starting fresh: ...
    assert "session refused, starting fresh" in log.getvalue()
    assert "forged.or.expired" not in log.getvalue()


asyncio.run(main())
