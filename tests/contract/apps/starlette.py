"""The contract's route table as a Starlette app, sessions by satchel-starlette."""

from __future__ import annotations

from typing import Any

from contract.apps.asgi import ROUTES, Handler
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from satchel import SessionManager
from satchel_starlette import SessionMiddleware, get_session


def _endpoint(handler: Handler) -> Any:
    async def endpoint(request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else {}
        return JSONResponse(handler(get_session(request), body))

    return endpoint


async def untouched(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def make_app(manager: SessionManager) -> Starlette:
    """A Starlette app serving the contract routes, its sessions from *manager*."""
    routes = [Route("/untouched", untouched, methods=["GET"])]
    routes += [
        Route(path, _endpoint(handler), methods=[method])
        for (method, path), handler in ROUTES.items()
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, manager=manager)])
