"""``signed``: the data in the cookie, readable by its holder, unforgeable without the secret."""

from __future__ import annotations

from satchel.backends._codec import KeyedHMAC, b64decode, b64encode
from satchel.backends._sealed import FRAME_SIZE, SealedBackend, pack_frame, unpack_frame
from satchel.errors import BadCookie
from satchel.keys import KEY_ID_BYTES, Keyring
from satchel.records import Lifetime, Record
from satchel.settings import SessionSettings

_FORMAT = 0x53  # "S", version 1
_MAC_BYTES = 32
_HEADER = 1 + KEY_ID_BYTES


class SignedBackend(SealedBackend):
    """HMAC-SHA256 over format, key id, times and data, compared in constant time.

    The token is ``base64url(format | key id | flags | created | issued | data | mac)``.
    The MAC key is derived per cookie name, so a token moved to another cookie
    does not verify. Like every cookie backend it cannot be revoked before it
    expires; use a store backend when that matters.
    """

    __slots__ = ("_compress", "_keys", "_lifetime", "_limit", "_mac", "_prefix")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        compress: bool = True,
        max_bytes: int = 256 * 1024,
    ) -> None:
        keys = keyring.derive(f"signed/v1/{cookie_name}")
        self._keys = {k.kid: KeyedHMAC(k.key) for k in keys}
        self._prefix = bytes((_FORMAT,)) + keys[0].kid
        self._mac = self._keys[keys[0].kid]
        self._lifetime = lifetime
        self._compress = compress
        self._limit = max_bytes

    @classmethod
    def from_settings(cls, settings: SessionSettings) -> SignedBackend:
        """The backend the settings describe."""
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            cookie_name=settings.cookie_name,
            compress=settings.compress is not False,
            max_bytes=settings.max_session_bytes,
        )

    def seal(self, record: Record) -> str:
        """Sign *record* under the current key."""
        body = self._prefix + pack_frame(record, self._compress)
        return b64encode(body + self._mac.digest(body))

    def unseal(self, value: str, now: int) -> Record:
        """Verify the MAC first, then the times, then return the data untouched."""
        raw = b64decode(value)
        if len(raw) < _HEADER + FRAME_SIZE + _MAC_BYTES or raw[0] != _FORMAT:
            raise BadCookie("not a signed session token")
        mac = self._keys.get(raw[1:_HEADER])
        if mac is None:
            raise BadCookie("signed with an unknown key")
        if not mac.verify(raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]):
            raise BadCookie("bad signature")
        return unpack_frame(raw[_HEADER:-_MAC_BYTES], self._limit, self._lifetime, now)
