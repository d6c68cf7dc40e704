"""satchel-robyn example: the shop on Robyn, which is not ASGI (its own Rust server).

    python examples/robyn/app.py                   # http://127.0.0.1:8000
    python examples/robyn/app.py --port 8080 --processes 2   # with SESSION_BACKEND=redis

``configure_sessions(app)`` puts a satchel session on ``request.session`` in every
handler and middleware (`get_session` gives it typed). Settings come from
``SESSION_*`` variables (signed cookies by default); without SESSION_SECRET_KEY a
key is generated with a warning, and sessions end when the process restarts. A bad
setting (a short secret, a misspelled variable) stops the app before it serves, with
a ConfigurationError saying why. Under ``--processes N`` every process must share
the store: the signed cookie backends and Redis do, the memory store cannot. The
pages live in examples/common/shop.py; this file only routes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))  # shop.py, the pages

from robyn import Request, Response, Robyn
from shop import Reply, Shop, parse_form

from satchel import SessionSettings, SessionTooLarge
from satchel_robyn import configure_sessions, get_session


def respond(reply: Reply) -> Response:
    """*reply* as a Robyn response."""
    if reply.location is not None:
        return Response(reply.status, {"location": reply.location}, "")
    return Response(reply.status, {"content-type": "text/html; charset=utf-8"}, reply.html)


def form(request: Request) -> dict[str, str]:
    """*request*'s url-encoded form."""
    body = request.body
    return parse_form(body if isinstance(body, bytes) else body.encode())


def create_app(settings: SessionSettings | None = None) -> Robyn:
    """The example app, its sessions configured by *settings*, else by ``SESSION_*``
    variables (checked here, before anything serves)."""
    app = Robyn(__file__)
    app.config.disable_openapi = True
    sessions = configure_sessions(app, settings or SessionSettings.development())
    shop = Shop("Robyn", sessions.manager.settings)

    def home(request: Request) -> Response:
        return respond(shop.home(get_session(request)))

    def login(request: Request) -> Response:
        return respond(shop.login(get_session(request), form(request)))

    def logout(request: Request) -> Response:
        return respond(shop.logout(get_session(request)))

    def bye(request: Request) -> Response:
        return respond(shop.bye())

    def cart(request: Request) -> Response:
        session, cookies = get_session(request), request.headers.get("cookie")
        return respond(shop.cart(session, cookies))

    async def add_to_cart(request: Request) -> Response:
        """Save the session here, explicitly, to answer a cart that no longer fits its
        cookies with the 413 page (the after-request hook then has nothing left to do)."""
        session = get_session(request)
        response = respond(shop.add_to_cart(session, form(request)))
        try:
            await sessions.save(session, response)
        except SessionTooLarge as error:
            response = respond(shop.too_large(session, error))
            await sessions.save(session, response)
        return response

    def metadata(request: Request) -> Response:
        session, cookies = get_session(request), request.headers.get("cookie")
        return respond(shop.metadata(session, cookies))

    for method, path, handler in [
        ("GET", "/", home),
        ("POST", "/login", login),
        ("POST", "/logout", logout),
        ("GET", "/bye", bye),
        ("GET", "/cart", cart),
        ("POST", "/cart", add_to_cart),
        ("GET", "/session", metadata),
    ]:
        app.add_route(method, path, handler)
    return app


app = create_app()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="satchel-robyn example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args, _ = parser.parse_known_args()  # Robyn reads its own (--processes, --workers)
    print(f"satchel-robyn example: open http://{args.host}:{args.port}/", flush=True)
    app.start(host=args.host, port=args.port, _check_port=False)
