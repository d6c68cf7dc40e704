"""``memory``: sessions in this process, for development, tests and single-process apps."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from satchel.backends._store import CREATED, ISSUED, IndexChange, StoreBackend, StoreWrite
from satchel.errors import BackendUnavailable
from satchel.keys import Keyring
from satchel.protocols import Serializer
from satchel.records import Lifetime
from satchel.settings import SessionSettings


@dataclass(slots=True)
class _Entry:
    fields: dict[str, bytes]
    expires: int
    index: str | None = None
    """The user index that lists this record (None: an anonymous session)."""


@dataclass(slots=True)
class _Storage:
    """Every structure is bounded by the number of records: each record is in one of the
    two eviction orders and in at most one user index."""

    records: dict[str, _Entry] = field(default_factory=dict)
    anonymous: OrderedDict[str, None] = field(default_factory=OrderedDict)
    """Anonymous records, least recently written first."""
    users: OrderedDict[str, None] = field(default_factory=OrderedDict)
    """Logged-in records, least recently written first."""
    indexes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Each user's records (with their expiry), least recently written first."""
    swept: int = 0


class MemoryStore(StoreBackend):
    """A bounded in-process store with the same guarantees as the redis one.

    Records hold serialized bytes (never live objects), expire on their own clock,
    and are limited to `max_entries`. When it is full, expired records go first;
    then an anonymous session makes room only by evicting the least recently
    written anonymous one (never a logged-in session: with none to evict, its write
    raises `BackendUnavailable`), and a logged-in session evicts the least recently
    written anonymous one, else that user's own oldest session, else the least
    recently written logged-in one. A lock makes every operation atomic, across
    tasks and threads. Sessions live as long as the process and are not shared
    between workers: use redis for more than one process.
    """

    __slots__ = ("_lock", "_max_entries", "_storage")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        max_entries: int = 10_000,
        **options: object,
    ) -> None:
        super().__init__(keyring, lifetime, **options)  # type: ignore[arg-type]
        self._max_entries = max_entries
        self._storage = _Storage()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: SessionSettings, serializer: Serializer | None = None
    ) -> MemoryStore:
        """The store the settings describe."""
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            max_entries=settings.store_max_entries,
            serializer=serializer,
            **cls.options(settings),
        )

    def __len__(self) -> int:
        return len(self._storage.records)

    def __repr__(self) -> str:
        return f"MemoryStore(sessions={len(self)}, max_entries={self._max_entries})"

    async def _fetch(self, key: str, now: int) -> dict[str, bytes] | None:
        with self._lock:
            entry = self._storage.records.get(key)
            if entry is None:
                return None
            if entry.expires <= now:
                self._drop(key)
                return None
            return dict(entry.fields)

    async def _apply(self, change: StoreWrite) -> str:
        storage = self._storage
        records = storage.records
        key, now = change.key, change.now
        with self._lock:
            source = change.source if change.source is not None else key
            current = records.get(source)
            if current is not None and current.expires <= now:
                self._drop(source)
                current = None
            if current is None and (change.source is not None or not change.create):
                return "gone"
            if change.expect is not None and current is not None:
                for name, version in change.expect.items():
                    if _version(current.fields.get(name)) != version:
                        return "conflict"
            entry = None if change.source is not None else current  # None: a new record
            index = None if entry is None else entry.index
            if change.index or change.after:
                for update in (*change.index, *change.after):
                    if update.member == key:  # the last one for this record says where it is
                        index = update.index if update.expires is not None else None
            new = entry is None
            if entry is None:
                if change.source is not None:
                    self._drop(change.source)
                self._make_room(now, index)
                entry = records[key] = _Entry({}, 0)
            elif change.reseal:
                for name, (version, value) in change.reseal.items():
                    if _version(entry.fields.get(name)) == version:
                        entry.fields[name] = value  # still what was read: sealed anew
            fields = entry.fields
            for name in change.removed:
                fields.pop(name, None)
            fields.update(change.fields)
            fields[CREATED] = str(change.created).encode()
            fields[ISSUED] = str(change.issued).encode()
            entry.expires = now + change.ttl
            if new or index != entry.index:
                self._place(key, entry, index)
            elif index is None:
                storage.anonymous.move_to_end(key)
            else:
                storage.users.move_to_end(key)
                members = storage.indexes[index]
                del members[key]
                members[key] = entry.expires
            return "ok"

    def _place(self, key: str, entry: _Entry, index: str | None) -> None:
        """Make *key*, new or moving between indexes, the most recently written of its
        kind and list it under *index*."""
        storage = self._storage
        if entry.index is not None:
            self._unlist(key, entry.index)
            storage.users.pop(key, None)
        else:
            storage.anonymous.pop(key, None)
        entry.index = index
        if index is None:
            storage.anonymous[key] = None
        else:
            storage.users[key] = None
            storage.indexes.setdefault(index, {})[key] = entry.expires

    def _unlist(self, key: str, index: str) -> None:
        members = self._storage.indexes.get(index)
        if members is not None:
            members.pop(key, None)
            if not members:
                del self._storage.indexes[index]

    def _drop(self, key: str) -> bool:
        """Delete the record at *key* from every structure; whether there was one."""
        storage = self._storage
        entry = storage.records.pop(key, None)
        if entry is None:
            return False
        if entry.index is None:
            storage.anonymous.pop(key, None)
        else:
            storage.users.pop(key, None)
            self._unlist(key, entry.index)
        return True

    def _make_room(self, now: int, index: str | None) -> None:
        """Evict until one more record fits: expired records (a full sweep at most once
        a second), then as the class docstring says for a record listed under *index*."""
        storage = self._storage
        records = storage.records
        if len(records) < self._max_entries:
            return
        if storage.swept < now:
            storage.swept = now
            for key in [k for k, e in records.items() if e.expires <= now]:
                self._drop(key)
        while len(records) >= self._max_entries:
            if storage.anonymous:
                victim = next(iter(storage.anonymous))
            elif index is None:
                raise BackendUnavailable(
                    "the memory store is full of logged-in sessions, which anonymous ones "
                    "never evict: raise store_max_entries"
                )
            else:
                own = storage.indexes.get(index)
                victim = next(iter(own if own else storage.users))
            self._drop(victim)

    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        with self._lock:
            self._drop(key)  # and its entry in whichever index lists it

    async def _revoke(self, index: str) -> int:
        with self._lock:
            members = list(self._storage.indexes.get(index, ()))
            return sum(self._drop(key) for key in members)


def _version(stored: bytes | None) -> str:
    """A stored field's version stamp, as Redis' SHA1HEX computes it ("" when absent)."""
    return "" if stored is None else hashlib.sha1(stored).hexdigest()  # noqa: S324
