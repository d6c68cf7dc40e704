"""The built-in backends and `build_backend`, which picks one from the settings.

Cookie backends (signed, jwt, fernet, aesgcm, base64) keep the data in the
cookie; store backends (memory, redis) keep it on the server. Each module is
imported only when its backend is used, so optional dependencies stay optional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satchel.protocols import Backend, Serializer
    from satchel.settings import SessionSettings


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
