"""`SessionMiddleware` and `SessionAutoloadMiddleware` for Starlette and FastAPI.

`SessionMiddleware` is satchel-asgi's middleware (which loads the session, puts
it at ``scope["session"]``, where Starlette's ``request.session`` reads it, and
commits it when the response starts) configured with Starlette's and
starsessions' option names, plus what a Starlette application needs around it:
explicit loading, the manager in the scope for the helpers, and a 503 for a
store that fails while the application runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from starlette.datastructures import Secret

import satchel_asgi
from satchel import (
    Backend,
    BackendUnavailable,
    CookieBackend,
    Session,
    SessionManager,
    SessionSettings,
)
from satchel_asgi import ASGIApp, Message, Receive, Scope, Send, service_unavailable
from satchel_starlette.options import StarletteOptions, session_options
from satchel_starlette.stores import ImproperlyConfigured, Store

if TYPE_CHECKING:
    from typing_extensions import Unpack

    import satchel

MANAGER_KEY = "session_manager"
"""Where the middleware puts its `SessionManager` in the scope (`get_session_manager`)."""

_STARTS = ("http.response.start", "websocket.accept")


def build_manager(
    settings: SessionSettings | Store | str | Secret | None,
    store: Store | Backend | None,
    serializer: satchel.Serializer | None,
    options: StarletteOptions,
) -> SessionManager:
    """The manager the middleware's arguments describe: *settings* (else
    ``SESSION_*``) with the keyword *options*, under any of their names, and the
    *store*'s settings applied; a *store* that is a satchel backend is used as is.
    A string in place of *settings* is the secret, where Starlette takes it, and a
    `Store` there is the store, where starsessions takes it."""
    if isinstance(settings, Store):
        if store is not None:
            raise ValueError("the store is given twice (second argument and store=)")
        settings, store = None, settings
    if isinstance(settings, str | Secret):
        if "secret_key" in options:
            raise ValueError("the secret is given twice (second argument and secret_key=)")
        options = {**options, "secret_key": settings}
        settings = None
    mapped = session_options(options)
    if isinstance(store, Store):
        mapped = store.apply(mapped)
    built = settings.with_options(**mapped) if settings is not None else SessionSettings(**mapped)
    backend = store.backend(built, serializer) if isinstance(store, Store) else store
    return SessionManager(built, backend=backend, serializer=serializer)


class SessionMiddleware(satchel_asgi.SessionMiddleware):
    """satchel sessions for a Starlette or FastAPI application: ``request.session``
    (and ``websocket.session``) is a `satchel.Session`.

    Configure it with ``settings=SessionSettings(...)``, with keyword options under
    satchel's names, Starlette's (`secret_key`, also accepted second as Starlette
    takes it, `session_cookie`, `max_age`, `path`, `same_site`, `https_only`,
    `domain`, `partitioned`) or starsessions' (`store`, also accepted second as
    starsessions takes it, `lifetime`, `rolling`,
    `cookie_name`, `cookie_https_only`, `cookie_same_site`, `cookie_path`,
    `cookie_domain`), or with a prebuilt ``manager=``. With none of them it reads
    ``SESSION_*`` variables.

    With `autoload` (the default) a cookie backend decodes the session when it is
    first touched, so a request that never touches it costs nearly nothing; a
    store backend fetches it before the app runs. ``autoload=False`` is
    starsessions' explicit loading: the session raises `satchel.SessionNotLoaded`
    until ``await load_session(request)`` (or `SessionAutoloadMiddleware`).

    A store that is down raises `satchel.BackendUnavailable`. Raised by the
    application (explicit loading, ``revoke_user``), it goes to the application's
    exception handlers first (``exception_handlers={BackendUnavailable: ...}``);
    unhandled, or raised by the middleware itself (loading before the application
    runs, committing as the response starts), `on_unavailable` answers: a 503 by
    default. The store's connections close at lifespan shutdown.
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
        on_unavailable: ASGIApp = service_unavailable,
        **options: Unpack[StarletteOptions],
    ) -> None:
        if manager is not None:
            if any(v is not None for v in (settings, store, serializer, *options.values())):
                raise ValueError("manager= already holds the settings; pass no other options")
        else:
            manager = build_manager(settings, store, serializer, options)
        super().__init__(app, manager=manager, on_unavailable=on_unavailable)
        if not autoload:
            self.open_session = manager.prepare
        self.store_io = not isinstance(manager.backend, CookieBackend)
        """Whether the application itself may find the store unavailable (a store backend
        does I/O when loaded explicitly or asked to revoke; a cookie backend never)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[MANAGER_KEY] = self.manager
        if not self.store_io or scope["type"] == "lifespan":
            await _asgi_call(self, scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] in _STARTS:
                started = True
            await send(message)

        try:
            await _asgi_call(self, scope, receive, watch)
        except BackendUnavailable:
            if started:
                raise
            await self.on_unavailable(scope, receive, send)


_asgi_call = satchel_asgi.SessionMiddleware.__call__


class SessionAutoloadMiddleware:
    """Loads the session before the application runs, for every request or only
    for the given paths (starsessions' SessionAutoloadMiddleware).

    A plain string is a path prefix ending at a segment boundary: ``"/app"``
    matches ``/app`` and ``/app/x`` but not ``/application``. A compiled pattern,
    ``re.compile(r"/admin.*")``, is matched at the start of the path. Place it
    after `SessionMiddleware` in ``middleware=[...]`` (inside it).
    """

    def __init__(self, app: ASGIApp, paths: Iterable[str | re.Pattern[str]] | None = None) -> None:
        self.app = app
        prefixes: list[str] = []
        self.patterns: list[re.Pattern[str]] = []
        for path in paths or ():
            if isinstance(path, re.Pattern):
                self.patterns.append(path)
            elif re.search(r"[*^$()\[\]{}|?\\]", path):
                raise ValueError(
                    f"{path!r} looks like a regular expression; plain strings are path "
                    f"prefixes here: pass re.compile({path!r})"
                )
            else:
                prefixes.append(path.rstrip("/"))
        self.everywhere = (not prefixes and not self.patterns) or "" in prefixes
        self.prefixes = tuple(prefixes)
        self.subtrees = tuple(f"{p}/" for p in prefixes)

    def matches(self, path: str) -> bool:
        """Whether the session of a request for *path* is loaded here."""
        if self.everywhere or path in self.prefixes or path.startswith(self.subtrees):
            return True
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
