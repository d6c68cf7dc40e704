"""The contract's route table as a Starlette app, sessions by satchel-starlette."""

from __future__ import annotations

from typing import Any

from contract.apps.asgi import ROUTES, Handler
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import satchel_starlette
from satchel import SessionManager
from satchel_starlette import SessionMiddleware, get_session


def _endpoint(handler: Handler) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else {}
        return JSONResponse(handler(get_session(request), body))

    return endpoint


async def untouched(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


ALIASES = satchel_starlette.ALIASES


def built_manager(app: Starlette) -> SessionManager:
    """The manager of the satchel middleware Starlette builds for *app* (as on its first
    request), raising the ConfigurationError the middleware refuses to start with."""
    layer: Any = app.build_middleware_stack()
    while not isinstance(layer, SessionMiddleware):
        layer = layer.app
    if layer.error is not None:
        raise layer.error
    return layer.manager


def build(**options: Any) -> SessionManager:
    """The manager satchel-starlette builds from *options* in a Starlette app."""
    return built_manager(Starlette(middleware=[Middleware(SessionMiddleware, **options)]))


def make_app(manager: SessionManager) -> Starlette:
    """A Starlette app serving the contract routes, its sessions from *manager*."""
    routes = [Route("/untouched", untouched, methods=["GET"])]
    routes += [
        Route(path, _endpoint(handler), methods=[method])
        for (method, path), handler in ROUTES.items()
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, manager=manager)])
