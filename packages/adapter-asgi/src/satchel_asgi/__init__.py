"""satchel-asgi: satchel sessions for any ASGI application, asgi-tools included."""

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

__all__ = [
    "ALIASES",
    "ASGIApp",
    "ASGIOptions",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "SessionMiddleware",
    "SessionType",
]
