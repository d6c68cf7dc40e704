"""satchel: typed, protocol-driven HTTP sessions for Python web frameworks.

The public API of the engine; adapters (satchel-asgi, satchel-starlette,
satchel-muffin) map a framework's request and response onto it. The backend
classes are imported on first use, so ``import satchel`` loads no optional
dependency; what only a backend's author needs lives in `satchel.backends`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel.answers import MISCONFIGURED, UNAVAILABLE, Answer, log_misconfigured, log_unavailable
from satchel.config import Aliases, Sources, configure, translate
from satchel.cookies import DefaultCookiePolicy
from satchel.errors import (
    BackendUnavailable,
    BadCookie,
    ConfigurationError,
    SatchelError,
    SerializationError,
    SessionConflict,
    SessionEnded,
    SessionNotLoaded,
    SessionTooLarge,
)
from satchel.keys import generate_key
from satchel.legacy import (
    AsgiSessionsBase64Format,
    AsgiSessionsFernetFormat,
    AsgiSessionsJWTFormat,
    LegacyFormat,
    LegacyStore,
    RobynFormat,
    StarletteFormat,
    StarsessionsCookieFormat,
    StarsessionsStore,
)
from satchel.manager import Cookies, SessionManager
from satchel.protocols import (
    Backend,
    ClosesConnections,
    CookieBackend,
    CookiePolicy,
    IdentifiesSessions,
    LimitsCookieSize,
    RevokesSessions,
    Serializer,
)
from satchel.serializers import JSONSerializer, OrjsonSerializer, build_serializer
from satchel.session import Flash, Session, SessionMetadata
from satchel.settings import (
    BackendName,
    JSONLibrary,
    JWTAlgorithm,
    LegacyFormatName,
    OnConflict,
    SameSite,
    Seconds,
    SessionOptions,
    SessionSettings,
)

if TYPE_CHECKING:
    from satchel.backends.aesgcm import AESGCMBackend
    from satchel.backends.base64 import Base64Backend
    from satchel.backends.fernet import FernetBackend
    from satchel.backends.jwt import JWTBackend
    from satchel.backends.memory import MemoryStore
    from satchel.backends.redis import RedisStore
    from satchel.backends.signed import SignedBackend

__version__ = "0.1.0"
"""satchel-core's version, written only here: hatchling reads it into the package metadata."""

__all__ = [
    "MISCONFIGURED",
    "UNAVAILABLE",
    "AESGCMBackend",
    "Aliases",
    "Answer",
    "AsgiSessionsBase64Format",
    "AsgiSessionsFernetFormat",
    "AsgiSessionsJWTFormat",
    "Backend",
    "BackendName",
    "BackendUnavailable",
    "BadCookie",
    "Base64Backend",
    "ClosesConnections",
    "ConfigurationError",
    "CookieBackend",
    "CookiePolicy",
    "Cookies",
    "DefaultCookiePolicy",
    "FernetBackend",
    "Flash",
    "IdentifiesSessions",
    "JSONLibrary",
    "JSONSerializer",
    "JWTAlgorithm",
    "JWTBackend",
    "LegacyFormat",
    "LegacyFormatName",
    "LegacyStore",
    "LimitsCookieSize",
    "MemoryStore",
    "OnConflict",
    "OrjsonSerializer",
    "RedisStore",
    "RevokesSessions",
    "RobynFormat",
    "SameSite",
    "SatchelError",
    "Seconds",
    "SerializationError",
    "Serializer",
    "Session",
    "SessionConflict",
    "SessionEnded",
    "SessionManager",
    "SessionMetadata",
    "SessionNotLoaded",
    "SessionOptions",
    "SessionSettings",
    "SessionTooLarge",
    "SignedBackend",
    "Sources",
    "StarletteFormat",
    "StarsessionsCookieFormat",
    "StarsessionsStore",
    "build_serializer",
    "configure",
    "generate_key",
    "log_misconfigured",
    "log_unavailable",
    "translate",
]


def __getattr__(name: str) -> Any:
    """The backend classes, each imported (with its module) on first use."""
    value: Any
    if name == "SignedBackend":
        from satchel.backends.signed import SignedBackend as value
    elif name == "JWTBackend":
        from satchel.backends.jwt import JWTBackend as value
    elif name == "FernetBackend":
        from satchel.backends.fernet import FernetBackend as value
    elif name == "AESGCMBackend":
        from satchel.backends.aesgcm import AESGCMBackend as value
    elif name == "Base64Backend":
        from satchel.backends.base64 import Base64Backend as value
    elif name == "MemoryStore":
        from satchel.backends.memory import MemoryStore as value
    elif name == "RedisStore":
        from satchel.backends.redis import RedisStore as value
    else:
        raise AttributeError(f"module 'satchel' has no attribute {name!r}")
    globals()[name] = value  # later lookups find it without calling this
    return value
