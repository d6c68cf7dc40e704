"""What the cookie backends share: the frame inside every token and the async wrappers."""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod

from satchel.backends._codec import compress, decompress
from satchel.errors import BadCookie
from satchel.records import Lifetime, Record

_FRAME = struct.Struct(">BII")
FRAME_SIZE = _FRAME.size
_COMPRESSED = 0x01


def pack_frame(record: Record, compressing: bool) -> bytes:
    """flags, created, issued and the (possibly compressed) payload, as bytes."""
    body = compress(record.payload) if compressing else None
    if body is None:
        return _FRAME.pack(0, record.created, record.issued) + record.payload
    return _FRAME.pack(_COMPRESSED, record.created, record.issued) + body


def unpack_frame(frame: bytes, limit: int, lifetime: Lifetime, now: int) -> Record:
    """The record in an authenticated frame, once its times are checked against *now*."""
    if len(frame) < FRAME_SIZE:
        raise BadCookie("token too short")
    flags, created, issued = _FRAME.unpack_from(frame)
    lifetime.check(created, issued, now)
    body = frame[FRAME_SIZE:]
    if flags == _COMPRESSED:
        body = decompress(body, limit)
    elif flags != 0 or len(body) > limit:
        raise BadCookie("bad frame")
    return Record(body, created, issued)


class SealedBackend(ABC):
    """Base of the built-in cookie backends: all work is in `seal` and `unseal`."""

    __slots__ = ()

    @abstractmethod
    def unseal(self, value: str, now: int) -> Record:
        """Verify and decode a cookie value (raises `BadCookie`)."""

    @abstractmethod
    def seal(self, record: Record) -> str:
        """Encode a record as a cookie value."""

    async def read(self, value: str, now: int) -> Record:
        """Same as `unseal`, for callers of the `Backend` protocol."""
        return self.unseal(value, now)

    async def write(self, record: Record, previous: Record | None) -> str:
        """Same as `seal`: the cookie is the storage, so *previous* needs nothing."""
        return self.seal(record)

    async def delete(self, record: Record) -> None:  # noqa: B027 (deliberately empty)
        """Nothing to do: expiring the cookie is the whole deletion."""
