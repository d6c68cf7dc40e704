"""A cookie whose name only looks like ``__Host-session`` is never the session, in Chromium.

No prefix rule guards ``\\xa0__Host-session``: Chromium takes it from ``document.cookie``
(or from a sibling host, with a Domain) without Secure, and sends its name as UTF-8.
A framework that decodes the Cookie header as UTF-8 hands satchel ``"\\xa0__Host-..."``;
trimming the name as ``str.strip()`` does would read it as ``__Host-session`` and log the
victim into the attacker's session, or, beside the victim's own, lock them out as a
duplicate. Only SP and HTAB are cookie whitespace (RFC 6265).

The app here is a bare ASGI function served by uvicorn in a thread: ``/login?user=`` logs
in, ``/whoami`` answers who is logged in, reading the Cookie header as UTF-8 text
(``utf-8``) or handing satchel the raw ASGI headers as the adapters do (``asgi``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest
from support import make_settings

from satchel import SessionManager

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = "__Host-session"
TOSSED = "\xa0" + NAME


def _app(manager: SessionManager) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        query = parse_qs(scope["query_string"].decode())
        if query.get("source") == ["asgi"]:
            cookies: Any = scope["headers"]
        else:
            found = [v.decode("utf-8") for k, v in scope["headers"] if k == b"cookie"]
            cookies = "; ".join(found) or None
        session = await manager.load(cookies)
        if scope["path"] == "/login":
            session["user"] = query["user"][0]
        body = json.dumps({"user": session.get("user")}).encode()
        headers = await manager.commit_headers(session, [(b"content-type", b"application/json")])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """The app on a free loopback port (a secure context for Chromium, as __Host- needs)."""
    import uvicorn

    manager = SessionManager(make_settings(cookie_name=NAME, cookie_secure=True))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        _app(manager), host="127.0.0.1", port=port, lifespan="off", ws="none", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _who(context: BrowserContext, url: str, path: str) -> Any:
    page = context.pages[0] if context.pages else context.new_page()
    response = page.goto(url + path)
    assert response is not None
    return response.json()["user"]


def _toss(context: BrowserContext, url: str, value: str) -> None:
    """What a script (or a sibling host) may do: set ``\\xa0__Host-session`` without Secure."""
    page = context.pages[0]
    page.goto(url + "/whoami")
    page.evaluate(
        "([name, value]) => { document.cookie = `${name}=${value}; path=/`; }", [TOSSED, value]
    )
    assert TOSSED in {c["name"] for c in context.cookies(url)}


@pytest.mark.parametrize("source", ["utf-8", "asgi"])
def test_a_tossed_nbsp_host_cookie_is_neither_the_session_nor_a_duplicate(
    browser: Any, url: str, source: str
) -> None:
    attacker = browser.new_context()
    victim = browser.new_context()
    try:
        assert _who(attacker, url, f"/login?user=mallory&source={source}") == "mallory"
        [planted] = [c["value"] for c in attacker.cookies(url) if c["name"] == NAME]

        # a victim with no session of their own is not logged into the attacker's
        assert _who(victim, url, f"/whoami?source={source}") is None
        _toss(victim, url, planted)
        assert _who(victim, url, f"/whoami?source={source}") is None

        # a logged-in victim stays logged in: the tossed cookie is no duplicate of theirs
        assert _who(victim, url, f"/login?user=alice&source={source}") == "alice"
        assert {c["name"] for c in victim.cookies(url)} == {NAME, TOSSED}
        assert _who(victim, url, f"/whoami?source={source}") == "alice"
    finally:
        attacker.close()
        victim.close()
