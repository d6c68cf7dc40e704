"""satchel-asgi example: the shop on asgi-tools.

    python examples/asgi_tools/app.py                 # http://127.0.0.1:8000
    python examples/demo.py --framework asgi-tools    # the same, with a key kept on disk

``SessionMiddleware.setup(settings)`` is the one line asgi-tools needs; the session
is ``request.session``. Settings come from ``SESSION_*`` variables (signed cookies by
default); without SESSION_SECRET_KEY a key is generated with a warning. The pages
live in examples/common/shop.py; this file only routes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))  # shop.py, the pages

from asgi_tools import App, Request, Response, ResponseHTML, ResponseRedirect
from shop import Reply, Shop, run

from satchel import SessionSettings, SessionTooLarge
from satchel_asgi import SessionMiddleware

settings = SessionSettings.development()
shop = Shop("asgi-tools", settings)
app = App()
app.middleware(SessionMiddleware.setup(settings))


def respond(reply: Reply) -> Response:
    """*reply* as an asgi-tools response."""
    if reply.location is not None:
        return ResponseRedirect(reply.location, status_code=reply.status)
    return ResponseHTML(reply.html, status_code=reply.status)


@app.route("/", methods=["GET"])
async def home(request: Request) -> Response:
    return respond(shop.home(request.session))


@app.route("/login", methods=["POST"])
async def login(request: Request) -> Response:
    return respond(shop.login(request.session, await request.form()))


@app.route("/logout", methods=["POST"])
async def logout(request: Request) -> Response:
    return respond(shop.logout(request.session))


@app.route("/bye", methods=["GET"])
async def bye(request: Request) -> Response:
    return respond(shop.bye())


@app.route("/cart", methods=["GET"])
async def cart(request: Request) -> Response:
    return respond(shop.cart(request.session, request.headers.get("cookie")))


@app.route("/cart", methods=["POST"])
async def add_to_cart(request: Request) -> Response:
    return respond(shop.add_to_cart(request.session, await request.form()))


@app.route("/session", methods=["GET"])
async def metadata(request: Request) -> Response:
    return respond(shop.metadata(request.session, request.headers.get("cookie")))


async def too_large(request: Request, error: SessionTooLarge) -> Response:
    """The commit refused a session too large for its cookies: the 413 page, sent
    through the middleware again with the last addition taken back."""
    return respond(shop.too_large(request.session, error))


app.on_error(SessionTooLarge)(too_large)

if __name__ == "__main__":
    run(app, "satchel-asgi example on asgi-tools")
