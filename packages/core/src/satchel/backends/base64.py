"""``base64``: unsigned cookies, for compatibility with apps that used them. Forgeable."""

from __future__ import annotations

from satchel.backends._codec import b64decode, b64encode
from satchel.backends._sealed import SealedBackend, pack_frame, unpack_frame
from satchel.errors import BadCookie
from satchel.records import Lifetime, Record
from satchel.settings import SessionSettings

_FORMAT = 0x42  # "B", version 1


class Base64Backend(SealedBackend):
    """Data in the cookie with no signature: anyone can read and forge it.

    It exists for reading sessions of libraries that used unsigned base64
    during a migration, and only with ``allow_unsigned=True``. Never keep a
    user id or anything trusted in it.
    """

    __slots__ = ("_compress", "_lifetime", "_limit")

    def __init__(
        self, lifetime: Lifetime, *, compress: bool = True, max_bytes: int = 256 * 1024
    ) -> None:
        self._lifetime = lifetime
        self._compress = compress
        self._limit = max_bytes

    @classmethod
    def from_settings(cls, settings: SessionSettings) -> Base64Backend:
        """The backend the settings describe (they must say ``allow_unsigned``)."""
        if not settings.allow_unsigned:
            raise ValueError("the base64 backend needs allow_unsigned=True")
        return cls(
            Lifetime.from_settings(settings),
            compress=settings.compress is not False,
            max_bytes=settings.max_session_bytes,
        )

    def seal(self, record: Record) -> str:
        """Encode *record*, unsigned."""
        return b64encode(bytes((_FORMAT,)) + pack_frame(record, self._compress))

    def unseal(self, value: str, now: int) -> Record:
        """Decode a value; only its shape and times are checked, since nothing is signed."""
        raw = b64decode(value)
        if not raw or raw[0] != _FORMAT:
            raise BadCookie("not a base64 session token")
        return unpack_frame(raw[1:], self._limit, self._lifetime, now)
