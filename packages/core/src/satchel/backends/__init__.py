"""The built-in backends, `build_backend`, and what an author of another backend needs.

Cookie backends (signed, jwt, fernet, aesgcm, base64) keep the data in the
cookie; store backends (memory, redis) keep it on the server. Each module is
imported only when its backend is used, so optional dependencies stay optional:
`StoreBackend` too is imported on first use. The rest (records, lifetimes, keys)
is what `satchel` itself already loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel.cookies import COOKIE_LIMIT
from satchel.keys import DerivedKey, Keyring, hkdf
from satchel.records import CookieValue, Lifetime, Record

if TYPE_CHECKING:
    from satchel.backends._store import StoreBackend
    from satchel.protocols import Backend, Serializer
    from satchel.settings import SessionSettings

__all__ = [
    "COOKIE_LIMIT",
    "CookieValue",
    "DerivedKey",
    "Keyring",
    "Lifetime",
    "Record",
    "StoreBackend",
    "build_backend",
    "hkdf",
]
"""What an author of another backend imports: the record a backend stores and the
lifetime rules it enforces, key derivation, the stores' base class, the cookie size
limit; and `build_backend`. An application needs none of it (`satchel` has its API)."""


def build_backend(settings: SessionSettings, serializer: Serializer | None = None) -> Backend:
    """The backend that ``settings.backend`` names, configured from *settings*."""
    name = settings.backend
    try:
        if name == "signed":
            from satchel.backends.signed import SignedBackend

            return SignedBackend.from_settings(settings)
        if name == "jwt":
            from satchel.backends.jwt import JWTBackend

            return JWTBackend.from_settings(settings, serializer)
        if name == "fernet":
            from satchel.backends.fernet import FernetBackend

            return FernetBackend.from_settings(settings)
        if name == "aesgcm":
            from satchel.backends.aesgcm import AESGCMBackend

            return AESGCMBackend.from_settings(settings)
        if name == "base64":
            from satchel.backends.base64 import Base64Backend

            return Base64Backend.from_settings(settings)
        if name == "memory":
            from satchel.backends.memory import MemoryStore

            return MemoryStore.from_settings(settings, serializer)
        if name == "redis":
            from satchel.backends.redis import RedisStore

            return RedisStore.from_settings(settings, serializer)
    except ImportError as exc:
        extra = {"jwt": "jwt", "redis": "redis"}.get(name, "crypto")
        raise ImportError(
            f"backend={name!r} needs an optional dependency: pip install 'satchel-core[{extra}]'"
        ) from exc
    raise ValueError(f"unknown backend {name!r}")


def __getattr__(name: str) -> Any:
    """`StoreBackend`, imported on first use (``import satchel`` does not need it)."""
    if name == "StoreBackend":
        from satchel.backends._store import StoreBackend

        return StoreBackend
    raise AttributeError(f"module 'satchel.backends' has no attribute {name!r}")
