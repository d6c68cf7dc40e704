"""Functions of a request or WebSocket, mirroring the engine's API (and starsessions').

Each is the `satchel.Session` (or `SessionManager`) method of the same purpose,
applied to the session of the connection it is given, so that code written for
starsessions' helpers keeps working.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from satchel import Session, SessionManager, SessionMetadata
from satchel_starlette.middleware import MANAGER_KEY
from satchel_starlette.stores import ImproperlyConfigured


def get_session(connection: HTTPConnection) -> Session:
    """The `satchel.Session` of *connection*: ``request.session``, typed as what it is
    (Starlette types ``request.session`` as a plain dict)."""
    session = connection.scope.get("session")
    if not isinstance(session, Session):
        raise ImproperlyConfigured(
            "no satchel session on this connection: add "
            "Middleware(satchel_starlette.SessionMiddleware, ...) to the application"
        )
    return session


def get_session_manager(connection: HTTPConnection) -> SessionManager:
    """The `SessionManager` of the middleware that serves *connection* (starsessions'
    ``get_session_handler``): for ``revoke_user``, ``can_revoke``, ``settings``."""
    get_session(connection)  # the same clear error when the middleware is missing
    manager: SessionManager = connection.scope[MANAGER_KEY]
    return manager


async def load_session(connection: HTTPConnection) -> None:
    """Same as `satchel.Session.load`, but uses the session of *connection*: with
    ``autoload=False``, call it before touching the session."""
    await get_session(connection).load()


def is_loaded(connection: HTTPConnection) -> bool:
    """Same as `satchel.Session.is_loaded`, but uses the session of *connection*."""
    return get_session(connection).is_loaded


def regenerate_session_id(connection: HTTPConnection) -> None:
    """Same as `satchel.Session.regenerate`, but uses the session of *connection*.

    The new id is made when the response commits the session (starsessions
    returns it at once); `get_session_id` gives it on the next request.
    """
    get_session(connection).regenerate()


def get_session_id(connection: HTTPConnection) -> str | None:
    """Same as `satchel.Session.id`, but uses the session of *connection*: the store
    backends' id, None for cookie backends and for a session not yet stored."""
    return get_session(connection).id


def get_session_metadata(connection: HTTPConnection) -> SessionMetadata:
    """Same as `satchel.Session.metadata`, but uses the session of *connection*:
    when it was created, last written and will expire."""
    return get_session(connection).metadata


def get_session_remaining_seconds(connection: HTTPConnection) -> int:
    """Whole seconds until the session of *connection* expires on the server, 0 once
    it has (starsessions' helper, right for rolling and idle-timeout sessions too)."""
    session = get_session(connection)
    expires = int(session.metadata.expires.timestamp())
    return max(expires - get_session_manager(connection).now(), 0)
