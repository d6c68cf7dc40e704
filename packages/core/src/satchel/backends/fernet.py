"""``fernet``: the data in the cookie, encrypted with Fernet (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import secrets
import threading

from satchel.backends._codec import KeyedHMAC, b64decode_padded, b64encode_padded
from satchel.backends._sealed import SealedBackend, pack_frame, unpack_frame
from satchel.errors import BadCookie
from satchel.keys import Keyring
from satchel.records import Lifetime, Record
from satchel.settings import SessionSettings

_FORMAT = 0x46  # "F", version 1
_VERSION = 0x80  # Fernet's own
_BLOCK = 16
_MAC_BYTES = 32
_IV_START = 1 + 8  # after Fernet's version and timestamp
_SHORTEST = _IV_START + _BLOCK + _BLOCK + _MAC_BYTES  # one block of ciphertext
_MAX_CLOCK_SKEW = 60  # how far in the future Fernet accepts a timestamp
_PADDING = {n: bytes((n,)) * n for n in range(1, _BLOCK + 1)}  # PKCS#7


class _FernetKey:
    """One Fernet key: HMAC-SHA256 under its first half, AES-128-CBC under its second.

    This is Fernet's framing (the spec, and what `cryptography.fernet.Fernet` does)
    on cryptography's primitives, because Fernet itself builds a `Cipher` context for
    every token, which costs about 2.5 µs, more than all the AES work of a cookie.
    Here one CBC context per direction lives as long as the key, and each token goes
    through it in a single pass that does not depend on what the previous one left:

    - decrypting ``iv | ciphertext`` yields ``junk | plaintext``, since CBC decrypts a
      block from it and the block before it only;
    - encrypting ``random | padded plaintext`` yields ``iv | ciphertext``: the first
      output block is AES of a fresh random block (XORed with the block the context
      ended on), so a uniformly random IV (SP 800-38A, appendix C, derives IVs by
      encrypting a nonce under the same key), and the rest is the plaintext in CBC
      under that IV.

    So the tokens are Fernet tokens: `cryptography.fernet.Fernet` reads them and they
    read its own. Every pass is whole blocks, so a context never holds a partial one;
    the lock keeps a pass whole when threads share the backend.
    """

    __slots__ = ("_decrypt", "_encrypt", "_lock", "mac")

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        cipher = Cipher(algorithms.AES(key[_BLOCK:]), modes.CBC(bytes(_BLOCK)))
        self.mac = KeyedHMAC(key[:_BLOCK])
        self._encrypt = cipher.encryptor()
        self._decrypt = cipher.decryptor()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "_FernetKey(...)"

    def encrypt(self, padded: bytes) -> bytes:
        """``iv | ciphertext`` of *padded* (whole blocks) under a fresh random IV."""
        chain = secrets.token_bytes(_BLOCK) + padded
        with self._lock:
            return self._encrypt.update(chain)

    def decrypt(self, chain: bytes) -> bytes:
        """The padded plaintext of ``iv | ciphertext`` (whole blocks)."""
        with self._lock:
            return self._decrypt.update(chain)[_BLOCK:]


class FernetBackend(SealedBackend):
    """Fernet tokens under keys derived from the secret, the fallbacks still read.

    Each secret (current and fallbacks) yields a Fernet key through HKDF, so any
    secret of 32 bytes or more works and no two secrets share a key. Fernet's
    own timestamp bounds the token's age (its TTL) and the times inside the
    encrypted frame enforce `max_age` and `idle_timeout` exactly. Only the
    canonical base64 of a token is read (cryptography's decoding is lenient).
    """

    __slots__ = ("_compress", "_keys", "_lifetime", "_limit", "_ttl")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        compress: bool = False,
        max_bytes: int = 256 * 1024,
    ) -> None:
        keys = keyring.derive(f"fernet/v1/{cookie_name}")
        self._keys = tuple(_FernetKey(k.key) for k in keys)
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
        key = self._keys[0]
        body = (
            bytes((_VERSION,))
            + record.issued.to_bytes(8, "big")
            + key.encrypt(plain + _PADDING[_BLOCK - len(plain) % _BLOCK])
        )
        return b64encode_padded(body + key.mac.digest(body))

    def unseal(self, value: str, now: int) -> Record:
        """Check Fernet's TTL, then the MAC under each configured key in turn, then
        decrypt and check the frame inside."""
        raw = b64decode_padded(value)
        size = len(raw)
        if size < _SHORTEST or (size - _SHORTEST) % _BLOCK or raw[0] != _VERSION:  # whole blocks
            raise BadCookie("not a fernet token")
        stamp = int.from_bytes(raw[1:_IV_START], "big")
        if stamp + self._ttl < now or now + _MAX_CLOCK_SKEW < stamp:
            raise BadCookie("fernet token expired or from the future")
        signed, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        for key in self._keys:
            if key.mac.verify(signed, mac):
                break
        else:
            raise BadCookie("not a valid fernet token for these keys")
        plain = key.decrypt(signed[_IV_START:])
        padding = _PADDING.get(plain[-1])
        if padding is None or not plain.endswith(padding) or plain[0] != _FORMAT:
            raise BadCookie("not a fernet session token")
        return unpack_frame(plain[1 : -len(padding)], self._limit, self._lifetime, now)
