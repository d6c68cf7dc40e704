"""satchel-starlette example: the shop on FastAPI, with typed session dependencies.

    python examples/fastapi/app.py                          # http://127.0.0.1:8000
    SESSION_BACKEND=redis python examples/fastapi/app.py    # sessions in Redis
    python examples/demo.py --framework fastapi --backend redis

Endpoints declare what they need: ``session: SessionDep`` (the satchel session) or
``cart: Annotated[Cart, SessionModel(Cart)]`` (the session's cart, validated, and
written back when the endpoint returns). Beyond the shop's pages: ``GET /api/cart``
and ``POST /api/cart/{product}`` (the typed cart in JSON; try them in /docs), and
``POST /logout-everywhere``, which ends every session of the logged-in user on a
store backend. With ``SESSION_BACKEND=redis`` the sessions live in Redis at
SESSION_REDIS_URL, or redis://127.0.0.1:6379/0 when that is unset; the connection
closes with the app. Other settings come from ``SESSION_*`` variables (signed
cookies by default); without SESSION_SECRET_KEY a key is generated with a warning,
and sessions end when the process restarts. A bad setting (a short secret, a
misspelled variable) stops the app at start-up with one line saying why. The pages
live in examples/common/shop.py; this file only routes.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))  # shop.py, the pages

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from shop import PRODUCTS, Cart, CartLine, Reply, Shop, parse_form, run
from starlette.middleware import Middleware
from starlette.types import Receive, Scope, Send

from satchel import Session, SessionSettings, SessionTooLarge
from satchel_starlette import SessionMiddleware, StarletteOptions, get_session_manager
from satchel_starlette.fastapi import SessionDep, SessionModel

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CartDep = Annotated[Cart, SessionModel(Cart)]


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


def redis_default() -> StarletteOptions:
    """Redis on its default URL when ``SESSION_BACKEND=redis`` names none."""
    chosen = os.environ.get("SESSION_BACKEND", "").lower()
    if chosen == "redis" and not os.environ.get("SESSION_REDIS_URL"):
        return {"redis_url": DEFAULT_REDIS_URL}
    return {}


def shop_of(request: Request) -> Shop:
    """The pages, for the settings the middleware was configured with."""
    return Shop("FastAPI", get_session_manager(request).settings)


ShopDep = Annotated[Shop, Depends(shop_of)]


def create_app(settings: SessionSettings | None = None) -> FastAPI:
    """The example app, its sessions configured by *settings*, else by ``SESSION_*``
    variables, which the middleware reads (and checks) as the app starts."""
    # development=True: without SESSION_SECRET_KEY, a generated key (and a warning)
    defaults: StarletteOptions = redis_default() if settings is None else {}
    sessions = Middleware(SessionMiddleware, settings, development=True, **defaults)

    async def not_found(request: Request, exc: Exception) -> Response:
        return HTMLResponse(shop_of(request).not_found().html, status_code=404)

    app = FastAPI(
        title="satchel FastAPI example",
        middleware=[sessions],
        exception_handlers={404: not_found},
    )

    @app.get("/", response_class=HTMLResponse)
    async def home(shop: ShopDep, session: SessionDep) -> Response:
        return Page(shop, session, shop.home(session))

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request, shop: ShopDep, session: SessionDep) -> Response:
        form = parse_form(await request.body())
        return Page(shop, session, shop.login(session, form))

    @app.post("/logout", response_class=HTMLResponse)
    async def logout(shop: ShopDep, session: SessionDep) -> Response:
        return Page(shop, session, shop.logout(session))

    @app.post("/logout-everywhere", response_class=HTMLResponse)
    async def logout_everywhere(request: Request, shop: ShopDep, session: SessionDep) -> Response:
        """End every session of the logged-in user where the backend keeps an index of
        them (memory, redis); a cookie backend can end only this one."""
        manager = get_session_manager(request)
        if manager.can_revoke and session.user_id is not None:
            await manager.revoke_user(session.user_id)
        return Page(shop, session, shop.logout(session))

    @app.get("/bye", response_class=HTMLResponse)
    async def bye(shop: ShopDep) -> Response:
        return HTMLResponse(shop.bye().html)

    @app.get("/cart", response_class=HTMLResponse)
    async def cart(request: Request, shop: ShopDep, session: SessionDep) -> Response:
        return Page(shop, session, shop.cart(session, request.headers.get("cookie")))

    @app.post("/cart", response_class=HTMLResponse)
    async def add_to_cart(request: Request, shop: ShopDep, session: SessionDep) -> Response:
        form = parse_form(await request.body())
        return Page(shop, session, shop.add_to_cart(session, form))

    @app.get("/api/cart")
    async def cart_api(cart: CartDep) -> Cart:
        """The cart as its typed model (data that does not fit it ends the session)."""
        return cart

    @app.post("/api/cart/{product}")
    async def add_one(product: str, cart: CartDep) -> Cart:
        """One more item; the model is written back into the session on return."""
        if product not in PRODUCTS:
            raise HTTPException(status_code=422, detail=f"one of {', '.join(PRODUCTS)}")
        cart.cart.append(CartLine(product=product, reference=secrets.token_urlsafe(16)))
        cart.cart_added = 1
        return cart

    @app.get("/session", response_class=HTMLResponse)
    async def metadata(request: Request, shop: ShopDep, session: SessionDep) -> Response:
        return Page(shop, session, shop.metadata(session, request.headers.get("cookie")))

    return app


app = create_app()

if __name__ == "__main__":
    run(app, "satchel-starlette FastAPI example")
