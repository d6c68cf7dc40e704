"""satchel-asgi: satchel sessions for any ASGI application, asgi-tools included."""

from satchel_asgi.middleware import (
    ASGIApp,
    Message,
    Receive,
    SameSite,
    Scope,
    Send,
    SessionMiddleware,
    SessionType,
    service_unavailable,
)

__version__ = "0.1.0"

__all__ = [
    "ASGIApp",
    "Message",
    "Receive",
    "SameSite",
    "Scope",
    "Send",
    "SessionMiddleware",
    "SessionType",
    "service_unavailable",
]
