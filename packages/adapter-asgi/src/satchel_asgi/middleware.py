"""`SessionMiddleware`: satchel sessions for any ASGI application.

The middleware only translates: it hands the request's Cookie header to the
engine and adds whatever the engine commits to the response start. Every
decision (decoding, expiry, whether to write, which headers) is the engine's.
`SessionMiddleware`'s docstring states the rule for an application that raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar

from satchel import (
    BackendUnavailable,
    Cookies,
    Session,
    SessionManager,
    SessionOptions,
    SessionSettings,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

Scope = MutableMapping[str, Any]
"""An ASGI connection scope (these aliases are Starlette's)."""
Message = MutableMapping[str, Any]
"""An ASGI event message."""
Receive = Callable[[], Awaitable[Message]]
"""An ASGI receive callable."""
Send = Callable[[Message], Awaitable[None]]
"""An ASGI send callable."""
ASGIApp = Callable[[Scope, Receive, Callable[[Any], Awaitable[None]]], Awaitable[None]]
"""An ASGI application. The send it is given is typed loosely enough that
asgi-tools applications, whose send takes any Mapping, fit as well as Starlette's."""

SessionType = Literal["base64", "jwt", "fernet"]
"""asgi-sessions' ``session_type`` values (satchel's own names go in ``backend``)."""
SameSite = Literal["lax", "strict", "none", "Lax", "Strict", "None"]
"""asgi-sessions' ``samesite`` values, in either case."""

_P = ParamSpec("_P")
_M = TypeVar("_M")
_SESSION_TYPES = frozenset({"base64", "jwt", "fernet"})
_STARTS = {"http": "http.response.start", "websocket": "websocket.accept"}
"""The message that starts each kind of response: where the session is committed."""
_UNAVAILABLE_BODY = b"The session store is unavailable; please try again shortly.\n"
_UNAVAILABLE_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_UNAVAILABLE_BODY)).encode()),
    (b"retry-after", b"5"),
    (b"cache-control", b"no-store"),
]


async def _dropped() -> None:
    """What sending a message of a response that was replaced does: nothing."""


async def service_unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    """The default answer when the session store is down: a 503 (HTTP) or close
    code 1013, "try again later" (WebSocket)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1013})
        return
    await send({"type": "http.response.start", "status": 503, "headers": _UNAVAILABLE_HEADERS})
    await send({"type": "http.response.body", "body": _UNAVAILABLE_BODY})


def _manager(
    settings: SessionSettings | None,
    manager: SessionManager | None,
    session_type: SessionType | None,
    samesite: SameSite | None,
    secure: bool | None,
    options: dict[str, Any],
) -> SessionManager:
    """The manager the middleware's arguments describe, asgi-sessions' names
    (`session_type`, `samesite`, `secure`, `max_age=0` for a browser-session
    cookie) mapped onto satchel's; `secret_key`, `cookie_name` and `max_age` are
    satchel's names too."""
    if isinstance(settings, str):
        raise TypeError("the second argument is a SessionSettings: pass the secret as secret_key=")
    if manager is not None:
        given = [settings, session_type, samesite, secure, *options.values()]
        if any(value is not None for value in given):
            raise ValueError("manager= already holds the settings; pass no other options")
        return manager
    if session_type is not None:
        if session_type not in _SESSION_TYPES:
            raise ValueError(
                f"unknown session_type {session_type!r}: use 'jwt', 'fernet' or "
                "'base64' (with allow_unsigned=True), or satchel's backend= option"
            )
        if "backend" in options:
            raise ValueError("give session_type or backend, not both")
        options["backend"] = session_type  # the same names in satchel
    if samesite is not None:
        options["cookie_samesite"] = samesite.lower()
    if secure is not None:
        options["cookie_secure"] = secure
    if options.get("max_age") == 0:
        del options["max_age"]
        options["persistent"] = False
    if settings is not None:
        return SessionManager(settings.with_options(**options))
    return SessionManager(SessionSettings(**options))


class SessionMiddleware:
    """Puts a lazy `satchel.Session` at ``scope["session"]`` for HTTP and WebSocket
    scopes and adds what the engine commits to the response.

    Configure it with a `SessionSettings` (the same object every satchel adapter
    takes), with keyword options (satchel's, or asgi-sessions': `secret_key`,
    `session_type`, `cookie_name`, `max_age`, `samesite`, `secure`), or with a
    prebuilt `SessionManager` shared with other parts of the application. With
    none of them it reads ``SESSION_*`` environment variables. The manager is
    built once, here; a request only loads its session from it.

    The response start gets the session's Set-Cookie headers, and ``Vary: Cookie``
    and ``Cache-Control: private`` when the response depends on the session, in a
    new message: the application's message and header list are never changed. A
    WebSocket handshake gets them on ``websocket.accept``; a change made after the
    accept is not saved. When the store is unavailable, `on_unavailable` answers
    (a 503 by default) if no response has started. At lifespan shutdown the
    manager's connections are closed.

    When the application raises: the session is committed when a response start
    is sent, so a change made before it is saved even if the application raises
    afterwards; if the application raises before any response starts, nothing is
    committed and nothing is sent.
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: SessionSettings | None = None,
        *,
        manager: SessionManager | None = None,
        on_unavailable: ASGIApp = service_unavailable,
        session_type: SessionType | None = None,
        samesite: SameSite | None = None,
        secure: bool | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        self.app = app
        self.on_unavailable = on_unavailable
        self.manager = _manager(settings, manager, session_type, samesite, secure, dict(options))
        self.open_session: Callable[[Cookies], Session | None] = self.manager.load_nowait
        """How a request's session is made before the app runs: at once, or (when it
        gives None) awaited from ``manager.load``. A subclass may replace it:
        satchel-starlette's explicit loading uses ``manager.prepare``."""

    @classmethod
    def setup(
        cls: Callable[Concatenate[ASGIApp, _P], _M], *args: _P.args, **options: _P.kwargs
    ) -> Callable[[ASGIApp], _M]:
        """A factory for asgi-tools' ``App.middleware(SessionMiddleware.setup(...))``,
        which then makes ``request.session`` (and ``request["session"]``) the session.

        It takes what the constructor takes after the app (a subclass's setup takes
        what the subclass does); asgi-tools builds the middleware, checking them, as
        it registers it. asgi-tools answers lifespan events itself, so they never
        reach the middleware: with a store backend, pass a `SessionManager` and
        register ``app.on_shutdown(manager.aclose)``.
        """

        def build(app: ASGIApp) -> _M:
            return cls(app, *args, **options)

        return build

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection: a session for HTTP and WebSocket, lifespan watched."""
        kind = scope["type"]
        start = _STARTS.get(kind)
        if start is None:
            if kind == "lifespan":
                send = self._closing(send)
            await self.app(scope, receive, send)
            return
        session = self.open_session(scope["headers"])
        if session is None:
            try:
                session = await self.manager.load(scope["headers"])
            except BackendUnavailable:
                await self.on_unavailable(scope, receive, send)
                return
        scope["session"] = session
        refused = False

        def send_wrapper(message: Message) -> Awaitable[None]:
            # A plain function returning what the app awaits: an untouched request's
            # messages go on without a coroutine of ours each (~130 ns a request).
            if session.accessed and message["type"] == start:

                async def commit() -> None:
                    nonlocal refused
                    try:
                        headers = await self.manager.commit_headers(
                            session, message.get("headers", ())
                        )
                    except BackendUnavailable:
                        refused = True
                        await self.on_unavailable(scope, receive, send)
                        return
                    await send({**message, "headers": headers})

                return commit()
            if refused:
                return _dropped()  # the 503 replaced this response; the rest goes nowhere
            return send(message)

        await self.app(scope, receive, send_wrapper)

    def _closing(self, send: Send) -> Send:
        async def send_wrapper(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.manager.aclose()
            await send(message)

        return send_wrapper
