"""`configure_sessions`: satchel sessions for a Robyn app, under Robyn's own names.

The same as Robyn's ``app.configure_sessions``, but the engine is satchel's: a
global before-request hook puts a lazy `satchel.Session` on ``request.session`` from
the Cookie header (`SessionManager.load`), and a global after-request hook adds what
`SessionManager.commit_headers` returns to the response. Robyn is not ASGI, and its
handlers may be sync or async; both see the same session. Configuration is
`satchel.configure`'s, with Robyn's option names as aliases; the answers when a
session cannot be served are core's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from robyn import Request, Response, Robyn

from satchel import BackendUnavailable, Session, SessionManager, SessionOptions, SessionSettings
from satchel.answers import UNAVAILABLE, Answer, log_unavailable
from satchel.config import configure
from satchel.settings import SameSite

if TYPE_CHECKING:
    from typing_extensions import Unpack


class RobynOptions(SessionOptions, total=False):
    """Keyword options of `configure_sessions`: satchel's and Robyn's names."""

    path: str
    domain: str | None
    secure: bool
    http_only: bool
    same_site: SameSite


ALIASES = {
    "path": "cookie_path",
    "domain": "cookie_domain",
    "secure": "cookie_secure",
    "http_only": "cookie_httponly",
    "same_site": "cookie_samesite",
}
"""Robyn's option names (``configure_sessions``), each with the satchel option it sets."""


def to_response(answer: Answer) -> Response:
    """Core's *answer* as a new Robyn response."""
    return Response(answer.status, dict(answer.headers), answer.body)


def get_session(request: Request) -> Session:
    """``request.session``, typed: the session `configure_sessions` put there."""
    session = request.session
    if not isinstance(session, Session):
        raise RuntimeError("no satchel session on this request: call configure_sessions(app)")
    return session


class RobynSessions:
    """A Robyn app's sessions: `load` and `save` by hand, or the hooks
    `configure_sessions` installs. Build it once, at start-up.

    Options are `satchel.configure`'s: a `SessionSettings`, keyword options (satchel's
    or Robyn's), or ``manager=``; else ``SESSION_*`` variables. A store that is down
    gets *unavailable* instead of the app's response.
    """

    def __init__(
        self,
        settings: SessionSettings | None = None,
        *,
        manager: SessionManager | None = None,
        unavailable: Answer = UNAVAILABLE,
        **options: Unpack[RobynOptions],
    ) -> None:
        self.manager = configure(options, aliases=ALIASES, settings=settings, manager=manager)
        self.unavailable = unavailable

    async def load(self, request: Request) -> Session:
        """Same as `SessionManager.load`, but from *request*'s Cookie header."""
        cookies = request.headers.get("cookie")
        session = self.manager.load_nowait(cookies)  # no I/O, no coroutine: cookie backends
        return session if session is not None else await self.manager.load(cookies)

    async def save(self, session: Session, response: Response) -> None:
        """Same as `SessionManager.commit_pairs`, but onto *response*'s headers: every
        Set-Cookie (one per chunk), ``Vary: Cookie`` and ``Cache-Control: private``."""
        headers = response.headers
        vary, cache = headers.get("vary"), headers.get("cache-control")
        added = await self.manager.commit_pairs(
            session, () if vary is None else (vary,), () if cache is None else (cache,)
        )
        for name, value in added:
            if name == "cache-control":  # replaces the response's own
                headers.set(name, value)
            else:
                headers.append(name, value)

    def open_request(self, request: Request) -> Request:
        """`before_request` for a cookie backend: no I/O, so a plain function (Robyn
        runs an async hook through its event loop, ~90 us a request)."""
        request.session = self.manager.load_nowait(request.headers.get("cookie"))
        return request

    def commit_request(self, request: Request, response: Response) -> Response:
        """`after_request` for a cookie backend, whose commit never waits for I/O."""
        session = request.session
        if session is not None and session.accessed:
            saving = self.save(session, response)
            try:
                saving.send(None)
            except StopIteration:
                return response
            saving.close()
            raise RuntimeError(
                "a cookie backend whose commit awaited I/O (Robyn runs this hook sync)"
            )
        return response

    async def before_request(self, request: Request) -> Request | Response:
        """The hook that puts *request*'s session on ``request.session``."""
        try:
            request.session = await self.load(request)
        except BackendUnavailable as error:
            log_unavailable(error)
            return to_response(self.unavailable)
        return request

    async def after_request(self, request: Request, response: Response) -> Response:
        """The hook that commits ``request.session`` onto *response*, if it was used."""
        session = request.session
        if session is None or not session.accessed:
            return response
        try:
            await self.save(session, response)
        except BackendUnavailable as error:
            log_unavailable(error)
            return to_response(self.unavailable)
        return response


def configure_sessions(
    app: Robyn,
    settings: SessionSettings | None = None,
    *,
    manager: SessionManager | None = None,
    unavailable: Answer = UNAVAILABLE,
    **options: Unpack[RobynOptions],
) -> RobynSessions:
    """Same as Robyn's ``app.configure_sessions``, but with satchel's engine: every
    handler and middleware of *app* finds a `satchel.Session` on ``request.session``.

    Takes Robyn's options (``secret_key``, ``cookie_name``, ``max_age``, ``path``,
    ``domain``, ``secure``, ``http_only``, ``same_site``) and satchel's. Bad settings
    raise `satchel.ConfigurationError` here, before the app serves. The session is
    loaded before every other before-request hook and committed by an after-request
    hook, so an after-request hook registered later reads it but cannot change it.
    Raises RuntimeError if *app* already has sessions, Robyn's or satchel's.
    """
    if app.session_manager is not None:
        raise RuntimeError("sessions are already configured on this app")
    sessions = RobynSessions(settings, manager=manager, unavailable=unavailable, **options)
    app.session_manager = sessions  # type: ignore[assignment]
    plain = sessions.manager.load_nowait(None) is not None  # a cookie backend: no I/O
    app.before_request()(sessions.open_request if plain else sessions.before_request)
    hooks = app.middleware_router.global_middlewares
    hooks.insert(0, hooks.pop())  # first, so that the app's own hooks see the session
    app.after_request()(sessions.commit_request if plain else sessions.after_request)
    return sessions
