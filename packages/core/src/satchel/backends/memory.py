"""``memory``: sessions in this process, for development, tests and single-process apps."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from satchel.backends._store import CREATED, ISSUED, IndexChange, StoreBackend, StoreWrite
from satchel.keys import Keyring
from satchel.protocols import Serializer
from satchel.records import Lifetime
from satchel.settings import SessionSettings


@dataclass(slots=True)
class _Entry:
    fields: dict[str, bytes]
    expires: int


@dataclass(slots=True)
class _Storage:
    records: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    indexes: dict[str, dict[str, int]] = field(default_factory=dict)
    swept: int = 0


class MemoryStore(StoreBackend):
    """A bounded in-process store with the same guarantees as the redis one.

    Records hold serialized bytes (never live objects), expire on their own
    clock, and are limited to `max_entries`: when full, expired records go
    first, then the least recently written. A lock makes every operation
    atomic, across tasks and threads. Sessions live as long as the process and
    are not shared between workers: use redis for more than one process.
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
                del self._storage.records[key]
                return None
            return dict(entry.fields)

    async def _apply(self, change: StoreWrite) -> str:
        records = self._storage.records
        with self._lock:
            source = change.source if change.source is not None else change.key
            current = records.get(source)
            if current is not None and current.expires <= change.now:
                del records[source]
                current = None
            if current is None and (change.source is not None or not change.create):
                return "gone"
            if change.expect is not None and current is not None:
                for name, version in change.expect.items():
                    stored = current.fields.get(name)
                    digest = "" if stored is None else hashlib.sha1(stored).hexdigest()  # noqa: S324
                    if digest != version:
                        return "conflict"
            if change.source is not None or current is None:
                entry = _Entry({}, 0)
                if change.source is not None:
                    del records[change.source]
                self._make_room(change.now)
                records[change.key] = entry
            else:
                entry = current
                records.move_to_end(change.key)
            for name in change.removed:
                entry.fields.pop(name, None)
            entry.fields.update(change.fields)
            entry.fields[CREATED] = str(change.created).encode()
            entry.fields[ISSUED] = str(change.issued).encode()
            entry.expires = change.now + change.ttl
            self._update_indexes(change.index, change.now)
            return "ok"

    def _make_room(self, now: int) -> None:
        """Evict expired records (a full sweep at most once a second), then the least
        recently written, until one more fits."""
        storage = self._storage
        records = storage.records
        if len(records) < self._max_entries:
            return
        if storage.swept < now:
            storage.swept = now
            for key in [k for k, e in records.items() if e.expires <= now]:
                del records[key]
        while len(records) >= self._max_entries:
            records.popitem(last=False)

    def _update_indexes(self, changes: tuple[IndexChange, ...], now: int) -> None:
        indexes = self._storage.indexes
        for change in changes:
            members = indexes.setdefault(change.index, {})
            if change.expires is None:
                members.pop(change.member, None)
            else:
                members[change.member] = change.expires
            for member in [m for m, exp in members.items() if exp <= now]:
                del members[member]
            if not members:
                del indexes[change.index]

    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        with self._lock:
            self._storage.records.pop(key, None)
            self._update_indexes(index, now)

    async def _revoke(self, index: str) -> int:
        with self._lock:
            members = self._storage.indexes.pop(index, {})
            return sum(self._storage.records.pop(key, None) is not None for key in members)
