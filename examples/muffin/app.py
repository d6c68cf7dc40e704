"""satchel-muffin example: the shop on Muffin 3, plus a page only logged-in users see.

    python examples/muffin/app.py                 # http://127.0.0.1:8000
    python examples/demo.py --framework muffin    # the same, with a key kept on disk

The plugin (muffin-session's API) auto-manages the session: ``request.session`` is
loaded before each view and saved into the response, returned or raised; views
annotated with ``satchel_muffin.Request`` have it typed as a ``satchel.Session``. Settings
come from ``SESSION_*`` variables (signed cookies by default); without
SESSION_SECRET_KEY a key is generated with a warning, and everyone is logged out
when the process restarts (``satchel keygen --env`` makes one to keep). Invalid
settings (a short secret, an unknown backend, a misspelled ``SESSION_*`` or
``MUFFIN_SESSION_*`` variable) stop it from starting with a ConfigurationError that
names them. The pages live in examples/common/shop.py; this file only routes.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))  # shop.py, the pages

import muffin
from shop import Reply, Shop, run

from satchel import SessionSettings, SessionTooLarge
from satchel_muffin import Plugin, Request


def respond(reply: Reply) -> muffin.Response:
    """*reply* as a Muffin response."""
    if reply.location is not None:
        return muffin.ResponseRedirect(reply.location, status_code=reply.status)
    return muffin.ResponseHTML(reply.html, status_code=reply.status)


def create_app(settings: SessionSettings) -> muffin.Application:
    """The example app, its sessions configured by *settings*."""
    app = muffin.Application()
    session = Plugin(app, settings, auto_manage=True)
    shop = Shop("Muffin", session.settings)

    @app.route("/", methods="GET")
    async def home(request: Request) -> muffin.Response:
        return respond(shop.home(request.session))

    @app.route("/login", methods="POST")
    async def login(request: Request) -> muffin.Response:
        return respond(shop.login(request.session, await request.form()))

    @app.route("/logout", methods="POST")
    async def logout(request: Request) -> muffin.Response:
        return respond(shop.logout(request.session))

    @app.route("/bye", methods="GET")
    async def bye(request: Request) -> muffin.Response:
        return respond(shop.bye())

    @app.route("/cart", methods="GET")
    async def cart(request: Request) -> muffin.Response:
        return respond(shop.cart(request.session, request.headers.get("cookie")))

    @app.route("/cart", methods="POST")
    async def add_to_cart(request: Request) -> muffin.Response:
        return respond(shop.add_to_cart(request.session, await request.form()))

    @app.route("/session", methods="GET")
    async def metadata(request: Request) -> muffin.Response:
        return respond(shop.metadata(request.session, request.headers.get("cookie")))

    @app.route("/private", methods="GET")
    @session.user_pass(location="/")  # a 307 to / unless someone is logged in
    async def private(request: Request) -> muffin.Response:
        user = html.escape(str(await session.load_user(request)))
        return respond(shop.page("Private", f"<p>Only logged-in users see this, {user}.</p>"))

    async def too_large(request: Request, error: SessionTooLarge) -> muffin.Response:
        """The session did not fit its cookies, so it was not saved: the 413 page."""
        return respond(shop.too_large(request.session, error))

    app.on_error(SessionTooLarge)(too_large)
    return app


app = create_app(SessionSettings.development())

if __name__ == "__main__":
    run(app, "satchel-muffin example")
