"""satchel: typed, protocol-driven HTTP sessions for Python web frameworks.

The public API of the engine; adapters (satchel-asgi, satchel-starlette,
satchel-muffin) map a framework's request and response onto it.
"""

from satchel.backends import build_backend
from satchel.backends._store import StoreBackend
from satchel.backends.aesgcm import AESGCMBackend
from satchel.backends.base64 import Base64Backend
from satchel.backends.fernet import FernetBackend
from satchel.backends.jwt import JWTBackend
from satchel.backends.memory import MemoryStore
from satchel.backends.redis import RedisStore
from satchel.backends.signed import SignedBackend
from satchel.cookies import COOKIE_LIMIT, DefaultCookiePolicy
from satchel.errors import (
    BackendUnavailable,
    BadCookie,
    SatchelError,
    SerializationError,
    SessionConflict,
    SessionEnded,
    SessionNotLoaded,
    SessionTooLarge,
)
from satchel.keys import DerivedKey, Keyring, generate_key, hkdf
from satchel.manager import Cookies, SessionManager
from satchel.protocols import Backend, CookieBackend, CookiePolicy, Serializer
from satchel.records import CookieValue, Lifetime, Record
from satchel.serializers import JSONSerializer
from satchel.session import Flash, Session, SessionMetadata
from satchel.settings import BackendName, SessionOptions, SessionSettings

__version__ = "0.1.0"

__all__ = [
    "COOKIE_LIMIT",
    "AESGCMBackend",
    "Backend",
    "BackendName",
    "BackendUnavailable",
    "BadCookie",
    "Base64Backend",
    "CookieBackend",
    "CookiePolicy",
    "CookieValue",
    "Cookies",
    "DefaultCookiePolicy",
    "DerivedKey",
    "FernetBackend",
    "Flash",
    "JSONSerializer",
    "JWTBackend",
    "Keyring",
    "Lifetime",
    "MemoryStore",
    "Record",
    "RedisStore",
    "SatchelError",
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
    "StoreBackend",
    "build_backend",
    "generate_key",
    "hkdf",
]
