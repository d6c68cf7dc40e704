"""Starlette's `Request`, `WebSocket` and `HTTPConnection`, with ``session`` typed as
`satchel.Session`: annotate a handler's parameter with them and mypy checks
``request.session.login(...)``. At run time they *are* Starlette's classes (nothing is
wrapped, nothing costs), so Starlette and FastAPI treat them as their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import starlette.requests
import starlette.websockets

if TYPE_CHECKING:
    from satchel import Session

    class HTTPConnection(starlette.requests.HTTPConnection):
        """Starlette's `HTTPConnection`, its ``session`` a `satchel.Session`."""

        @property
        def session(self) -> Session:
            """The connection's session (`SessionMiddleware` must be installed)."""
            ...

    class Request(starlette.requests.Request):
        """Starlette's `Request`, its ``session`` a `satchel.Session`."""

        @property
        def session(self) -> Session:
            """The request's session (`SessionMiddleware` must be installed)."""
            ...

    class WebSocket(starlette.websockets.WebSocket):
        """Starlette's `WebSocket`, its ``session`` a `satchel.Session`."""

        @property
        def session(self) -> Session:
            """The connection's session (`SessionMiddleware` must be installed)."""
            ...

else:
    HTTPConnection = starlette.requests.HTTPConnection
    Request = starlette.requests.Request
    WebSocket = starlette.websockets.WebSocket
