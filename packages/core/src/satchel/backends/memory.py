"""``memory``: sessions in this process, for development, tests and single-process apps."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from satchel.backends._store import IndexChange, StoreBackend, Stored, StoreWrite
from satchel.errors import BackendUnavailable
from satchel.keys import Keyring
from satchel.protocols import Serializer
from satchel.records import Lifetime
from satchel.settings import SessionSettings

_Entry = tuple[Stored, int, str | None]
"""A record: what `_fetch` returns, its expiry, and the user index that lists it (None:
an anonymous session). Tuples of bytes, ints and strings only, which the garbage
collector stops tracking, so a full store adds nothing to its collections."""


@dataclass(slots=True)
class _Storage:
    """Every structure is bounded by the number of records: each record is anonymous or
    in one user index, and each user index is in one bucket."""

    records: dict[str, _Entry] = field(default_factory=dict)
    anonymous: OrderedDict[str, None] = field(default_factory=OrderedDict)
    """Anonymous records, least recently written first."""
    indexes: dict[str, OrderedDict[str, None]] = field(default_factory=dict)
    """Each user's records, least recently written first."""
    buckets: dict[int, OrderedDict[str, None]] = field(default_factory=dict)
    """``buckets[n]``: the user indexes listing *n* records, least recently written first
    (only counts some index has), so the user holding most is found without a scan."""
    heaviest: int = 0
    """The most records one user index lists: the largest bucket."""
    swept: int = 0


class MemoryStore(StoreBackend):
    """A bounded in-process store with the same guarantees as the redis one.

    Records hold serialized bytes (never live objects), expire on their own clock,
    and are limited to `max_entries`. When it is full, expired records go first, and
    no single user's sessions crowd out other users': a write evicts the oldest
    session of a user holding more than its share of the store,
    ``max(16, max_entries // 64)`` (counting the session being written), then the
    least recently written anonymous session, then the oldest session of the user
    holding most (the writer's own when it holds as many; among users holding one
    each, the least recently written). An anonymous write never evicts a user's only
    session: when every stored session is one user's only one, it raises
    `BackendUnavailable`. A lock makes every operation atomic, across tasks and
    threads. Sessions live as long as the process and are not shared between
    workers: use redis for more than one process.
    """

    __slots__ = ("_lock", "_max_entries", "_share", "_storage")

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
        self._share = max(16, max_entries // 64)
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

    async def _fetch(self, key: str, now: int) -> Stored | None:
        with self._lock:
            entry = self._storage.records.get(key)
            if entry is None:
                return None
            if entry[1] <= now:
                self._drop(key)
                return None
            return entry[0]

    async def _apply(self, change: StoreWrite) -> Stored | bool:
        storage = self._storage
        records = storage.records
        key, source, base, now = change.key, change.source, change.base, change.now
        with self._lock:
            entry = None
            if source is not None or base is not None:  # not a new record: is it still there?
                target = key if source is None else source
                entry = records.get(target)
                if entry is not None and entry[1] <= now:
                    self._drop(target)
                    entry = None
                if entry is None:
                    return False
                if base is not None and entry[0][3] != base:
                    return entry[0]  # another request wrote it first
                if source is not None:
                    self._drop(source)
                    entry = None
            index = None if entry is None else entry[2]
            if change.index or change.after:
                for update in (*change.index, *change.after):
                    if update.member == key:  # the last one for this record says where it is
                        index = update.index if update.expires is not None else None
            expires = now + change.ttl
            if entry is None:  # a new record, or a moved one
                if len(records) >= self._max_entries:
                    self._make_room(now, index)
                stored = (change.body, change.created, change.issued, 1)
                records[key] = (stored, expires, index)
                self._place(key, None, index)
                return True
            stored = (change.body, change.created, change.issued, entry[0][3] + 1)
            records[key] = (stored, expires, index)
            if index != entry[2]:
                self._place(key, entry[2], index)
            elif index is None:
                storage.anonymous.move_to_end(key)
            else:
                storage.indexes[index].move_to_end(key)
                storage.buckets[len(storage.indexes[index])].move_to_end(index)
            return True

    def _place(self, key: str, was: str | None, index: str | None) -> None:
        """Make *key*, new or moving from index *was* (None: anonymous), the most recently
        written of its kind and list it under *index*."""
        storage = self._storage
        if was is not None:
            self._unlist(key, was)
        else:
            storage.anonymous.pop(key, None)
        if index is None:
            storage.anonymous[key] = None
        else:
            members = storage.indexes.get(index)
            if members is None:
                members = storage.indexes[index] = OrderedDict()
            members[key] = None
            count = len(members)
            self._recount(index, count - 1, count)

    def _unlist(self, key: str, index: str) -> None:
        members = self._storage.indexes.get(index)
        if members is not None and key in members:
            del members[key]
            count = len(members)
            self._recount(index, count + 1, count)
            if not count:
                del self._storage.indexes[index]

    def _recount(self, index: str, was: int, count: int) -> None:
        """Move *index*, which listed *was* records and now *count* (one more or one
        fewer), to the end of its new bucket."""
        storage = self._storage
        buckets = storage.buckets
        if was:
            bucket = buckets[was]
            del bucket[index]
            if not bucket:
                del buckets[was]
        if count:
            joined = buckets.get(count)
            if joined is None:
                joined = buckets[count] = OrderedDict()
            joined[index] = None
        if count > storage.heaviest:
            storage.heaviest = count
        elif was == storage.heaviest and was not in buckets:
            storage.heaviest = was - 1  # counts move by one: the next bucket down is not empty

    def _drop(self, key: str) -> bool:
        """Delete the record at *key* from every structure; whether there was one."""
        storage = self._storage
        entry = storage.records.pop(key, None)
        if entry is None:
            return False
        if entry[2] is None:
            storage.anonymous.pop(key, None)
        else:
            self._unlist(key, entry[2])
        return True

    def _make_room(self, now: int, index: str | None) -> None:
        """Evict until one more record fits: expired records (a full sweep at most once
        a second), then as the class docstring says for a record listed under *index*."""
        storage = self._storage
        records = storage.records
        if storage.swept < now:
            storage.swept = now
            for key in [k for k, e in records.items() if e[1] <= now]:
                self._drop(key)
        while len(records) >= self._max_entries:
            victim = self._victim(index)
            if victim is None:
                raise BackendUnavailable(
                    "the memory store is full of sessions that are each their user's only "
                    "one, which anonymous sessions never evict: raise store_max_entries"
                )
            self._drop(victim)

    def _victim(self, index: str | None) -> str | None:
        """The record a write listed under *index* (None: anonymous) evicts, if any."""
        storage = self._storage
        indexes = storage.indexes
        own = indexes.get(index) if index is not None else None
        mine = len(own) if own else 0
        heaviest = storage.heaviest
        if own and mine >= self._share:  # this write would take the user past its share
            return next(iter(own))
        if heaviest <= self._share and storage.anonymous:
            return next(iter(storage.anonymous))
        if own and mine >= heaviest:
            return next(iter(own))
        if heaviest > 1 or (heaviest == 1 and index is not None):
            return next(iter(indexes[next(iter(storage.buckets[heaviest]))]))
        return None

    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        with self._lock:
            self._drop(key)  # and its entry in whichever index lists it

    async def _revoke(self, index: str) -> int:
        with self._lock:
            members = list(self._storage.indexes.get(index, ()))
            return sum(self._drop(key) for key in members)
