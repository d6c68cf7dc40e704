"""What a backend stores and the clock rules every backend enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from satchel.errors import BadCookie

if TYPE_CHECKING:
    from satchel.settings import SessionSettings

CLOCK_SKEW = 60
"""Seconds a token's times may lie in the future (servers' clocks differ a little)."""


@dataclass(slots=True)
class Record:
    """One session as a backend keeps it (treat it as immutable; it is not frozen
    only because a frozen dataclass costs three times as much to build).

    `payload` is the serialized data. `created` is when the session (or its
    identity, after `Session.regenerate`) began; `issued` is when it was last
    written, which the idle timeout and rolling lifetime count from. Both are
    Unix seconds. `id` is the session id of store backends, None for cookies.
    `handle` is a backend's private note from `read`, handed back to it in
    `write` (the stores keep per-key versions there). `data` is the payload
    already decoded, when whoever made the record has it: it spares a second
    JSON pass (it is the session's own dict, so never keep it).
    """

    payload: bytes = field(repr=False)
    created: int
    issued: int
    id: str | None = field(default=None, repr=False)
    handle: Any = field(default=None, repr=False, compare=False)
    data: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Lifetime:
    """When a session ends: `max_age` after creation (after the last write when
    `rolling`) or `idle_timeout` after the last write, whichever comes first."""

    max_age: int
    idle_timeout: int | None = None
    rolling: bool = False

    @classmethod
    def from_settings(cls, settings: SessionSettings) -> Lifetime:
        """The lifetime rules the settings describe, in whole seconds."""
        idle = settings.idle_timeout
        return cls(
            int(settings.max_age.total_seconds()),
            None if idle is None else int(idle.total_seconds()),
            settings.rolling,
        )

    def expires_at(self, created: int, issued: int) -> int:
        """The Unix second at which a session with these times stops being valid."""
        end = (issued if self.rolling else created) + self.max_age
        if self.idle_timeout is not None:
            end = min(end, issued + self.idle_timeout)
        return end

    def check(self, created: int, issued: int, now: int) -> None:
        """Raise `BadCookie` unless a session with these times is valid at *now*."""
        if issued < created or issued > now + CLOCK_SKEW:
            raise BadCookie("token times are inconsistent")
        if now >= self.expires_at(created, issued):
            raise BadCookie("session expired")


@dataclass(slots=True, unsafe_hash=True)
class CookieValue:
    """The session cookie a request carried: its value, reassembled from chunks, and
    how many chunk cookies (``<name>.1`` ... ``<name>.N``) the browser may hold beside
    it: those the value spans (0 when it fit in one), or more when the request carried
    leftovers. A write expires every one of them it no longer needs.

    Treat it as immutable (`dataclasses.replace` makes a changed copy): it is not frozen
    only because a frozen dataclass costs 0.5 µs more to build, twice a request."""

    value: str = field(repr=False)
    chunks: int = 0
    stale: bool = False
    """The request carried chunk cookies this value does not use (leftovers of an
    incomplete, stale or mismatched set; with an empty value, nothing usable at all):
    the response expires them even when the session is not written."""
