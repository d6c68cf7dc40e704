"""`Plugin`: muffin-session's API, each method the engine's but from a Muffin request;
configuration, session rules and the store-down answer are all core's."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any, TypeVar, cast

from asgi_tools import Request, Response, ResponseError, parse_response
from muffin import Application
from muffin.plugins import BasePlugin, PluginNotInstalledError
from typing_extensions import Unpack

from satchel import BackendUnavailable, Flash, Session, SessionManager, SessionSettings
from satchel.answers import log_unavailable
from satchel.config import configure, translate
from satchel_muffin.config import ALIASES, OWN, Location, PluginConfig, PluginOptions, gather
from satchel_muffin.responses import ResponseAnswer

View = TypeVar("View", bound=Callable[..., Awaitable[Any]])
Loader = TypeVar("Loader", bound=Callable[[Any], Any])


class Plugin(BasePlugin):
    """Sessions for a Muffin app, at ``request[plugin.name]``; users at `user_scope_key`."""

    name = "session"

    def __init__(
        self,
        app: Application | None = None,
        settings: SessionSettings | None = None,
        *,
        name: str | None = None,
        manager: SessionManager | None = None,
        **options: Unpack[PluginOptions],
    ) -> None:
        """Keep `PluginOptions`, or a `SessionSettings` (adjusted by options) or a shared
        ``manager=`` (with no session option); set up on *app* if it is given."""
        super().__init__()
        self._settings, self._shared, self._options = settings, manager, options
        self._manager: SessionManager | None = None
        self._user_loader: Callable[[Any], Any] = lambda user_id: user_id
        self.config = PluginConfig()
        self.name = name or self.name
        if app is not None:
            self.setup(app)

    def setup(  # type: ignore[override]  # typed options where Muffin takes any keyword
        self, app: Application, *, name: str | None = None, **options: Unpack[PluginOptions]
    ) -> bool:
        """Build the manager and install the plugin on *app* (False if ``disabled``); a bad
        option raises `satchel.errors.ConfigurationError`, so the app does not start."""
        self.name = name or self.name
        self.config, sources = gather(self.name, app, {**self._options, **options})
        self.cfg.update(**dict(self.config))
        if self.config.disabled:
            translate(sources, ALIASES, OWN)  # a misspelt option is refused all the same
            app.logger.warning("Plugin %s is disabled", self.name)
            return False
        if self.name != Plugin.name and self._settings is None and self._shared is None:
            sources.insert(0, ("plugin name", {"cookie_name": self.name}))
        dev = bool(app.cfg.get("DEBUG")) if self.config.debug is None else self.config.debug
        self._manager = configure(
            sources,
            aliases=ALIASES,
            settings=self._settings,
            manager=self._shared,
            development=dev,
            suggest=OWN,
        )
        app.plugins[self.name] = self  # BasePlugin.setup's registration, without its options
        self.__app__ = app  # type: ignore[assignment]  # BasePlugin types it as None
        if self.config.auto_manage:
            app.middleware(self._middleware)
        app.on_startup(self.startup)
        app.on_shutdown(self.shutdown)
        if BackendUnavailable not in app.exception_handlers:  # the first plugin's answer
            app.on_error(BackendUnavailable)(self._unavailable)
        return True

    async def _unavailable(self, request: Request, error: BaseException) -> Response:
        log_unavailable(error)
        return ResponseAnswer(self.config.unavailable)

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
        """Where a request keeps its user: ``user``, ``admin_user`` for ``admin_session``."""
        stem = self.name.removesuffix("session").rstrip("_")
        return f"{stem}_user" if stem else "user"

    async def shutdown(self) -> None:
        """Close the manager's connections, unless it was passed in (then it is yours)."""
        if self._shared is None and self._manager is not None:
            await self._manager.aclose()

    async def load_from_request(self, request: Request) -> Session:
        """Same as `SessionManager.load`, once per request, from *request*'s headers."""
        session = request.scope.get(self.name)
        if not isinstance(session, Session):
            session = request[self.name] = await self.manager.load(request.scope["headers"])
        return session

    async def save_to_response(
        self, session_or_request: Session | Request, response: Any, **changes: Any
    ) -> Response:
        """Apply *changes* and commit the session into *response* (a dict or str converted
        as Muffin converts a view's value); other Set-Cookie headers stay."""
        session = session_or_request
        if not isinstance(session, Session):
            session = await self.load_from_request(session)
        session.update(changes)
        reply = parse_response(response)
        if session.accessed:  # else commit_headers would give the headers back unchanged
            given = reply.msg_start()["headers"]  # response.cookies' Set-Cookie included
            for name, value in (await self.manager.commit_headers(session, given))[len(given) :]:
                reply.headers.add(name.decode("latin-1"), value.decode("latin-1"))
        return reply

    async def _middleware(self, handler: Callable[..., Any], request: Request, *asgi: Any) -> Any:
        """``auto_manage``: load the session, commit it into the response, returned or raised."""
        session = await self.load_from_request(request)
        try:
            response = await handler(request, *asgi)
        except BaseException as raised:
            if isinstance(raised, Response):
                await self.save_to_response(session, raised)
            raise
        return None if response is None else await self.save_to_response(session, response)

    def user_loader(self, loader: Loader) -> Loader:
        """Decorator: *loader* (sync or async) turns the session's user id into a user."""
        self._user_loader = loader
        return loader

    async def load_user(self, request: Request) -> Any:
        """The logged-in user, from the user loader (once per request), or None."""
        key = self.user_scope_key
        if key not in request.scope:
            user_id = (await self.load_from_request(request)).user_id
            request[key] = None if user_id is None else await _resolve(self._user_loader(user_id))
        return request.scope[key]

    async def check_user(
        self,
        request: Request,
        checker: Callable[[Any], Any] | None = None,
        location: Location | ResponseError | None = None,
        **response_params: Any,
    ) -> Any:
        """The user if *checker* (default ``default_user_checker``) accepts it; else raise
        *location* if it is a `ResponseError`, or ``redirect_type`` to it (``login_url``)."""
        user = await self.load_user(request)
        if await _resolve((checker or self.config.default_user_checker)(user)):
            return user
        target: Any = self.config.login_url if location is None else location
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
        """Decorator for a view (function or `muffin.Handler` method): `check_user` first."""

        def decorate(view: View) -> View:
            @functools.wraps(view)
            async def guarded(*args: Any, **kwargs: Any) -> Any:
                request = next((a for a in args if isinstance(a, Request)), None)  # self first?
                if request is None:
                    raise TypeError(f"{view.__qualname__} was called without a request")
                await self.check_user(request, checker, location, **response_params)
                return await view(*args, **kwargs)

            return cast("View", guarded)

        return decorate

    async def login(self, request: Request, ident: Any, *, response: Any = None) -> Response | None:
        """Same as `Session.login`; with *response*, saved into it and returned."""
        session = await self.load_from_request(request)
        session.login(ident)
        request.scope.pop(self.user_scope_key, None)
        return None if response is None else await self.save_to_response(session, response)

    async def logout(
        self, request: Request, *, everywhere: bool = False, response: Any = None
    ) -> Response | None:
        """Same as `Session.logout`; *everywhere* also ends the user's other sessions where
        the backend can (memory, redis). With *response*, saved into it and returned."""
        session = await self.load_from_request(request)
        if everywhere:
            await self.manager.logout_everywhere(session)
        else:
            session.logout()
        request[self.user_scope_key] = None
        return None if response is None else await self.save_to_response(session, response)

    async def flash(self, request: Request, message: str, category: str = "info") -> None:
        """Same as `Session.flash`, on the session of *request*."""
        (await self.load_from_request(request)).flash(message, category)

    async def pop_flashes(self, request: Request, category: str | None = None) -> list[Flash]:
        """Same as `Session.pop_flashes`, on the session of *request*."""
        return (await self.load_from_request(request)).pop_flashes(category)


async def _resolve(value: Any) -> Any:
    return await value if isawaitable(value) else value
