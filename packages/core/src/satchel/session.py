"""`Session`: the mapping a request handler reads and writes.

It is lazy: loading a request's session costs nothing until the handler first
touches it. Whether it changed is decided at commit by comparing serialized
bytes with what was loaded, so a change anywhere, nested values included
(``session["cart"].append(item)``), is written, and a session only read is not.
A session that was only read for strings, numbers, booleans and None (nothing
that can change in place) skips even that serialization.
"""

from __future__ import annotations

import copy
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError
from typing_extensions import Self

from satchel.errors import SessionNotLoaded

if TYPE_CHECKING:
    from satchel._state import SessionEngine, SessionState

M = TypeVar("M", bound=BaseModel)

_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
"""Types a handler cannot change in place: handing one out keeps the session clean."""

_UNLOADED: Any = object()
"""The only key of a session not yet loaded: never a string, so no data collides with it
and C code that reads a dict's storage directly fails loudly rather than see nothing."""

# dict's own methods, which read and write the storage without the overrides below
_get, _set, _del = dict.__getitem__, dict.__setitem__, dict.__delitem__
_iter, _reversed, _len = dict.__iter__, dict.__reversed__, dict.__len__
_contains, _eq = dict.__contains__, dict.__eq__
_dict_get, _keys, _values, _items = dict.get, dict.keys, dict.values, dict.items
_pop, _popitem, _update, _clear = dict.pop, dict.popitem, dict.update, dict.clear

FLASHES_KEY = "_flashes"
"""The session key that holds pending flash messages."""


class Flash(NamedTuple):
    """A one-time message for the next page the user sees."""

    category: str
    message: str


@dataclass(frozen=True, slots=True)
class SessionMetadata:
    """When a session began, when it was last written and when it will end."""

    created: datetime
    last_seen: datetime
    expires: datetime


def _utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


class Session(dict[str, Any]):
    """A request's session data, loaded on first touch and written only if it changed.

    It is a dict (``isinstance(session, dict)``): every dict method and operator works,
    ``json.dumps(session)``, Starlette's ``JSONResponse(request.session)`` and pydantic's
    ``model_validate(session)`` included. Until the first touch its storage holds only a
    private non-string placeholder, so C code that reads a dict's storage without
    calling any of its methods (orjson, for one) fails on an untouched session rather
    than see nothing: pass it ``dict(session)``. `regenerate` gives the session a new
    identity (call it when privileges change; `login` does), `clear` ends it, and
    `flash` / `pop_flashes` carry one-time messages to the next page. `accessed`
    (read-only) says whether the session was loaded, in which case the response
    depends on the cookie.
    """

    __slots__ = ("_manager", "_pending", "_source", "_state", "accessed")

    _state: SessionState
    """Everything the request loaded and changed: set on first touch (while `accessed`
    is False it is unset), replaced by the manager's commit."""

    def __init__(
        self, manager: SessionEngine, source: object = None, *, pending: bool = False
    ) -> None:
        """Made by `SessionManager.load` (or `prepare`, with *pending*); *source* is
        what the manager decodes on first touch."""
        _set(self, _UNLOADED, None)  # not empty, so C code that skips empty dicts asks
        self._manager = manager
        self._source: object = source
        self._pending = pending
        self.accessed = False  # a plain attribute: adapters read it on every response

    def _load(self) -> None:
        if self.accessed:
            return
        if self._pending:
            raise SessionNotLoaded(
                "the session was accessed before it was loaded: await its load() first"
            )
        state = self._state = self._manager._open(self._source)
        _clear(self)
        data = state.data
        if data:
            _update(self, data)
            state.user = data.get(self._manager.settings.user_key)
        state.data = None  # the session holds the data from now on
        self.accessed = True
        self._source = None

    def _handing_out(self) -> None:
        """Values leave through a view or a copy: mutable ones may change in place."""
        state = self._state
        if state.clean and any(type(v) not in _IMMUTABLE for v in _values(self)):
            state.clean = False

    async def load(self) -> None:
        """Finish loading a session made by `SessionManager.prepare` (a store backend
        fetches its record here). Does nothing if already loaded."""
        if self._pending:
            self._source = await self._manager._fetch(self._source)
            self._pending = False

    @property
    def is_loaded(self) -> bool:
        """False only for a prepared session whose `load` has not been awaited."""
        return not self._pending

    def __getitem__(self, key: str) -> Any:
        if not self.accessed:
            self._load()
        value = _get(self, key)
        if type(value) not in _IMMUTABLE:
            self._state.clean = False  # a list or dict may be changed in place
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        if not self.accessed:
            self._load()
        _set(self, key, value)
        self._state.clean = False

    def __delitem__(self, key: str) -> None:
        if not self.accessed:
            self._load()
        _del(self, key)
        self._state.clean = False

    def __iter__(self) -> Iterator[str]:
        if not self.accessed:
            self._load()
        return _iter(self)

    def __reversed__(self) -> Iterator[str]:
        if not self.accessed:
            self._load()
        return _reversed(self)

    def __len__(self) -> int:
        if not self.accessed:
            self._load()
        return _len(self)

    def __contains__(self, key: object) -> bool:
        if not self.accessed:
            self._load()
        return _contains(self, key)

    def __eq__(self, other: object) -> bool:
        if not self.accessed:
            self._load()
        if isinstance(other, Session) and not other.accessed:
            other._load()
        return _eq(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def get(self, key: str, default: Any = None) -> Any:
        """The value for *key*, or *default*."""
        if not self.accessed:
            self._load()
        value = _dict_get(self, key, default)
        if type(value) not in _IMMUTABLE:
            self._state.clean = False
        return value

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """A live view of the keys."""
        if not self.accessed:
            self._load()
        return _keys(self)

    def values(self) -> ValuesView[Any]:  # type: ignore[override]
        """A live view of the values."""
        if not self.accessed:
            self._load()
        self._handing_out()
        return _values(self)

    def items(self) -> ItemsView[str, Any]:  # type: ignore[override]
        """A live view of the (key, value) pairs."""
        if not self.accessed:
            self._load()
        self._handing_out()
        return _items(self)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value for *key*, set to *default* first if it is missing."""
        if not self.accessed:
            self._load()
        if not _contains(self, key):
            _set(self, key, default)
            self._state.clean = False
            value = default
        else:
            value = _get(self, key)
        if type(value) not in _IMMUTABLE:
            self._state.clean = False
        return value

    def pop(self, key: str, *default: Any) -> Any:
        """Remove *key* and return its value (or *default*; KeyError without one)."""
        if not self.accessed:
            self._load()
        if _contains(self, key):
            self._state.clean = False
        return _pop(self, key, *default)

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last pair inserted, as a dict does (KeyError if empty)."""
        if not self.accessed:
            self._load()
        item = _popitem(self)
        self._state.clean = False
        return item

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Update from a mapping or pairs and keywords, as `dict.update`."""
        if not kwargs and not (args and args[0]):
            return  # nothing to change: an untouched session stays untouched
        if not self.accessed:
            self._load()
        _update(self, *args, **kwargs)
        self._state.clean = False

    def __ior__(self, other: Any) -> Self:  # type: ignore[override]
        if not self.accessed:
            self._load()
        _update(self, other)
        self._state.clean = False
        return self

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = dict(other)
        merged.update(self.items())
        return merged

    def clear(self) -> None:
        """End the session: everything goes, and at commit the cookie expires and a
        stored record is deleted. Anything written afterwards starts a new session
        under a new identity, never under the one that was cleared."""
        if not self.accessed:
            self._load()
        _clear(self)
        state = self._state
        state.regenerate = True
        state.clean = False
        state.cleared = True

    def copy(self) -> dict[str, Any]:
        """A shallow copy of the data as a plain dict (a copy that shared the session
        would let changes through it go unsaved)."""
        return dict(self.items())

    def __copy__(self) -> dict[str, Any]:
        """``copy.copy(session)``: the same as `copy`."""
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        """``copy.deepcopy(session)``: a deep copy of the data as a plain dict."""
        return copy.deepcopy(self.copy(), memo)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling (by a framework's cache, say) keeps the data as a plain dict."""
        return (dict, (self.copy(),))

    def __repr__(self) -> str:
        if self._pending:
            return "<Session pending>"
        if not self.accessed:
            return "<Session not loaded>"
        kind = "new" if self._state.record is None else "loaded"
        return f"<Session {kind} keys={sorted(_iter(self))!r}>"

    @property
    def is_new(self) -> bool:
        """True when the request carried no valid session (one will be created if written)."""
        if not self.accessed:
            self._load()
        return self._state.record is None

    @property
    def id(self) -> str | None:
        """The session id of a store backend (None for cookie backends and new sessions).

        It is a bearer credential: never log it or put it in a URL.
        """
        if not self.accessed:
            self._load()
        record = self._state.record
        return None if record is None else record.id

    @property
    def metadata(self) -> SessionMetadata:
        """When the session began, was last written, and will end (for a new session,
        what would hold if it were written now)."""
        if not self.accessed:
            self._load()
        record = self._state.record
        manager = self._manager
        if record is None:
            now = manager.now()
            created = issued = now
        else:
            created, issued = record.created, record.issued
        return SessionMetadata(
            created=_utc(created),
            last_seen=_utc(issued),
            expires=_utc(manager.lifetime.expires_at(created, issued)),
        )

    def regenerate(self) -> None:
        """Give the session a new identity, keeping its data (defeats session fixation).

        For store backends the data moves to a new id and the old record is
        deleted at commit; for cookie backends a new token is issued and the
        absolute lifetime starts again.
        """
        if not self.accessed:
            self._load()
        self._state.regenerate = True

    def login(self, user_id: str | int) -> None:
        """Record *user_id* as the logged-in user under a new session identity.

        The same user logging in again keeps the session's data, and so does an
        anonymous session (its cart carries over); a different user starts from empty
        data but for the keys named in ``login_keeps``, as Django does. A user id is a
        `str` or an `int` (not a bool); ``42`` and ``"42"`` are the same user.
        """
        _check_user_id(user_id)
        if not self.accessed:
            self._load()
        settings = self._manager.settings
        current = _dict_get(self, settings.user_key)
        if current is not None and not _same_user(current, user_id):
            kept = {k: _get(self, k) for k in settings.login_keeps if _contains(self, k)}
            _clear(self)
            _update(self, kept)
        self._state.regenerate = True
        self[settings.user_key] = user_id

    def logout(self) -> None:
        """End the session (`clear`): all data goes, the cookie expires, a stored record
        is deleted; a flash written afterwards starts a new session."""
        self.clear()

    @property
    def user_id(self) -> Any:
        """The logged-in user's id (see `login`), or None."""
        return self.get(self._manager.settings.user_key)

    def flash(self, message: str, category: str = "info") -> None:
        """Queue *message* for the next page that calls `pop_flashes`."""
        flashes = self.get(FLASHES_KEY)
        entry = [category, message]
        if isinstance(flashes, list):
            flashes.append(entry)
        else:
            self[FLASHES_KEY] = [entry]

    def pop_flashes(self, category: str | None = None) -> list[Flash]:
        """Take the queued flash messages (of one *category*, or all) out of the session."""
        flashes = self.get(FLASHES_KEY)
        if not isinstance(flashes, list):
            return []
        valid = [Flash(*f) for f in flashes if _is_flash(f)]
        taken = [f for f in valid if category is None or f.category == category]
        kept = [list(f) for f in valid if f not in taken]
        if kept:
            self[FLASHES_KEY] = kept
        else:
            del self[FLASHES_KEY]
        return taken

    def as_model(self, model: type[M]) -> M:
        """The session's data validated as *model*.

        Data that does not fit is treated like a tampered cookie: the session is
        cleared and *model* is built from nothing (so give every field a default).
        Write changes back with `set_model`.
        """
        if not self.accessed:
            self._load()
        self._state.clean = False  # the model may hold the session's own lists and dicts
        try:
            return model.model_validate(self.copy())
        except ValidationError:
            self._manager.reject("data does not fit the model", model.__name__)
            self.clear()
            return model.model_validate({})

    def set_model(self, instance: BaseModel) -> None:
        """Write a model's fields into the session (JSON mode, so dates become strings)."""
        self.update(instance.model_dump(mode="json"))


def _check_user_id(user_id: object) -> None:
    """Refuse a user id that is not a `str` or an `int` (a bool is not one)."""
    if type(user_id) is bool or not isinstance(user_id, str | int):
        raise TypeError(f"a user id is a str or an int, not {type(user_id).__name__}")


def _same_user(a: object, b: object) -> bool:
    """Whether two user ids name one user: ``42`` and ``"42"`` do (the index keys both
    by their text)."""
    return str(a) == str(b)


def _is_flash(entry: Any) -> bool:
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and isinstance(entry[1], str)
    )
