"""``fernet``: the data in the cookie, encrypted with Fernet (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64

from satchel.backends._codec import b64decode
from satchel.backends._sealed import SealedBackend, pack_frame, unpack_frame
from satchel.errors import BadCookie
from satchel.keys import Keyring
from satchel.records import Lifetime, Record
from satchel.settings import SessionSettings

_FORMAT = 0x46  # "F", version 1


class FernetBackend(SealedBackend):
    """Fernet tokens under keys derived from the secret, rotated with MultiFernet.

    Each secret (current and fallbacks) yields a Fernet key through HKDF, so any
    secret of 32 bytes or more works and no two secrets share a key. Fernet's
    own timestamp bounds the token's age (its TTL) and the times inside the
    encrypted frame enforce `max_age` and `idle_timeout` exactly.
    """

    __slots__ = ("_compress", "_fernet", "_invalid", "_lifetime", "_limit", "_ttl")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        compress: bool = False,
        max_bytes: int = 256 * 1024,
    ) -> None:
        from cryptography.fernet import Fernet, InvalidToken, MultiFernet

        keys = keyring.derive(f"fernet/v1/{cookie_name}")
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(k.key)) for k in keys])
        self._invalid = InvalidToken
        self._lifetime = lifetime
        idle = lifetime.idle_timeout
        self._ttl = lifetime.max_age if idle is None else min(idle, lifetime.max_age)
        self._compress = compress
        self._limit = max_bytes

    @classmethod
    def from_settings(cls, settings: SessionSettings) -> FernetBackend:
        """The backend the settings describe."""
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            cookie_name=settings.cookie_name,
            compress=settings.compress is True,
            max_bytes=settings.max_session_bytes,
        )

    def seal(self, record: Record) -> str:
        """Encrypt *record* under the current key, stamped with its issue time."""
        plain = bytes((_FORMAT,)) + pack_frame(record, self._compress)
        return self._fernet.encrypt_at_time(plain, record.issued).decode("ascii")

    def unseal(self, value: str, now: int) -> Record:
        """Decrypt under any configured key within the TTL, then check the frame."""
        body = value.rstrip("=")
        if len(value) % 4 or len(value) - len(body) != -len(body) % 4:
            raise BadCookie("not a fernet token")
        b64decode(body)  # Fernet's own decoding is lenient: only the canonical form passes
        try:
            plain = self._fernet.decrypt_at_time(value.encode("ascii"), self._ttl, now)
        except (self._invalid, UnicodeEncodeError, ValueError, TypeError):
            raise BadCookie("not a valid fernet token for these keys") from None
        if not plain or plain[0] != _FORMAT:
            raise BadCookie("not a fernet session token")
        return unpack_frame(plain[1:], self._limit, self._lifetime, now)
