"""The app the nginx tests proxy to: satchel-starlette with default settings (but the
secret, from SESSION_SECRET_KEY), served by uvicorn.

    POST /grow/{n}   add n random characters to the session; a session that no longer
                     fits its cookies (`SessionTooLarge`) takes them back out: 413.
                     ``?pad=K`` adds a response header line of K bytes (the app's own);
                     /grow/0 writes the same session again (a new identity)
    GET  /state      the session's size and digest, and the Cookie header's size
    POST /logout     session.logout(): the cookie and every chunk expire
"""

from __future__ import annotations

import hashlib
import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from satchel import Session, SessionTooLarge
from satchel_starlette import SessionMiddleware, get_session


class Grown(JSONResponse):
    """The session is committed as this response starts; if it no longer fits its
    cookies, the addition is taken back out and a 413 goes instead, with no cookie."""

    def __init__(self, session: Session, before: str, pad: int) -> None:
        headers = {"x-pad": "p" * (pad - len("x-pad: \r\n"))} if pad else None
        super().__init__({"size": len(session["blob"])}, headers=headers)
        self.session, self.before = session, before

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SessionTooLarge as error:
            self.session["blob"] = self.before
            await JSONResponse({"refused": str(error)}, 413)(scope, receive, send)


async def grow(request: Request) -> Response:
    session = get_session(request)
    before, n = session.get("blob", ""), request.path_params["n"]
    session["blob"] = before + secrets.token_urlsafe(n)[:n]  # random (and not compressed)
    if not n:
        session.regenerate()
    return Grown(session, before, int(request.query_params.get("pad", 0)))


async def state(request: Request) -> Response:
    blob = get_session(request).get("blob", "")
    return JSONResponse(
        {
            "size": len(blob),
            "digest": hashlib.sha256(blob.encode()).hexdigest(),
            "cookie_header": len(request.headers.get("cookie", "")),
        }
    )


async def logout(request: Request) -> Response:
    get_session(request).logout()
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[
        Route("/grow/{n:int}", grow, methods=["POST"]),
        Route("/state", state),
        Route("/logout", logout, methods=["POST"]),
    ],
    middleware=[Middleware(SessionMiddleware)],
)
