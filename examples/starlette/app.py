"""satchel-starlette example: the shop on plain Starlette.

    python examples/starlette/app.py                    # http://127.0.0.1:8000
    python examples/demo.py --framework starlette --backend memory

``request.session`` is the satchel session (`get_session` gives it typed). Beyond
the shop's pages: ``GET /api/cart`` gives the cart as its typed model in JSON, and
``POST /logout-everywhere`` ends every session of the logged-in user, which the
store backends can do (``SESSION_BACKEND=memory`` or ``redis``). Settings come from
``SESSION_*`` variables (signed cookies by default); without SESSION_SECRET_KEY a
key is generated with a warning, and sessions end when the process restarts. A bad
setting (a short secret, a misspelled variable) stops the app at start-up with one
line saying why. The pages live in examples/common/shop.py; this file only routes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))  # shop.py, the pages

from shop import Cart, Reply, Shop, parse_form, run
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from satchel import Session, SessionSettings, SessionTooLarge
from satchel_starlette import SessionMiddleware, get_session, get_session_manager


class Page(HTMLResponse):
    """A shop reply. The session is committed as it starts; if it no longer fits its
    cookies (`SessionTooLarge`, before anything was sent), the 413 page goes instead."""

    def __init__(self, shop: Shop, session: Session, reply: Reply) -> None:
        headers = None if reply.location is None else {"location": reply.location}
        super().__init__(reply.html, status_code=reply.status, headers=headers)
        self.shop, self.session = shop, session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SessionTooLarge as error:
            refused = self.shop.too_large(self.session, error)
            await HTMLResponse(refused.html, refused.status)(scope, receive, send)


def create_app(settings: SessionSettings | None = None) -> Starlette:
    """The example app, its sessions configured by *settings*, else by ``SESSION_*``
    variables, which the middleware reads (and checks) as the app starts."""

    def visit(request: Request) -> tuple[Shop, Session]:
        """The pages (for the middleware's settings) and the session of *request*."""
        return Shop("Starlette", get_session_manager(request).settings), get_session(request)

    async def home(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.home(session))

    async def login(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.login(session, parse_form(await request.body())))

    async def logout(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.logout(session))

    async def logout_everywhere(request: Request) -> Response:
        """End every session of the logged-in user where the backend keeps an index of
        them (memory, redis); a cookie backend can end only this one."""
        (shop, session), manager = visit(request), get_session_manager(request)
        if manager.can_revoke and session.user_id is not None:
            await manager.revoke_user(session.user_id)
        return Page(shop, session, shop.logout(session))

    async def bye(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.bye())

    async def cart(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.cart(session, request.headers.get("cookie")))

    async def add_to_cart(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.add_to_cart(session, parse_form(await request.body())))

    async def cart_api(request: Request) -> Response:
        """The cart as its typed model, validated (data that does not fit ends the session)."""
        return JSONResponse(get_session(request).as_model(Cart).model_dump(mode="json"))

    async def metadata(request: Request) -> Response:
        shop, session = visit(request)
        return Page(shop, session, shop.metadata(session, request.headers.get("cookie")))

    async def not_found(request: Request, exc: Exception) -> Response:
        shop, _ = visit(request)
        return HTMLResponse(shop.not_found().html, status_code=404)

    routes = [
        Route("/", home),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/logout-everywhere", logout_everywhere, methods=["POST"]),
        Route("/bye", bye),
        Route("/cart", cart),
        Route("/cart", add_to_cart, methods=["POST"]),
        Route("/api/cart", cart_api),
        Route("/session", metadata),
    ]
    return Starlette(
        routes=routes,
        # development=True: without SESSION_SECRET_KEY, a generated key (and a warning)
        middleware=[Middleware(SessionMiddleware, settings, development=True)],
        exception_handlers={404: not_found},
    )


app = create_app()

if __name__ == "__main__":
    run(app, "satchel-starlette example")
