"""Byte-level helpers the cookie backends share: strict base64url and bounded zlib."""

from __future__ import annotations

import base64
import binascii
import re
import sys
import zlib

from satchel.errors import BadCookie

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# base64url to standard base64; "+", "/" and "=" become "!", which strict decoding refuses
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
_PADDING = (b"", b"", b"==", b"=")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The last characters no encoder writes, by the text's length modulo 4: they carry bits
# beyond the data, and decode like the character without them, so the same bytes would
# pass under several strings.
_STRAY: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset(),
    frozenset(c for i, c in enumerate(_ALPHABET) if i & 0b1111),
    frozenset(c for i, c in enumerate(_ALPHABET) if i & 0b11),
)
COMPRESS_MIN = 256
"""Payloads shorter than this are never worth compressing."""


def b64encode(data: bytes) -> str:
    """Unpadded base64url, the cookie-safe alphabet."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


if sys.version_info >= (3, 11):

    def b64decode(text: str) -> bytes:
        """Strictly decode canonical unpadded base64url; anything else is a `BadCookie`."""
        try:
            data = text.encode("ascii").translate(_TO_STANDARD)
            decoded = binascii.a2b_base64(data + _PADDING[len(data) % 4], strict_mode=True)
        except (UnicodeEncodeError, binascii.Error):
            raise BadCookie("not base64url") from None
        if text[-1:] in _STRAY[len(text) % 4]:
            raise BadCookie("base64url with stray bits")
        return decoded

else:

    def b64decode(text: str) -> bytes:
        """Strictly decode canonical unpadded base64url; anything else is a `BadCookie`."""
        if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
            raise BadCookie("not base64url")
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise BadCookie("not base64url") from None
        if text[-1:] in _STRAY[len(text) % 4]:
            raise BadCookie("base64url with stray bits")
        return decoded


def compress(payload: bytes) -> bytes | None:
    """The zlib form of *payload* when that is smaller, else None."""
    if len(payload) < COMPRESS_MIN:
        return None
    packed = zlib.compress(payload, 6)
    return packed if len(packed) < len(payload) else None


def decompress(packed: bytes, limit: int) -> bytes:
    """Inflate at most *limit* bytes: a zlib bomb is a `BadCookie`, not an OOM."""
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(packed, limit)
    except zlib.error:
        raise BadCookie("bad compressed data") from None
    if inflater.unconsumed_tail or inflater.unused_data or not inflater.eof:
        raise BadCookie("compressed data too large or truncated")
    return payload
