"""The contract's route table as an asgi-tools App, with SessionMiddleware.setup()."""

from __future__ import annotations

import json
from typing import Any

from asgi_tools import App, Request
from contract.apps.asgi import ROUTES

import satchel_asgi
from satchel import SessionManager
from satchel_asgi import SessionMiddleware

ALIASES = satchel_asgi.ALIASES


def build(**options: Any) -> SessionManager:
    """The manager of the middleware asgi-tools builds from ``setup(**options)``."""
    app = App()
    app.middleware(SessionMiddleware.setup(**options))
    middleware = app.lifespan.app  # where asgi-tools binds an ASGI middleware
    assert isinstance(middleware, SessionMiddleware)
    return middleware.manager


def make_app(manager: SessionManager) -> App:
    """An asgi-tools App serving the contract routes, its sessions from *manager*."""
    app = App()
    app.middleware(SessionMiddleware.setup(manager=manager))

    @app.route("/untouched", methods=["GET"])
    async def untouched(request: Request) -> dict[str, Any]:
        return {"ok": True}

    for (method, path), handler in ROUTES.items():

        async def endpoint(request: Request, handler: Any = handler) -> dict[str, Any]:
            raw = await request.body()
            result: dict[str, Any] = handler(request.session, json.loads(raw) if raw else {})
            return result

        app.route(path, methods=[method])(endpoint)
    return app
