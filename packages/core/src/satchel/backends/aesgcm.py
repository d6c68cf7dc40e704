"""``aesgcm``: the data in the cookie, encrypted and authenticated with AES-256-GCM."""

from __future__ import annotations

from satchel.backends._aead import OVERHEAD, Sealer
from satchel.backends._codec import b64decode, b64encode
from satchel.backends._sealed import FRAME_SIZE, SealedBackend, pack_frame, unpack_frame
from satchel.errors import BadCookie
from satchel.keys import Keyring
from satchel.records import Lifetime, Record
from satchel.settings import SessionSettings

_FORMAT = b"A"  # version 1


class AESGCMBackend(SealedBackend):
    """AES-256-GCM with a fresh key for every cookie, so no nonce budget binds a busy
    site (see `Sealer`). The token is ``base64url(format | key id | salt | ciphertext
    | tag)``, the format byte authenticated as associated data; the keys are derived
    per cookie name."""

    __slots__ = ("_compress", "_lifetime", "_limit", "_sealer")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        compress: bool = False,
        max_bytes: int = 256 * 1024,
    ) -> None:
        self._sealer = Sealer(keyring, f"aesgcm/v1/{cookie_name}")
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
        return b64encode(_FORMAT + self._sealer.seal(pack_frame(record, self._compress), _FORMAT))

    def unseal(self, value: str, now: int) -> Record:
        """Authenticate and decrypt, then check the times inside."""
        raw = b64decode(value)
        if len(raw) < 1 + OVERHEAD + FRAME_SIZE or raw[:1] != _FORMAT:
            raise BadCookie("not an aesgcm session token")
        return unpack_frame(self._sealer.open(raw[1:], _FORMAT), self._limit, self._lifetime, now)
