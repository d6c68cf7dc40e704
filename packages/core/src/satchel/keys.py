"""Key material: one master secret per key, a derived key per purpose.

Every backend derives its own key from the configured secret with HKDF-SHA256
(RFC 5869), so a signing key is never reused as an encryption key, and the
cookie name and format version are part of the derivation: a token moved to
another cookie name, or produced by another format, does not verify.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import SecretStr

MIN_SECRET_BYTES = 32
"""The shortest secret accepted: 256 bits, as `generate_key` produces."""

KEY_ID_BYTES = 4
_SALT = b"satchel/v1"


def generate_key() -> str:
    """Return a fresh random secret (32 bytes, URL-safe base64) for ``SESSION_SECRET_KEY``."""
    return secrets.token_urlsafe(MIN_SECRET_BYTES)


def hkdf(secret: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) of *secret* for the purpose named by *info*."""
    prk = hmac.digest(_SALT, secret, "sha256")
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes((counter,)), "sha256")
        out += block
        counter += 1
    return out[:length]


@dataclass(frozen=True, slots=True)
class DerivedKey:
    """A purpose-specific key and the id that names its master secret in tokens."""

    kid: bytes
    key: bytes = field(repr=False)


class Keyring:
    """The current secret and the fallbacks still accepted while keys rotate.

    New tokens always use the first (current) key; tokens made under a
    fallback still verify until that fallback is removed from the settings.
    """

    __slots__ = ("_secrets", "kids")

    def __init__(self, current: bytes, fallbacks: Sequence[bytes] = ()) -> None:
        self._secrets = (current, *fallbacks)
        self.kids = tuple(hkdf(s, b"key-id", KEY_ID_BYTES) for s in self._secrets)
        if len(set(self.kids)) != len(self.kids):
            raise ValueError("secret_key_fallbacks repeats a secret (or the current secret_key)")

    @classmethod
    def from_secrets(
        cls, current: SecretStr | None, fallbacks: Sequence[SecretStr] = ()
    ) -> Keyring:
        """Build a keyring from settings values; the current secret is required."""
        if current is None:
            raise ValueError("secret_key is required for this backend")
        return cls(
            current.get_secret_value().encode(),
            [f.get_secret_value().encode() for f in fallbacks],
        )

    def __repr__(self) -> str:
        return f"Keyring(keys={len(self._secrets)})"

    def derive(self, purpose: str, length: int = 32) -> tuple[DerivedKey, ...]:
        """The key for *purpose* under every secret, the current one first."""
        info = purpose.encode()
        return tuple(
            DerivedKey(kid, hkdf(secret, info, length))
            for kid, secret in zip(self.kids, self._secrets, strict=True)
        )
