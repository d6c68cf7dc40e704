"""satchel-asgi: satchel sessions for any ASGI application, asgi-tools included."""

from typing import NoReturn

from satchel import Session
from satchel_asgi.middleware import (
    ALIASES,
    ASGIApp,
    ASGIOptions,
    Message,
    Receive,
    Scope,
    Send,
    SessionMiddleware,
    SessionType,
)

__version__ = "0.1.0"
"""satchel-asgi's version, written only here: hatchling reads it into the package metadata."""

__all__ = [
    "ALIASES",
    "ASGIApp",
    "ASGIOptions",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "Session",
    "SessionMiddleware",
    "SessionType",
]

_REPLACED = {
    "SessionJWT": "backend='jwt' (SessionMiddleware(app, session_type='jwt') works too)",
    "SessionFernet": "backend='fernet' (SessionMiddleware(app, session_type='fernet') works too)",
}
"""asgi-sessions' token classes, which satchel does not copy: each seals its own format
with its own weak spots (no expiry, a secret used as the key); the setting that replaces it."""


def __getattr__(name: str) -> NoReturn:
    """Name the replacement of an asgi-sessions class imported from here."""
    if name in _REPLACED:
        raise ImportError(
            f"satchel_asgi has no {name}: asgi-sessions' token class is replaced by "
            f"{_REPLACED[name]}; the session is always a satchel.Session "
            "(see docs/migrating/asgi-sessions.md)",
            name=name,
        )
    raise AttributeError(f"module 'satchel_asgi' has no attribute {name!r}")
