"""satchel-asgi example: the shop on bare ASGI, no framework, routed by hand.

    python examples/asgi/app.py                  # http://127.0.0.1:8000
    python examples/demo.py --framework asgi     # the same, with a key kept on disk

Sessions come from ``SESSION_*`` variables (signed cookies by default). Without
SESSION_SECRET_KEY a key is generated with a warning, and sessions end when the
process restarts. The pages live in examples/common/shop.py; this file only routes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))  # shop.py, the pages

from shop import Reply, Shop, parse_form, run

from satchel import Session, SessionSettings, SessionTooLarge
from satchel_asgi import Receive, Scope, Send, SessionMiddleware

settings = SessionSettings.development()
shop = Shop("bare ASGI", settings)


async def pages(scope: Scope, receive: Receive, send: Send) -> None:
    """The application inside the middleware: ``scope["session"]`` is the session."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    session: Session = scope["session"]
    reply = await route(scope, receive, session)
    try:
        await respond(send, reply)  # the middleware commits the session here
    except SessionTooLarge as error:
        await respond(send, shop.too_large(session, error))


async def route(scope: Scope, receive: Receive, session: Session) -> Reply:
    """The page for this method and path."""
    method, path = scope["method"], scope["path"]
    if method == "GET":
        if path == "/":
            return shop.home(session)
        if path == "/bye":
            return shop.bye()
        if path == "/cart":
            return shop.cart(session, cookie_header(scope))
        if path == "/session":
            return shop.metadata(session, cookie_header(scope))
    elif method == "POST":
        form = parse_form(await read_body(receive))
        if path == "/login":
            return shop.login(session, form)
        if path == "/logout":
            return shop.logout(session)
        if path == "/cart":
            return shop.add_to_cart(session, form)
    return shop.not_found()


async def respond(send: Send, reply: Reply) -> None:
    """Send *reply* as an HTML page or a redirect."""
    body = reply.html.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    if reply.location is not None:
        headers.append((b"location", reply.location.encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def cookie_header(scope: Scope) -> str | None:
    """The request's Cookie header(s), joined as HTTP/2 allows."""
    found = [value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"]
    return "; ".join(found) if found else None


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if not message.get("more_body"):
            return body


async def lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start; the middleware closes the session store at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


app = SessionMiddleware(pages, settings)

if __name__ == "__main__":
    run(app, "satchel-asgi example")
