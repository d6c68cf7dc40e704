"""`SessionMiddleware`: satchel sessions for any ASGI application.

The same as the engine's load and commit, but from an ASGI scope: the request's
Cookie headers go to `SessionManager.load`, and what `commit_headers` returns goes
on the response start. Configuration is `satchel.configure`'s, with asgi-sessions'
option names as aliases; the answers when a session cannot be served are core's.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar

from satchel import BackendUnavailable, SessionManager, SessionOptions, SessionSettings
from satchel.answers import UNAVAILABLE, Answer, log_unavailable
from satchel.asgi import guard, send_answer
from satchel.config import configure
from satchel.settings import SameSite

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


class ASGIOptions(SessionOptions, total=False):
    """Keyword options of `SessionMiddleware`: satchel's and asgi-sessions' names."""

    session_type: SessionType
    samesite: SameSite
    secure: bool


ALIASES = {"session_type": "backend", "samesite": "cookie_samesite", "secure": "cookie_secure"}
"""asgi-sessions' option names, each with the satchel option it sets."""

_P = ParamSpec("_P")
_M = TypeVar("_M")
_STARTS = {"http": "http.response.start", "websocket": "websocket.accept"}
"""The message that starts each kind of response: where the session is committed."""


async def _dropped() -> None:
    """What sending a message of a response that was replaced does: nothing."""


class SessionMiddleware:
    """A lazy `satchel.Session` at ``scope["session"]`` (HTTP and WebSocket), committed
    into a new response-start message (``websocket.accept`` for a WebSocket).

    Options are `satchel.configure`'s: a `SessionSettings`, keyword options (satchel's
    or asgi-sessions'), or ``manager=``; else ``SESSION_*`` variables. A store that is
    down (in the middleware or the app) gets *unavailable* if no response has started.
    A change made before the response starts is saved even if the app raises
    afterwards; nothing is committed if it raises before. Lifespan shutdown closes the
    store.
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: SessionSettings | None = None,
        *,
        manager: SessionManager | None = None,
        unavailable: Answer = UNAVAILABLE,
        **options: Unpack[ASGIOptions],
    ) -> None:
        self.app = app
        self.unavailable = unavailable
        self.manager = configure(options, aliases=ALIASES, settings=settings, manager=manager)
        self.open_session = self.manager.load_nowait
        """Makes a request's session, or gives None to await ``manager.load``."""
        stored = self.open_session(()) is None  # the app may find the store down too
        self.run: ASGIApp = functools.partial(guard, app, unavailable) if stored else app
        """The application, guarded against a store outage it raises where there is a store."""

    @classmethod
    def setup(
        cls: Callable[Concatenate[ASGIApp, _P], _M], *args: _P.args, **options: _P.kwargs
    ) -> Callable[[ASGIApp], _M]:
        """For asgi-tools' ``App.middleware(SessionMiddleware.setup(...))``, which builds
        (so checks) it at once. asgi-tools keeps lifespan events: with a store, pass a
        `SessionManager` and register ``app.on_shutdown(manager.aclose)``."""
        return lambda app: cls(app, *args, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection: a session for HTTP and WebSocket, lifespan watched."""
        start = _STARTS.get(scope["type"])
        if start is None:
            await self.app(
                scope, receive, self._closing(send) if scope["type"] == "lifespan" else send
            )
            return
        session = self.open_session(scope["headers"])
        try:
            if session is None:
                session = await self.manager.load(scope["headers"])
        except BackendUnavailable as error:
            log_unavailable(error)
            await send_answer(self.unavailable, scope, send)
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
                    except BackendUnavailable as error:
                        refused = True
                        log_unavailable(error)
                        await send_answer(self.unavailable, scope, send)
                        return
                    await send({**message, "headers": headers})

                return commit()
            return _dropped() if refused else send(message)

        await self.run(scope, receive, send_wrapper)

    def _closing(self, send: Send) -> Send:
        async def send_wrapper(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.manager.aclose()
            await send(message)

        return send_wrapper
