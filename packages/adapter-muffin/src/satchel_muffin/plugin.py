"""`Plugin`: muffin-session's plugin API, run by the satchel engine.

Every method here translates between Muffin's request and response and a
`SessionManager`; what a session holds, how its cookie is made and whether one
is sent is decided by the engine alone.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from asgi_tools import Request, Response, ResponseError, parse_response
from muffin.plugins import BasePlugin, PluginNotInstalledError
from typing_extensions import Unpack

from satchel import BackendUnavailable, Flash, Session, SessionManager, SessionSettings
from satchel_muffin.config import (
    ConfigurationError,
    Location,
    PluginConfig,
    PluginOptions,
    build_settings,
    check_names,
    gather,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from asgi_tools.types import TASGIReceive, TASGIScope, TASGISend
    from muffin import Application

    Handler = Callable[[Request, TASGIReceive, TASGISend], Awaitable[Response | None]]

logger = logging.getLogger("satchel.muffin")

View = TypeVar("View", bound=Callable[..., Awaitable[Any]])
Loader = TypeVar("Loader", bound=Callable[[Any], Any])


class Plugin(BasePlugin):
    """Sessions for a Muffin application: muffin-session's API on the satchel engine.

    ``Plugin(app, **options)`` or ``Plugin(**options)`` then ``plugin.setup(app)``.
    ``settings=SessionSettings(...)`` is the whole session configuration, the same
    object the other satchel adapters take; a prebuilt ``manager=`` may be shared
    instead. The session of a request lives at ``request[plugin.name]`` (so
    ``request.session`` by default) and its loaded user at ``request.user``
    (``request.<prefix>_user`` for a plugin named ``<prefix>_session``). A plugin
    with another name than "session" names its cookie after itself by default.
    """

    name = "session"
    defaults: ClassVar[Mapping[str, Any]] = {}  # options are gathered and checked by setup

    def __init__(
        self,
        app: Application | None = None,
        settings: SessionSettings | None = None,
        *,
        name: str | None = None,
        manager: SessionManager | None = None,
        **options: Unpack[PluginOptions],
    ) -> None:
        """Keep the options (checked by name now) and set up on *app* if it is given."""
        super().__init__()
        check_names(options)
        if settings is not None and manager is not None:
            raise ConfigurationError("pass settings= or manager=, not both")
        self._settings = settings
        self._shared = manager
        self._options: dict[str, Any] = dict(options)
        self._manager: SessionManager | None = None
        self._owns_manager = False
        self._user_loader: Callable[[Any], Any] = _identity
        self.config = PluginConfig()
        if name:
            self.name = name
        if app is not None:
            self.setup(app)

    def setup(  # type: ignore[override]  # typed options where Muffin takes any keyword
        self, app: Application, *, name: str | None = None, **options: Unpack[PluginOptions]
    ) -> bool:
        """Read the options by Muffin's precedence, build the session manager and install
        the plugin (and, with ``auto_manage``, its middleware) on *app*.

        Returns False, installing nothing, when the plugin is ``disabled``. Raises
        `ConfigurationError` or pydantic's ``ValidationError`` for a bad option, and
        refuses to start without a secret unless in debug mode.
        """
        check_names(options)
        self.name = name or self.name
        if not self.name:
            raise TypeError("Plugin.name is required")
        config, session_options = gather(
            name=self.name,
            app_name=str(app.cfg.name),
            app_config=app.cfg,
            options={**self._options, **options},
            environ=os.environ,
        )
        self.config = config
        self.cfg.update(**dict(config))
        if self.name != Plugin.name and self._settings is None and self._shared is None:
            session_options.setdefault("cookie_name", self.name)  # two plugins, two cookies
        if config.disabled:
            app.logger.warning("Plugin %s is disabled", self.name)
            return False
        debug = bool(app.cfg.get("DEBUG")) if config.debug is None else config.debug
        self._install_manager(session_options, debug=debug)
        # What BasePlugin.setup registers, without its second, lenient reading of options.
        app.plugins[self.name] = self
        self.__app__ = app  # type: ignore[assignment]  # BasePlugin.__init__ types it as None
        if config.auto_manage:
            app.middleware(self._middleware)
        app.on_startup(self.startup)
        app.on_shutdown(self.shutdown)
        if BackendUnavailable not in app.exception_handlers:
            app.on_error(BackendUnavailable)(_unavailable)
        return True

    def _install_manager(self, options: dict[str, Any], *, debug: bool) -> None:
        if self._shared is not None:
            if options:
                names = ", ".join(sorted(options))
                raise ConfigurationError(
                    f"session options ({names}) cannot change a manager passed as manager="
                )
            self._manager, self._owns_manager = self._shared, False
            return
        settings = build_settings(self._settings, options, debug=debug)
        self._manager, self._owns_manager = SessionManager(settings), True

    @property
    def manager(self) -> SessionManager:
        """The engine behind this plugin (built at setup, or the one passed in)."""
        if self._manager is None:
            raise PluginNotInstalledError()
        return self._manager

    @property
    def settings(self) -> SessionSettings:
        """The session settings in force."""
        return self.manager.settings

    @property
    def user_scope_key(self) -> str:
        """Where a request keeps its loaded user: ``user`` for the plugin named
        ``session``, ``admin_user`` for ``admin_session``, ``<name>_user`` otherwise."""
        stem = self.name.removesuffix("session").rstrip("_")
        return f"{stem}_user" if stem else "user"

    async def shutdown(self) -> None:
        """Close the manager's connections, unless it was passed in (then it is yours)."""
        if self._owns_manager and self._manager is not None:
            await self._manager.aclose()

    # -- loading and saving -------------------------------------------------------------------

    async def load_from_request(self, request: Request) -> Session:
        """The request's session, loaded once per request and per plugin name."""
        session = request.scope.get(self.name)
        if isinstance(session, Session):
            return session
        session = await self.manager.load(_cookie_header(request.scope))
        request[self.name] = session
        return session

    async def save_to_response(
        self, session_or_request: Session | Request, response: Any, **changes: Any
    ) -> Response:
        """Apply *changes*, then add what the session needs (Set-Cookie, ``Vary``,
        ``Cache-Control``) to *response*, converted as Muffin converts a view's return
        value (a dict becomes JSON, a str HTML). Other Set-Cookie headers stay."""
        session = (
            session_or_request
            if isinstance(session_or_request, Session)
            else await self.load_from_request(session_or_request)
        )
        session.update(changes)
        converted = parse_response(response)
        await self._commit(session, converted)
        return converted

    async def _commit(self, session: Session, response: Response) -> None:
        if not session.accessed:  # commit_headers would hand the headers back unchanged
            return
        encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        merged = await self.manager.commit_headers(session, encoded)
        for name, value in merged[len(encoded) :]:
            response.headers.add(name.decode("latin-1"), value.decode("latin-1"))

    async def _middleware(
        self, handler: Handler, request: Request, receive: TASGIReceive, send: TASGISend
    ) -> Response | None:
        """``auto_manage``: load the session first, save it into whatever response comes
        back, returned or raised (a redirect, a `ResponseError`)."""
        session = await self.load_from_request(request)
        try:
            response = await handler(request, receive, send)
        except BaseException as raised:
            if isinstance(raised, Response):
                await self._commit(session, raised)
            raise
        if response is not None:  # None for a websocket: it has no headers left to set
            await self._commit(session, response)
        return response

    # -- users --------------------------------------------------------------------------------

    def user_loader(self, loader: Loader) -> Loader:
        """Decorator: *loader* (sync or async) turns the session's user id into a user."""
        self._user_loader = loader
        return loader

    async def load_user(self, request: Request) -> Any:
        """The logged-in user, from the user loader (once per request), or None."""
        scope = request.scope
        key = self.user_scope_key
        if key not in scope:
            user_id = (await self.load_from_request(request)).user_id
            user = None if user_id is None else await _resolve(self._user_loader(user_id))
            scope[key] = user
        return scope[key]

    async def check_user(
        self,
        request: Request,
        checker: Callable[[Any], Any] | None = None,
        location: Location | ResponseError | None = None,
        **response_params: Any,
    ) -> Any:
        """Return the user if *checker* (default ``default_user_checker``) accepts it;
        otherwise raise *location* if it is a `ResponseError`, or redirect to it (default
        ``login_url``) with ``redirect_type`` (a 307 by default)."""
        user = await self.load_user(request)
        accept = checker or self.config.default_user_checker
        if await _resolve(accept(user)):
            return user
        target: Any = location if location is not None else self.config.login_url
        if callable(target) and not isinstance(target, BaseException):
            target = await _resolve(target(request))
        if isinstance(target, BaseException):
            raise target
        raise self.config.redirect_type(str(target), **response_params)

    def user_pass(
        self,
        checker: Callable[[Any], Any] | None = None,
        location: Location | ResponseError | None = None,
        **response_params: Any,
    ) -> Callable[[View], View]:
        """Decorator for a view, function or `muffin.Handler` method: run `check_user`
        before it."""

        def decorate(view: View) -> View:
            @functools.wraps(view)
            async def guarded(*args: Any, **kwargs: Any) -> Any:
                request = next((a for a in args if isinstance(a, Request)), None)
                if request is None:
                    raise TypeError(f"{view.__qualname__} was called without a request")
                await self.check_user(request, checker, location, **response_params)
                return await view(*args, **kwargs)

            return cast("View", guarded)

        return decorate

    async def login(self, request: Request, ident: Any, *, response: Any = None) -> Response | None:
        """Log *ident* in under a new session id (`Session.login`); with *response*,
        save into it and return it."""
        session = await self.load_from_request(request)
        session.login(ident)
        request.scope.pop(self.user_scope_key, None)
        return None if response is None else await self.save_to_response(session, response)

    async def logout(
        self, request: Request, *, everywhere: bool = False, response: Any = None
    ) -> Response | None:
        """End the session (`Session.logout`). With *everywhere*, also end every other
        session of the same user, which store backends (memory, redis) can do; a
        cookie backend cannot reach other browsers' cookies, so only this one ends."""
        session = await self.load_from_request(request)
        user_id = session.user_id
        session.logout()
        request[self.user_scope_key] = None
        if everywhere:
            await self._revoke(user_id)
        return None if response is None else await self.save_to_response(session, response)

    async def _revoke(self, user_id: Any) -> None:
        manager = self.manager
        if not manager.can_revoke:
            logger.warning(
                "logout(everywhere=True): the %s backend cannot end other sessions",
                type(manager.backend).__name__,
            )
            return
        await manager.revoke_user(user_id)

    # -- flash messages -----------------------------------------------------------------------

    async def flash(self, request: Request, message: str, category: str = "info") -> None:
        """Same as `Session.flash`, on the session of *request*."""
        (await self.load_from_request(request)).flash(message, category)

    async def pop_flashes(self, request: Request, category: str | None = None) -> list[Flash]:
        """Same as `Session.pop_flashes`, on the session of *request*."""
        return (await self.load_from_request(request)).pop_flashes(category)


def _identity(value: Any) -> Any:
    return value


async def _resolve(value: Any) -> Any:
    return await value if isawaitable(value) else value


def _cookie_header(scope: TASGIScope) -> str | None:
    """The request's Cookie header as sent (several are joined, as HTTP/2 allows)."""
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"]
    return "; ".join(values) if values else None


async def _unavailable(request: Request, error: BaseException) -> Response:
    logger.error("session store unavailable for %s: %s", request, error)
    return ResponseError.SERVICE_UNAVAILABLE()
