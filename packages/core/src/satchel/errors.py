"""The exceptions satchel raises, all under one base class.

Bad input from a client never reaches the application as an exception: a
backend signals it with `BadCookie`, which the manager turns into a fresh
session. Everything else here is an error the application or operator must see.
"""

from __future__ import annotations


class SatchelError(Exception):
    """Base class of every satchel exception."""


class ConfigurationError(SatchelError, ValueError):
    """The session settings are invalid: raised at start-up, by core and every adapter.

    The message is one line per problem, naming the setting as it was given (the
    option, or the ``SESSION_*`` variable it came from), its value unless it is a
    secret, what is accepted and the fix. `fields` names the settings involved.
    """

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


class BadCookie(SatchelError):
    """A cookie value that cannot become a session: malformed, tampered, expired or foreign.

    Backends raise it; the manager catches it, logs `reason` at debug level and
    starts a fresh session. The reason never holds a secret or the cookie value.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SessionTooLarge(SatchelError):
    """The session does not fit in the space it may use: the cookies it may send, or
    ``max_session_bytes`` in a store (*stored*). Nothing was sent or stored."""

    def __init__(self, size: int, limit: int, *, stored: bool = False) -> None:
        if stored:
            message = (
                f"the session needs {size} bytes but max_session_bytes allows {limit}; "
                "store less in the session or raise SESSION_MAX_SESSION_BYTES"
            )
        else:
            message = (
                f"the session cookie needs {size} bytes but at most {limit} may be sent; "
                "store less in the session, use a store backend, or raise "
                "SESSION_COOKIE_MAX_BYTES along with your servers' header limits"
            )
        super().__init__(message)
        self.size = size
        self.limit = limit


class SerializationError(SatchelError, TypeError):
    """The session holds a value the serializer cannot write (JSON takes dict, list,
    str, int, float, bool and None)."""


class BackendUnavailable(SatchelError):
    """The session store cannot be reached; the request cannot be served safely.

    Adapters turn it into a 503 response. It is never turned into a fresh
    session, so an outage does not log anyone out.
    """


class SessionConflict(SatchelError):
    """Another request changed the same session key first (with ``on_conflict="raise"``)."""


class SessionEnded(SatchelError):
    """The session was ended (logout, revocation, expiry) while this request ran.

    A store backend raises it from `write` rather than bring the session back;
    the manager answers with an expiring cookie.
    """


class SessionNotLoaded(SatchelError):
    """The session was accessed before it was loaded (explicit loading mode)."""
