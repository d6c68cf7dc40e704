"""Legacy formats: read the cookies of the session library an application replaces.

An application moving to satchel from an incumbent (Robyn's built-in sessions...)
keeps its users logged in when it names the incumbent's format in
``legacy_formats``: a session cookie that satchel's backend rejects is offered to
each configured `LegacyFormat`, and data one of them reads becomes a new session,
written in satchel's format on its next commit. A format verifies everything itself
(signature, expiry, size, shape) and reads nothing it cannot vouch for: bad input
gives None or raises, and the manager starts a fresh session either way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from satchel.settings import SessionSettings

MAX_LEGACY_VALUE = 8192
"""The longest incumbent cookie value read (a browser keeps at most 4096 bytes)."""


@runtime_checkable
class LegacyFormat(Protocol):
    """An incumbent's cookie format, read-only: satchel never writes it."""

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The session data in cookie *value* at Unix time *now*, or None (or an
        exception) for a value that is forged, expired, malformed or not this format."""
        ...


class RobynFormat:
    """Robyn's built-in sessions (``app.configure_sessions``, Robyn 0.88+): base64url of
    ``{"d": data, "exp": unix time}``, a ".", and its HMAC-SHA256 under
    ``sha256(b"robyn.session" + secret)``; every one of *secrets* is tried."""

    __slots__ = ("_keys",)

    def __init__(self, secrets: Iterable[str]) -> None:
        self._keys = tuple(
            hashlib.sha256(b"robyn.session" + secret.encode()).digest() for secret in secrets
        )

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The data of a genuine, unexpired Robyn session cookie; None for any other."""
        if len(value) > MAX_LEGACY_VALUE or not value.isascii() or value.count(".") != 1:
            return None
        body, _, signature = value.partition(".")
        signed = body.encode("ascii")
        for key in self._keys:
            expected = base64.urlsafe_b64encode(hmac.digest(key, signed, "sha256")).rstrip(b"=")
            if hmac.compare_digest(expected, signature.encode("ascii")):
                return _envelope(signed, now)
        return None


def _envelope(body: bytes, now: int) -> dict[str, Any] | None:
    """The ``d`` of a signed envelope, checked as Robyn checks it."""
    try:
        envelope = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("d"), dict):
        return None
    exp = envelope.get("exp")
    if exp is not None and (type(exp) not in (int, float) or not math.isfinite(exp) or exp < now):
        return None
    data: dict[str, Any] = envelope["d"]
    return data


FORMATS = {"robyn": RobynFormat}
"""Every built-in legacy format, by the name ``legacy_formats`` takes."""


def _readers(settings: SessionSettings) -> tuple[LegacyFormat, ...]:
    """The readers *settings* name, with their secrets: ``legacy_secret_keys`` or, when
    none are given, `secret_key` and its fallbacks (the incumbent's own secret)."""
    secrets = settings.legacy_secret_keys or [
        s for s in (settings.secret_key, *settings.secret_key_fallbacks) if s is not None
    ]
    plain = [s.get_secret_value() for s in secrets]
    return tuple(FORMATS[name](plain) for name in dict.fromkeys(settings.legacy_formats))
