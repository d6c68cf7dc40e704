"""What a `Session` and its manager share, kept apart so neither module imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from satchel.records import CookieValue, Lifetime, Record
    from satchel.settings import SessionSettings


@dataclass(slots=True)
class SessionState:
    """A loaded session's per-request state: made by the manager on first touch,
    changed in place by the session's methods, and replaced whole by a commit
    that wrote (so no field is ever left half updated)."""

    data: dict[str, Any] | None
    """The data as the manager decoded it, until the `Session` takes it into its own
    storage on first touch (None from then on: the session is the data)."""
    record: Record | None = None
    """What the request loaded, or what the last commit wrote; None for a new session."""
    incoming: CookieValue | None = None
    """The cookie the request carried (or the last commit sent): its stale chunks go."""
    regenerate: bool = False
    """Write under a new identity (`Session.regenerate`, `clear`)."""
    clean: bool = True
    """Nothing written and nothing mutable handed out: commit may skip serializing."""
    cleared: bool = False
    """`Session.clear` ran: a later anonymous write starts a new session."""
    user: Any = None
    """The user id (under ``user_key``) the session held when loaded or last committed: a
    commit that finds another one, however it was written, gives a new identity."""


class SessionEngine(Protocol):
    """What a `Session` needs of the manager that made it (`SessionManager` is one)."""

    @property
    def settings(self) -> SessionSettings:
        """The settings (the session reads ``user_key``)."""
        ...

    @property
    def lifetime(self) -> Lifetime:
        """When sessions end (for `Session.metadata`)."""
        ...

    def now(self) -> int:
        """The engine's clock, in whole Unix seconds."""
        ...

    def reject(self, reason: str, detail: str = "") -> None:
        """Log why session data was refused."""
        ...

    def _open(self, source: Any) -> SessionState:
        """Decode a session on first touch (fresh if *source* is bad)."""
        ...

    async def _fetch(self, cookies: Any) -> Any:
        """What `_open` decodes: the record a store fetches, or the cookies as given."""
        ...
