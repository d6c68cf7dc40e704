"""satchel-asgi: satchel sessions for any ASGI application, asgi-tools included."""

from satchel_asgi.middleware import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    SessionMiddleware,
    SessionType,
    cookie_header,
    service_unavailable,
    settings_from,
)

__version__ = "0.1.0"

__all__ = [
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "SessionMiddleware",
    "SessionType",
    "cookie_header",
    "service_unavailable",
    "settings_from",
]
