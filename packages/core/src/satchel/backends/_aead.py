"""AES-256-GCM with a one-use key per message, shared by the aesgcm backend and the stores."""

from __future__ import annotations

import secrets
from typing import Any

from satchel.backends._codec import KeyedHMAC
from satchel.errors import BadCookie
from satchel.keys import KEY_ID_BYTES, Keyring

SALT_BYTES = 16
TAG_BYTES = 16
OVERHEAD = KEY_ID_BYTES + SALT_BYTES + TAG_BYTES
_NONCE = bytes(12)


class Sealer:
    """Encrypts and authenticates bytes under keys derived for one purpose.

    A random 96-bit nonce under one key is safe for about 2**32 messages (NIST
    SP 800-38D), which a busy site re-sealing rolling sessions can reach. Here
    each message carries a random 128-bit salt and is encrypted under its own
    key, ``HMAC-SHA256(master, salt)``, so no key ever encrypts twice and that
    budget does not apply (salts would have to collide, near 2**64 messages);
    with one-use keys the nonce can be constant. The output is ``key id | salt |
    ciphertext | tag``; the key id picks the master key, current or fallback.
    """

    __slots__ = ("_aead", "_current", "_invalid", "_keys", "_mac")

    def __init__(self, keyring: Keyring, purpose: str) -> None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        keys = keyring.derive(purpose)
        self._aead: Any = AESGCM
        self._invalid = InvalidTag
        self._keys = {k.kid: KeyedHMAC(k.key) for k in keys}
        self._current = keys[0].kid
        self._mac = self._keys[self._current]

    def __repr__(self) -> str:
        return f"Sealer(keys={len(self._keys)})"

    def seal(self, plain: bytes, associated: bytes = b"") -> bytes:
        """Encrypt *plain*, authenticating *associated* (and the key id and salt) too."""
        salt = secrets.token_bytes(SALT_BYTES)
        header = self._current + salt
        aead = self._aead(self._mac.digest(salt))
        return header + aead.encrypt(_NONCE, plain, header + associated)  # type: ignore[no-any-return]

    def stale(self, sealed: bytes) -> bool:
        """Whether *sealed* was made under a key other than the current one (a fallback
        that is going away): whoever holds its plain text should seal it again."""
        return sealed[:KEY_ID_BYTES] != self._current

    def open(self, sealed: bytes, associated: bytes = b"") -> bytes:
        """Authenticate and decrypt; anything forged or foreign raises `BadCookie`."""
        if len(sealed) < OVERHEAD:
            raise BadCookie("sealed data too short")
        master = self._keys.get(sealed[:KEY_ID_BYTES])
        if master is None:
            raise BadCookie("encrypted with an unknown key")
        header = sealed[: KEY_ID_BYTES + SALT_BYTES]
        aead = self._aead(master.digest(header[KEY_ID_BYTES:]))
        try:
            return aead.decrypt(_NONCE, sealed[len(header) :], header + associated)  # type: ignore[no-any-return]
        except self._invalid:
            raise BadCookie("bad authentication tag") from None
