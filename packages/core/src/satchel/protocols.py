"""The three seams of satchel: where data lives, how it becomes bytes, how the cookie looks.

Each is a `typing.Protocol`: a class of your own satisfies it by having the
methods, and mypy checks it without any inheritance. The smaller protocols after
them are abilities a backend or cookie policy may add; the manager checks for
each once, when it is built, never per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from satchel.records import CookieValue, Record


@runtime_checkable
class Backend(Protocol):
    """Where session data lives and what the cookie value is.

    `read` raises `BadCookie` for any value it cannot accept (malformed,
    tampered, expired, unknown id) and `BackendUnavailable` when its store
    cannot be reached. Every backend enforces expiry itself, from times it
    authenticated: the cookie's Max-Age is only a hint to the browser.
    """

    async def read(self, value: str, now: int) -> Record:
        """The session a cookie value names, as of *now* (Unix seconds)."""
        ...

    async def write(self, record: Record, previous: Record | None) -> str:
        """Store *record* and return the new cookie value.

        *previous* is what the request loaded, if anything. A record whose `id`
        is None while *previous* has one asks for a new identity: store backends
        move the data to a fresh id and delete the old one.
        """
        ...

    async def delete(self, record: Record) -> None:
        """Forget a session (store backends delete it; cookie backends need nothing)."""
        ...


@runtime_checkable
class CookieBackend(Backend, Protocol):
    """A backend that keeps everything in the cookie and needs no I/O.

    Offering `unseal` and `seal` lets the manager defer all decoding until the
    application first touches the session: a request that never reads its
    session never verifies or decrypts a cookie. The manager calls them in place
    of `read` and `write`, which must do the same.
    """

    def unseal(self, value: str, now: int) -> Record:
        """Verify and decode a cookie value (raises `BadCookie`)."""
        ...

    def seal(self, record: Record) -> str:
        """Encode a record as a cookie value."""
        ...


class Serializer(Protocol):
    """Session data to bytes and back. Never pickle: a cookie is attacker input."""

    def dumps(self, data: Mapping[str, Any]) -> bytes:
        """Serialize *data*; the same data must always give the same bytes."""
        ...

    def loads(self, raw: bytes) -> dict[str, Any]:
        """Deserialize bytes from `dumps`; raise ValueError for anything else."""
        ...


class CookiePolicy(Protocol):
    """The session cookie's name and attributes: reading it and rendering Set-Cookie."""

    def read(self, cookies: Mapping[str, str] | str | None) -> CookieValue | None:
        """Find the session cookie in a request's cookies (a mapping, or the raw
        ``Cookie`` header, where duplicates can be seen). None when absent;
        `BadCookie` when it is there but unusable (duplicated, missing chunks)."""
        ...

    def render(
        self, value: str | None, *, max_age: int | None, previous: CookieValue | None
    ) -> list[str]:
        """Set-Cookie header values that store *value* (or, for None, delete the
        cookie) and remove whatever *previous* left that is no longer needed."""
        ...


@runtime_checkable
class RevokesSessions(Protocol):
    """A backend that can end every session of one user ("log out everywhere").

    Only a server-side store can: the sessions of a cookie backend live in the
    browsers. `SessionManager.revoke_user` needs it.
    """

    async def revoke_user(self, user_id: Any) -> int:
        """End every session whose data holds *user_id*; return how many ended."""
        ...


@runtime_checkable
class ClosesConnections(Protocol):
    """A backend holding connections (a Redis pool) to release at application shutdown."""

    async def aclose(self) -> None:
        """Release the connections; `SessionManager.aclose` calls it."""
        ...


@runtime_checkable
class IdentifiesSessions(Protocol):
    """A backend whose cookie value carries a session id, which `Session.id` shows."""

    def session_id(self, value: str) -> str | None:
        """The id a cookie value carries, without I/O; None if it carries none."""
        ...


@runtime_checkable
class LimitsCookieSize(Protocol):
    """A cookie policy that knows the longest value it sends: a request cookie
    longer than that is refused before any decoding."""

    @property
    def max_value_size(self) -> int:
        """The longest cookie value this policy reads (over all chunks): a longer one
        is refused unparsed."""
        ...
