"""starsessions' functions of a request or WebSocket, each the `satchel.Session` (or
`SessionManager`) API of the same purpose applied to the connection's session."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from satchel import Session, SessionManager, SessionMetadata
from satchel_starlette.middleware import MANAGER_KEY
from satchel_starlette.stores import ImproperlyConfigured


def get_session(connection: HTTPConnection) -> Session:
    """``request.session``, typed as the `satchel.Session` it is (Starlette says dict)."""
    session = connection.scope.get("session")
    if not isinstance(session, Session):
        raise ImproperlyConfigured(
            "no satchel session on this connection: add "
            "Middleware(satchel_starlette.SessionMiddleware, ...) to the application"
        )
    return session


def get_session_manager(connection: HTTPConnection) -> SessionManager:
    """The `SessionManager` serving *connection* (starsessions' ``get_session_handler``):
    for ``revoke_user``, ``can_revoke``, ``settings``."""
    get_session(connection)  # the same clear error when the middleware is missing
    manager: SessionManager = connection.scope[MANAGER_KEY]
    return manager


async def load_session(connection: HTTPConnection) -> None:
    """Same as `satchel.Session.load` (call it first with ``autoload=False``)."""
    await get_session(connection).load()


def is_loaded(connection: HTTPConnection) -> bool:
    """Same as `satchel.Session.is_loaded`."""
    return get_session(connection).is_loaded


def regenerate_session_id(connection: HTTPConnection) -> None:
    """Same as `satchel.Session.regenerate`: the new id is made when the response
    commits the session (starsessions returns it at once)."""
    get_session(connection).regenerate()


def get_session_id(connection: HTTPConnection) -> str | None:
    """Same as `satchel.Session.id`: a store backend's id, else None."""
    return get_session(connection).id


def get_session_metadata(connection: HTTPConnection) -> SessionMetadata:
    """Same as `satchel.Session.metadata`: when it was created, last seen, will expire."""
    return get_session(connection).metadata


def get_session_remaining_seconds(connection: HTTPConnection) -> int:
    """Whole seconds until the server ends the session, 0 once it has (right for
    rolling and idle-timeout sessions too, unlike starsessions')."""
    expires = int(get_session_metadata(connection).expires.timestamp())
    return max(expires - get_session_manager(connection).now(), 0)
