"""satchel-starlette: satchel sessions for Starlette and FastAPI, a drop-in for
Starlette's ``SessionMiddleware`` and starsessions. The FastAPI dependencies live in
`satchel_starlette.fastapi`; imported from here, FastAPI is imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel import SessionNotLoaded
from satchel.settings import SameSite
from satchel_starlette.helpers import (
    get_session,
    get_session_id,
    get_session_manager,
    get_session_metadata,
    get_session_remaining_seconds,
    is_loaded,
    load_session,
    regenerate_session_id,
)
from satchel_starlette.middleware import SessionAutoloadMiddleware, SessionMiddleware
from satchel_starlette.options import ALIASES, StarletteOptions
from satchel_starlette.requests import HTTPConnection, Request, WebSocket
from satchel_starlette.stores import (
    CookieStore,
    ImproperlyConfigured,
    InMemoryStore,
    RedisStore,
    Serializer,
    Store,
)

if TYPE_CHECKING:
    from satchel_starlette.fastapi import SessionDep, SessionModel, session_dependency

__version__ = "0.1.0"
"""satchel-starlette's version, written only here: hatchling reads it into the package metadata."""

__all__ = [
    "ALIASES",
    "CookieStore",
    "HTTPConnection",
    "ImproperlyConfigured",
    "InMemoryStore",
    "RedisStore",
    "Request",
    "SameSite",
    "Serializer",
    "SessionAutoloadMiddleware",
    "SessionDep",
    "SessionMiddleware",
    "SessionModel",
    "SessionNotLoaded",
    "StarletteOptions",
    "Store",
    "WebSocket",
    "get_session",
    "get_session_id",
    "get_session_manager",
    "get_session_metadata",
    "get_session_remaining_seconds",
    "is_loaded",
    "load_session",
    "regenerate_session_id",
    "session_dependency",
]


def __getattr__(name: str) -> Any:
    """The FastAPI dependencies, imported (with FastAPI) on first use."""
    if name in ("SessionDep", "SessionModel", "session_dependency"):
        from satchel_starlette import fastapi

        return getattr(fastapi, name)
    raise AttributeError(f"module 'satchel_starlette' has no attribute {name!r}")
