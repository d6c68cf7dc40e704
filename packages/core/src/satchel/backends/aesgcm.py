"""``aesgcm``: the data in the cookie, encrypted and authenticated with AES-256-GCM."""

from __future__ import annotations

import hmac
import secrets

from satchel.backends._codec import b64decode, b64encode
from satchel.backends._sealed import FRAME_SIZE, SealedBackend, pack_frame, unpack_frame
from satchel.errors import BadCookie
from satchel.keys import KEY_ID_BYTES, Keyring
from satchel.records import Lifetime, Record
from satchel.settings import SessionSettings

_FORMAT = 0x41  # "A", version 1
_SALT_BYTES = 16
_TAG_BYTES = 16
_HEADER = 1 + KEY_ID_BYTES + _SALT_BYTES
_NONCE = bytes(12)


class AESGCMBackend(SealedBackend):
    """AES-256-GCM with a fresh key for every cookie.

    A random 96-bit nonce under one key is safe for about 2**32 messages (NIST
    SP 800-38D), which a busy site with rolling sessions can reach. Here each
    token carries a random 128-bit salt and is encrypted under its own key,
    ``HMAC-SHA256(master, salt)``, so no key ever encrypts twice and the
    budget no longer applies (the salts would have to collide, near 2**64
    tokens). With one-use keys the nonce can be constant. The format byte,
    key id and salt are authenticated as associated data.
    """

    __slots__ = ("_aead", "_compress", "_current", "_keys", "_lifetime", "_limit")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        compress: bool = False,
        max_bytes: int = 256 * 1024,
    ) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        keys = keyring.derive(f"aesgcm/v1/{cookie_name}")
        self._aead = AESGCM
        self._current = keys[0]
        self._keys = {k.kid: k.key for k in keys}
        self._lifetime = lifetime
        self._compress = compress
        self._limit = max_bytes

    @classmethod
    def from_settings(cls, settings: SessionSettings) -> AESGCMBackend:
        """The backend the settings describe."""
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            cookie_name=settings.cookie_name,
            compress=settings.compress is True,
            max_bytes=settings.max_session_bytes,
        )

    def seal(self, record: Record) -> str:
        """Encrypt *record* under a one-use key derived from the current key."""
        key = self._current
        salt = secrets.token_bytes(_SALT_BYTES)
        header = bytes((_FORMAT,)) + key.kid + salt
        aead = self._aead(hmac.digest(key.key, salt, "sha256"))
        return b64encode(header + aead.encrypt(_NONCE, pack_frame(record, self._compress), header))

    def unseal(self, value: str, now: int) -> Record:
        """Authenticate and decrypt, then check the times inside."""
        from cryptography.exceptions import InvalidTag

        raw = b64decode(value)
        if len(raw) < _HEADER + FRAME_SIZE + _TAG_BYTES or raw[0] != _FORMAT:
            raise BadCookie("not an aesgcm session token")
        master = self._keys.get(raw[1 : 1 + KEY_ID_BYTES])
        if master is None:
            raise BadCookie("encrypted with an unknown key")
        header = raw[:_HEADER]
        aead = self._aead(hmac.digest(master, raw[1 + KEY_ID_BYTES : _HEADER], "sha256"))
        try:
            frame = aead.decrypt(_NONCE, raw[_HEADER:], header)
        except InvalidTag:
            raise BadCookie("bad authentication tag") from None
        return unpack_frame(frame, self._limit, self._lifetime, now)
