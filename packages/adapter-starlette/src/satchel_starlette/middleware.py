"""`SessionMiddleware` (satchel-asgi's, configured under Starlette's and starsessions'
names) and starsessions' `SessionAutoloadMiddleware`, for Starlette and FastAPI."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Secret

import satchel_asgi
from satchel import Backend, Session, SessionManager, SessionSettings
from satchel.answers import UNAVAILABLE, Answer, log_misconfigured
from satchel.asgi import refuse
from satchel.config import BackendFactory, configure
from satchel.errors import ConfigurationError
from satchel_asgi import ASGIApp, Receive, Scope, Send
from satchel_starlette.options import ALIASES, StarletteOptions
from satchel_starlette.stores import ImproperlyConfigured, Store

if TYPE_CHECKING:
    from typing_extensions import Unpack

    import satchel

MANAGER_KEY = "session_manager"
"""Where the middleware puts its `SessionManager` in the scope (`get_session_manager`)."""

_serve = satchel_asgi.SessionMiddleware.__call__


def _once(named: object, second: Any, name: str) -> Any:
    """*second*, the middleware's second argument, unless *name* is given too."""
    if named is not None:
        raise ConfigurationError(f"{name} is given twice (second argument and {name}=)")
    return second


class SessionMiddleware(satchel_asgi.SessionMiddleware):
    """``request.session`` (and ``websocket.session``) as a `satchel.Session`.

    Options are `satchel.configure`'s, under satchel's, Starlette's or starsessions'
    names; the secret may come second, as in Starlette, or a `Store`, as in
    starsessions; `development` generates a missing secret. Refused settings (kept in
    `error`) fail the lifespan startup, so the server exits; without a lifespan, every
    request gets core's 500. ``autoload=False`` is starsessions' explicit loading
    (``await load_session(request)``). A store that is down gets `unavailable` unless a
    response started; raised in the app, it reaches the app's exception handlers first.
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: SessionSettings | Store | str | Secret | None = None,
        *,
        manager: SessionManager | None = None,
        store: Store | Backend | None = None,
        serializer: satchel.Serializer | None = None,
        autoload: bool = True,
        development: bool = False,
        unavailable: Answer = UNAVAILABLE,
        **options: Unpack[StarletteOptions],
    ) -> None:
        self.error: ConfigurationError | TypeError | None = None
        """Why the settings were refused: not raised, since Starlette builds middleware in
        its first ASGI call, where uvicorn would take it as "no lifespan" and serve."""
        given: dict[str, Any] = dict(options)
        try:
            if isinstance(settings, Store):
                settings, store = None, _once(store, settings, "store")
            elif isinstance(settings, str | Secret):
                given["secret_key"] = _once(options.get("secret_key"), settings, "secret_key")
                settings = None
            backend: Backend | BackendFactory | None = None
            if isinstance(store, Store):
                given, backend = store.apply(given), partial(store.backend, serializer=serializer)
            else:
                backend = store
            manager = configure(
                given,
                aliases=ALIASES,
                settings=settings,
                manager=manager,
                backend=backend,
                serializer=serializer,
                development=development,
            )
        except (ConfigurationError, TypeError) as error:
            log_misconfigured(error)
            self.app, self.error = app, error
            return
        super().__init__(app, manager=manager, unavailable=unavailable)
        if not autoload:
            self.open_session = manager.prepare

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.error is not None:
            await refuse(self.error, scope, receive, send)
            return
        scope[MANAGER_KEY] = self.manager
        await _serve(self, scope, receive, send)


def _path(path: str | re.Pattern[str]) -> re.Pattern[str]:
    """A pattern as given; a string as a prefix that ends at a path segment."""
    if isinstance(path, re.Pattern):
        return path
    if re.search(r"[*^$()\[\]{}|?\\]", path):
        raise ValueError(
            f"{path!r} looks like a regular expression; plain strings are path "
            f"prefixes here: pass re.compile({path!r})"
        )
    return re.compile(re.escape(path.rstrip("/")) + "(?:/|$)")


class SessionAutoloadMiddleware:
    """starsessions' middleware loading the session before the application runs, on
    every path or those given: ``"/app"`` is a prefix ending at a segment (not
    ``/application``), ``re.compile(r"/admin.*")`` matches at the start. Place it after
    `SessionMiddleware` in ``middleware=[...]``."""

    def __init__(self, app: ASGIApp, paths: Iterable[str | re.Pattern[str]] | None = None) -> None:
        self.app = app
        self.patterns = [_path(path) for path in paths or ("/",)]

    def matches(self, path: str) -> bool:
        """Whether the session of a request for *path* is loaded here."""
        return any(pattern.match(path) for pattern in self.patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.matches(scope["path"]):
            session = scope.get("session")
            if not isinstance(session, Session):
                raise ImproperlyConfigured(
                    "SessionAutoloadMiddleware found no satchel session: place it after "
                    "satchel_starlette.SessionMiddleware in middleware=[...]"
                )
            await session.load()
        await self.app(scope, receive, send)
