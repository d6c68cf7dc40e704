"""`Plugin`: muffin-session's API, each method the engine's but from a Muffin request;
configuration, session rules and the store-down answer are all core's."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Generator
from inspect import isawaitable
from typing import Any, TypeVar, cast, overload

import asgi_tools
from asgi_tools import Response, ResponseError, parse_response
from muffin import Application
from muffin.plugins import BasePlugin, PluginNotInstalledError
from typing_extensions import Unpack

from satchel import BackendUnavailable, Flash, Session, SessionManager, SessionSettings
from satchel.answers import log_unavailable
from satchel.config import configure, translate
from satchel.errors import SessionNotLoaded
from satchel_muffin.config import (
    ALIASES,
    OWN,
    Location,
    PluginConfig,
    PluginOptions,
    gather,
    session_cfg,
)
from satchel_muffin.request import Request
from satchel_muffin.responses import ResponseAnswer, SavedResponse, same_origin, saved

logger = logging.getLogger("satchel")

View = TypeVar("View", bound=Callable[..., Awaitable[Any]])
Loader = TypeVar("Loader", bound=Callable[[Any], Any])
Act = Callable[[Session], Awaitable[Any] | None]
"""What a call does to the session: at once, plus what must be awaited (a store's I/O)."""

_NOT_AWAITED = (
    "the session of plugin {name!r} is not loaded: a login, logout or save_to_response was "
    "called without await before it was, and a store backend fetches it with I/O. Await "
    "that call, load first (await plugin.load_from_request(request)), or set auto_manage=True"
)


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
        self._nowait = False
        self._user_loader: Callable[[Any], Any] = lambda user_id: user_id
        self.config = PluginConfig()
        self.name = name or self.name
        self._mirror()
        if app is not None:
            self.setup(app)

    def setup(  # type: ignore[override]  # typed options where Muffin takes any keyword
        self, app: Application, *, name: str | None = None, **options: Unpack[PluginOptions]
    ) -> bool:
        """Build the manager and install the plugin on *app* (False if ``disabled``); a bad
        option raises `satchel.errors.ConfigurationError`, so the app does not start."""
        self.name = name or self.name
        self.config, sources = gather(self.name, app, {**self._options, **options})
        self._mirror()
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
        self._nowait = self._manager.load_nowait(None) is not None  # a cookie backend: no I/O
        self._mirror()
        app.plugins[self.name] = self  # BasePlugin.setup's registration, without its options
        self.__app__ = app  # type: ignore[assignment]  # BasePlugin types it as None
        if self.config.auto_manage:
            app.middleware(self._middleware)
        app.on_startup(self.startup)
        app.on_shutdown(self.shutdown)
        if BackendUnavailable not in app.exception_handlers:  # the first plugin's answer
            app.on_error(BackendUnavailable)(self._unavailable)
        return True

    def _mirror(self) -> None:
        """``cfg`` as muffin-session's users read it: the plugin's options and, once set up,
        the session settings in force (after every source, environment included)."""
        values = dict(self.config)
        if self._manager is not None:
            values |= session_cfg(self._manager.settings)
        fresh = type(self.cfg)  # Muffin's Config, rebuilt: no type stuck from an earlier value
        self.cfg = fresh(config_config={"update_from_env": False}, **values)

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

    def create_from_token(self, token: str | None = None) -> Session:
        """Same as `SessionManager.load`, from a cookie value alone (as if the request sent
        ``<cookie_name>=<token>``). A cookie backend's session is ready (decoded on first
        touch); a store backend's needs ``await session.load()`` first (it fetches the
        record; touching it before raises `satchel.SessionNotLoaded`)."""
        cookies = {} if token is None else {self.settings.cookie_name: token}
        session = self.manager.load_nowait(cookies)
        return self.manager.prepare(cookies) if session is None else session

    def _at_hand(self, request: Request) -> Session | None:
        """*request*'s session if no I/O is needed: loaded already, or a cookie backend's
        (decoded on first touch); None while a store backend has yet to fetch it."""
        session = request.scope.get(self.name)
        if isinstance(session, Session):
            if not session.is_loaded:
                raise SessionNotLoaded(_NOT_AWAITED.format(name=self.name))
            return session
        session = self.manager.load_nowait(request.scope["headers"])
        if session is not None:
            request[self.name] = session
        return session

    async def load_from_request(self, request: Request) -> Session:
        """Same as `SessionManager.load`, once per request, from *request*'s headers."""
        session = self._at_hand(request)
        if session is None:
            session = request[self.name] = await self.manager.load(request.scope["headers"])
        return session

    def save_to_response(
        self, session_or_request: Session | Request, response: Any, **changes: Any
    ) -> SavedResponse:
        """Apply *changes* and commit the session into *response* (a dict or str converted
        as Muffin converts a view's value), returned; other Set-Cookie headers stay. Works
        awaited or not: see `SavedResponse` for a store backend's save."""

        def act(session: Session) -> None:
            session.update(changes)

        return cast("SavedResponse", self._call(session_or_request, act, response))

    async def _save(self, session: Session, response: Response) -> Response:
        """Commit *session* into *response*: Set-Cookie (so named: asgi-tools' headers are
        case-sensitive), ``Vary: Cookie`` and ``Cache-Control: private``, as core says."""
        if session.accessed:  # else there is nothing to add
            headers = response.headers
            vary = [value for name, value in headers.items() if name.lower() == "vary"]
            caching = [name for name in headers if name.lower() == "cache-control"]
            cache = [value for name in caching for value in headers.getall(name)]
            for name, value in await self.manager.commit_pairs(session, vary, cache):
                if name == "cache-control":  # replaces the response's own
                    for spelled in caching:
                        headers.popall(spelled, None)
                headers.add(name.title(), value)
        return response

    def _call(self, source: Session | Request, act: Act, response: Any) -> Any:
        """Do *act* to the session of *source* and save it into *response* (if given):
        all of it now when no I/O is needed, else what needs I/O when the result is
        awaited (a response given carries it and finishes it when Muffin sends it)."""
        reply = None if response is None else parse_response(response)
        if isinstance(source, Session):
            session = source
        elif (at_hand := self._at_hand(source)) is not None:
            session = at_hand
        else:  # a store has yet to fetch it: its next use without the await raises
            session = source[self.name] = self.manager.prepare(source.scope["headers"])
        step = act(session) if session.is_loaded else None
        if self._nowait:  # a cookie backend: no step waits for I/O, so all is done here
            _run(step)
            return _DONE if reply is None else saved(_run(self._save(session, reply)))
        if step is None and reply is None and session.is_loaded:
            return _DONE
        work = self._finish(session, act, step, reply)
        return work if reply is None else saved(reply, work)

    async def _finish(
        self, session: Session, act: Act, step: Awaitable[Any] | None, reply: Response | None
    ) -> Response | None:
        """The rest of a call, when awaited: a store's I/O (fetching the session, then
        acting, or *step*), then the save into *reply*."""
        if not session.is_loaded:
            await session.load()
            step = act(session)
        if step is not None:
            await step
        return None if reply is None else await self._save(session, reply)

    async def _middleware(self, handler: Callable[..., Any], request: Request, *asgi: Any) -> Any:
        """``auto_manage``: load the session, commit it into the response, returned or raised."""
        session = self._at_hand(request)  # no coroutine where no I/O is needed
        if session is None:
            session = await self.load_from_request(request)
        try:
            response = await handler(request, *asgi)
        except BaseException as raised:
            if isinstance(raised, Response):
                await self._save(session, raised)
            raise
        if response is None or not session.accessed:  # Muffin converts it as usual
            return response
        return await self._save(session, parse_response(response))

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
        *location* if it is a `ResponseError`, or ``redirect_type`` to it (``login_url``).
        A location a function computes per request must be a path on this site: any
        other (``//evil.example/``, ``javascript:``) gives way to ``login_url``."""
        user = await self.load_user(request)
        if await _resolve((checker or self.config.default_user_checker)(user)):
            return user
        target: Any = self.config.login_url if location is None else location
        if callable(target) and not isinstance(target, BaseException):
            target = await _resolve(target(request))
            if not isinstance(target, BaseException):
                target = str(target)  # a URL object too: checked as what it will say
            if isinstance(target, str) and not same_origin(target):
                logger.warning("a redirect to another site was refused; sent to login_url")
                fallback = self.config.login_url
                target = fallback if isinstance(fallback, str) else "/"
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
                request = next(
                    (a for a in args if isinstance(a, asgi_tools.Request)), None
                )  # self first?
                if request is None:
                    raise TypeError(f"{view.__qualname__} was called without a request")
                await self.check_user(request, checker, location, **response_params)
                return await view(*args, **kwargs)

            return cast("View", guarded)

        return decorate

    @overload
    def login(self, request: Request, ident: Any, *, response: None = None) -> Awaitable[None]: ...
    @overload
    def login(self, request: Request, ident: Any, *, response: Any) -> SavedResponse: ...
    def login(self, request: Request, ident: Any, *, response: Any = None) -> Any:
        """Same as `Session.login`, done as it is called (``await`` it or not; a store's
        unfetched session waits for the await); with *response*, saved into it, returned."""

        def act(session: Session) -> None:
            session.login(ident)
            request.scope.pop(self.user_scope_key, None)

        return self._call(request, act, response)

    @overload
    def logout(
        self, request: Request, *, everywhere: bool = False, response: None = None
    ) -> Awaitable[None]: ...
    @overload
    def logout(
        self, request: Request, *, everywhere: bool = False, response: Any
    ) -> SavedResponse: ...
    def logout(self, request: Request, *, everywhere: bool = False, response: Any = None) -> Any:
        """Same as `Session.logout`, done as it is called, like `login`. *everywhere* also
        ends the user's other sessions where the backend can (memory, redis): that I/O
        happens when the call is awaited."""

        def act(session: Session) -> Awaitable[int] | None:
            request[self.user_scope_key] = None
            user_id = session.user_id
            if not everywhere or user_id is None:
                session.logout()
            elif self.manager.can_revoke:
                session.logout()  # this session ends now, awaited or not
                return self.manager.revoke_user(user_id)  # the others: I/O, when awaited
            else:
                _run(self.manager.logout_everywhere(session))  # no index: it logs so, no I/O
            return None

        return self._call(request, act, response)

    async def flash(self, request: Request, message: str, category: str = "info") -> None:
        """Same as `Session.flash`, on the session of *request*."""
        (await self.load_from_request(request)).flash(message, category)

    async def pop_flashes(self, request: Request, category: str | None = None) -> list[Flash]:
        """Same as `Session.pop_flashes`, on the session of *request*."""
        return (await self.load_from_request(request)).pop_flashes(category)


class _Done:
    """The result of a call whose work is all done: awaiting it gives None."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        yield from ()


_DONE = _Done()


def _run(step: Any) -> Any:
    """*step* (a coroutine that never waits: a cookie backend's work) run to its end, here."""
    if step is None:
        return None
    try:
        step.send(None)
    except StopIteration as done:
        return done.value
    step.close()
    raise RuntimeError("a cookie backend waited for I/O: await the call")


async def _resolve(value: Any) -> Any:
    return await value if isawaitable(value) else value
