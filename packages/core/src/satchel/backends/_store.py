"""What the memory and redis stores share: signed ids, hashed keys, versioned writes, revocation.

The cookie holds ``base64url(tag | id | mac)``: a 24-bit routing tag, 256 random
bits of id from `secrets`, and a 128-bit HMAC over both, so a forged id is
refused before any lookup. The store keys on ``prefix{tag}:hash(tag | id)``: a
leaked store or key listing gives no usable id, and the tag, kept across
`Session.regenerate`, puts every key one write touches in one Redis Cluster slot.

A record is the serialized session (sealed with AES-256-GCM, bound to its key,
under ``store_encrypt``), its two times (created, last written) and a version
that every write raises. A read remembers the version; a write names it and is
applied only if the record still has it (compare-and-set), so a write nobody
raced costs one step and no merge. When another request wrote first, the store
hands back the record as it now stands and the write is merged into it key by
key: the keys this request changed, or removed, replace or leave the current
ones, the others stay as the other request left them (with ``on_conflict="raise"``,
a key both changed is `SessionConflict`); then it is tried again on that version.
Each retry follows a write that succeeded, so writers always make progress.

A user index lists the sessions of one user (`revoke_user`). It keys a user id by
its text, ``str(user_id)``, so ``42`` and ``"42"`` are one user; an id that is
neither a `str` nor an `int` is not indexed (`revoke_user` refuses it).
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import hmac
import json
import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from dataclasses import field as attribute
from typing import Any

from satchel.backends._aead import Sealer
from satchel.backends._codec import b64decode, b64encode
from satchel.errors import BadCookie, SessionConflict, SessionEnded, SessionTooLarge
from satchel.keys import Keyring
from satchel.protocols import Serializer
from satchel.records import Lifetime, Record
from satchel.serializers import JSONSerializer
from satchel.settings import OnConflict, SessionSettings

TAG_BYTES = 3
ID_BYTES = 32
MAC_BYTES = 16
_RAW_BYTES = TAG_BYTES + ID_BYTES
_URLSAFE = bytes.maketrans(b"+/", b"-_")
_VALUE = re.compile(r"[A-Za-z0-9_-]{68}")
"""A cookie value's shape: ``tag | id | mac`` (51 bytes) in unpadded base64url."""
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# the id's last character from the value's 47th: its 4 high bits are the id's, the
# 2 low ones the MAC's, which the id's own encoding pads with zeros
_ID_END = {c: _ALPHABET[i & 0b111100] for i, c in enumerate(_ALPHABET)}
_INDEX_CACHE = 4096
"""User index names remembered (an HMAC each), so a login does not pay for one."""
_SEEN = 8192
"""Cookie values remembered once verified, so that a session's next request skips the
base64, the MAC and the key's hash (most of a read's CPU time)."""

_Seen = tuple[bytes, str, bool, str]
"""A verified cookie value's raw tag and id, record key, whether its MAC is under the
current key, and the session id."""

Stored = tuple[bytes, int, int, int]
"""A record as storage holds it: ``(body, created, issued, version)``; the body is the
serialized session, sealed under ``store_encrypt``."""


def user_text(user_id: object) -> str | None:
    """The text a user index keys *user_id* by: ``str(user_id)`` for a `str` or an `int`
    (not a `bool`), None for anything else."""
    if isinstance(user_id, str):
        return str.__str__(user_id)
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        return int.__repr__(user_id)
    return None


class _Mac:
    """HMAC-SHA256 (RFC 2104) under one key, from the hashes of the key's inner and outer
    pads, computed once: a message costs two copies of a hash state, where `hmac.digest`
    sets OpenSSL up anew each time (about three times as long)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")  # SHA-256's block; derived keys are 32 bytes
        assert len(block) == 64
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __repr__(self) -> str:
        return "_Mac(sha256)"

    def __call__(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


@dataclass(slots=True)
class IndexChange:
    """Add or remove one session in one user's index (a sorted set scored by expiry);
    treat it as immutable (a frozen dataclass is slow to build)."""

    index: str
    member: str
    expires: int | None
    """The session's expiry for an addition; None removes the member."""


@dataclass(slots=True)
class StoreWrite:
    """One atomic change to a stored session, as a storage engine applies it (treat it
    as immutable: it is not frozen because a frozen dataclass is slow to build).

    The record at `key` gets `body`, the times and a new version: `base` plus one
    where it is written in place, 1 where it is created. `base` is the version the
    write was made from: it is applied only if the record (`source` for a move)
    still has it. None creates a new record at `key` (with no `source`), or moves
    whatever live record `source` holds (a move under ``on_conflict="overwrite"``
    copies the whole session, checking nothing but that the session was not ended).

    `source` is the record a regenerated session moves away from (deleted in the
    same step); `forward`, for a source that held a user, asks to leave a short-lived
    pointer to the new record where the source was, so that a revocation that listed
    the source still finds the session (Redis, where the index and the record are
    two steps; the memory store is one).

    `index` may be applied with the write even if the write fails (it only adds
    the record's own new key, or refreshes an expiry); `after` only once the write
    succeeded (removals, and listing an existing record under another user).
    """

    key: str
    source: str | None
    base: int | None
    body: bytes
    created: int
    issued: int
    ttl: int
    now: int
    index: tuple[IndexChange, ...] = ()
    after: tuple[IndexChange, ...] = ()
    forward: bool = False


@dataclass(slots=True)
class Loaded:
    """What a read remembers for the write (treat it as immutable, as `StoreWrite`): the
    raw tag and id, the record's key and version (-1: unknown, so a write learns it
    from the store), the user it held (as `user_text`), and the cookie value read,
    when it is signed with the current key (a write that keeps the id sends it again
    instead of signing the id anew)."""

    raw: bytes
    key: str
    version: int
    user: str | None
    value: str | None = attribute(default=None, repr=False)


class _Turns:
    """The requests of one process writing one session that another request wrote
    first: they take turns, and each merges onto what the one before it wrote, so that
    many writers of one session cost about one compare-and-set each rather than
    retrying against each other (a session every tab of a browser writes at once)."""

    __slots__ = ("latest", "lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # binds to the event loop only when contended
        self.latest: Stored | None = None
        """The record as the last of them wrote it."""
        self.users = 0
        """The requests holding or awaiting the turn."""


class StoreBackend(ABC):
    """Base of the server-side stores: everything but talking to the storage itself.

    Subclasses implement `_fetch`, `_apply`, `_remove` and `_revoke` for their
    storage; this class holds ids, keys, encryption, expiry, merging and the user index.
    """

    __slots__ = (
        "_id_macs",
        "_index_keys",
        "_indexes",
        "_lifetime",
        "_limit",
        "_on_conflict",
        "_prefix",
        "_sealer",
        "_seen",
        "_serializer",
        "_turns",
        "_user_key",
    )

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        cookie_name: str = "session",
        serializer: Serializer | None = None,
        user_key: str = "user_id",
        prefix: str = "satchel:",
        encrypt: bool = False,
        on_conflict: OnConflict = "overwrite",
        max_bytes: int = 256 * 1024,
    ) -> None:
        self._id_macs = tuple(_Mac(k.key) for k in keyring.derive(f"store/v1/id/{cookie_name}"))
        self._index_keys = tuple(k.key for k in keyring.derive("store/v1/user-index", 32))
        self._indexes: dict[str, str] = {}
        self._seen: dict[str, _Seen] = {}
        self._turns: dict[str, _Turns] = {}
        self._sealer = Sealer(keyring, "store/v1/data") if encrypt else None
        self._lifetime = lifetime
        self._serializer = serializer or JSONSerializer()
        self._user_key = user_key
        self._prefix = prefix
        self._on_conflict = on_conflict
        self._limit = max_bytes

    @staticmethod
    def options(settings: SessionSettings) -> dict[str, Any]:
        """Constructor keywords shared by every store, taken from *settings*."""
        return {
            "cookie_name": settings.cookie_name,
            "user_key": settings.user_key,
            "prefix": settings.store_prefix,
            "encrypt": settings.store_encrypt,
            "on_conflict": settings.on_conflict,
            "max_bytes": settings.max_session_bytes,
        }

    # -- ids and keys --------------------------------------------------------------------

    def _value(self, raw: bytes) -> str:
        # base64url of 51 bytes: 68 characters, no padding to strip
        signed = binascii.b2a_base64(raw + self._id_macs[0](raw)[:MAC_BYTES], newline=False)
        return signed.translate(_URLSAFE).decode("ascii")

    def _verify(self, value: str) -> tuple[bytes, bool]:
        """The raw tag and id of a cookie value, once its MAC checks out under some key,
        and whether that key is the current one."""
        blob = b64decode(value)
        if len(blob) != _RAW_BYTES + MAC_BYTES:
            raise BadCookie("not a session id")
        raw, mac = blob[:_RAW_BYTES], blob[_RAW_BYTES:]
        for index, key in enumerate(self._id_macs):
            if hmac.compare_digest(mac, key(raw)[:MAC_BYTES]):
                return raw, index == 0
        raise BadCookie("bad session id signature")

    def _identify(self, value: str) -> _Seen:
        """What cookie *value* names, once its MAC checks out (`_verify`): remembered, so a
        value is verified once per process while it is in use. Only a value this process
        verified is ever found, so a forged one is still refused before any lookup."""
        seen = self._seen.get(value)
        if seen is None:
            raw, current = self._verify(value)
            seen = (raw, self._key(raw), current, value[:46] + _ID_END[value[46]])
            self._remember(value, seen)
        return seen

    def _remember(self, value: str, seen: _Seen) -> None:
        if len(self._seen) >= _SEEN:
            self._seen.clear()
        self._seen[value] = seen

    def _key(self, raw: bytes) -> str:
        digest = hashlib.sha256(raw).hexdigest()[:32]
        return f"{self._prefix}{{{raw[:TAG_BYTES].hex()}}}:{digest}"

    def _index(self, user: str, key: bytes | None = None) -> str:
        """The index of the user whose `user_text` is *user* (under the current key
        unless *key* names another)."""
        if key is None:
            name = self._indexes.get(user)
            if name is None:
                if len(self._indexes) >= _INDEX_CACHE:
                    self._indexes.clear()
                name = self._indexes[user] = self._index(user, self._index_keys[0])
            return name
        text = user.encode("utf-8", "surrogatepass")
        digest = b64encode(hmac.digest(key, text, "sha256")[:18])
        return f"{self._prefix}{{u:{digest}}}:sessions"

    def session_id(self, value: str) -> str | None:
        """The id a cookie value carries (no I/O, no check beyond its shape): the
        base64url of its tag and id, read off the value's own characters."""
        seen = self._seen.get(value)
        if seen is not None:
            return seen[3]
        if len(value) != 68 or _VALUE.fullmatch(value) is None:
            return None
        return value[:46] + _ID_END[value[46]]

    # -- sealing -------------------------------------------------------------------------

    def _seal(self, key: str, payload: bytes) -> bytes:
        if self._sealer is None:
            return payload
        return self._sealer.seal(payload, key.encode())

    def _open(self, key: str, body: bytes) -> bytes:
        if self._sealer is None:
            return body
        return self._sealer.open(body, key.encode())

    # -- the Backend protocol --------------------------------------------------------------

    async def read(self, value: str, now: int) -> Record:
        """Verify the id's signature, fetch its record, check both timeouts."""
        raw, key, current, session_id = self._identify(value)
        stored = await self._fetch(key, now)
        if stored is None:
            raise BadCookie("unknown or expired session id")
        payload, created, issued, version = stored
        self._lifetime.check(created, issued, now)
        if self._sealer is not None:
            payload = self._sealer.open(payload, key.encode())
        if len(payload) > self._limit:
            raise BadCookie("stored session larger than max_session_bytes")
        data = self._serializer.loads(payload)
        user = data.get(self._user_key)
        if user is not None and type(user) is not str:
            user = user_text(user)
        handle = Loaded(raw, key, version, user, value if current else None)
        return Record(payload, created, issued, session_id, handle, data)

    async def write(self, record: Record, previous: Record | None) -> str:
        """Store the session: in one compare-and-set on the version read when nobody
        else wrote it since, else merged key by key into what they wrote."""
        payload = record.payload
        if len(payload) > self._limit:  # refused now, rather than stored and unreadable
            raise SessionTooLarge(len(payload), self._limit, stored=True)
        data = record.data if record.data is not None else self._serializer.loads(payload)
        loaded = None
        if previous is not None:
            handle = previous.handle
            loaded = handle if isinstance(handle, Loaded) else self._loaded(previous)
        source = None
        if loaded is None:  # a new session
            raw = secrets.token_bytes(_RAW_BYTES)
            key, base = self._key(raw), None
        elif record.id is None:  # a move to a new id, in the same slot
            raw = loaded.raw[:TAG_BYTES] + secrets.token_bytes(ID_BYTES)
            key, source = self._key(raw), loaded.key
            base = loaded.version if self._on_conflict == "raise" else None
        else:
            raw, key, base = loaded.raw, loaded.key, loaded.version
        expires = self._lifetime.expires_at(record.created, record.issued)
        user = data.get(self._user_key)
        if user is not None and type(user) is not str:
            user = user_text(user)
        index, after = self._index_changes(previous, loaded, user, key, expires)
        change = StoreWrite(
            key,
            source,
            base,
            payload if self._sealer is None else self._seal(key, payload),
            record.created,
            record.issued,
            max(expires - record.issued, 1),
            record.issued,
            index,
            after,
            source is not None and loaded is not None and loaded.user is not None,
        )
        turns: _Turns | None = None
        outcome: Stored | bool | None = None
        try:
            if base is not None and source is None and key in self._turns:
                turns = await self._take_turn(key)  # others of this process write it now
                outcome = self._newer(turns, base)
            while True:
                if outcome is None:
                    outcome = await self._apply(change)
                if outcome is True:
                    if turns is not None and change.base is not None:
                        turns.latest = (change.body, change.created, change.issued, change.base + 1)
                    break
                if outcome is False:
                    raise SessionEnded("the session was ended by another request")
                # another request wrote first: what it wrote, with this request's changes
                assert previous is not None
                if turns is None and source is None:
                    turns = await self._take_turn(key)
                    outcome = self._newer(turns, outcome[3]) or outcome
                current = self._open(source or key, outcome[0])
                change.base = outcome[3]
                outcome = None
                if source is None:
                    merged = self._merge(previous.payload, payload, current)
                    if len(merged) > self._limit:
                        raise SessionTooLarge(len(merged), self._limit, stored=True)
                    change.body = self._seal(key, merged)
                else:  # a move copies its own session, once none of its changes conflicts
                    self._merge(previous.payload, payload, current)
        finally:
            if turns is not None:
                self._end_turn(key, turns)
        if loaded is not None and raw is loaded.raw and loaded.value is not None:
            return loaded.value
        value = self._value(raw)
        self._remember(value, (raw, key, True, value[:46] + _ID_END[value[46]]))
        return value

    async def _take_turn(self, key: str) -> _Turns:
        """Wait for this request's turn to write *key* among this process's writers."""
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = _Turns()
        turns.users += 1
        try:
            await turns.lock.acquire()
        except BaseException:
            turns.users -= 1
            if not turns.users:
                del self._turns[key]
            raise
        return turns

    def _end_turn(self, key: str, turns: _Turns) -> None:
        turns.lock.release()
        turns.users -= 1
        if not turns.users and self._turns.get(key) is turns:
            del self._turns[key]

    @staticmethod
    def _newer(turns: _Turns, version: int) -> Stored | None:
        """The record the writer before wrote, if newer than *version*."""
        latest = turns.latest
        return latest if latest is not None and latest[3] > version else None

    def _merge(self, base: bytes, mine: bytes, current: bytes) -> bytes:
        """*current* with this request's changes, the keys that differ between *base*
        (the session it loaded) and *mine* (the session it writes), applied; with
        ``on_conflict="raise"``, `SessionConflict` when another request changed one
        of them first."""
        loads, dumps = self._serializer.loads, self._serializer.dumps
        old, new, merged = loads(base), loads(mine), loads(current)
        strict = self._on_conflict == "raise"

        def entry(data: dict[str, Any], name: str) -> bytes | None:
            return dumps({name: data[name]}) if name in data else None

        for name in [*new, *(n for n in old if n not in new)]:
            was = entry(old, name)
            if was == entry(new, name):
                continue  # not changed by this request
            if strict and entry(merged, name) != was:
                raise SessionConflict("another request changed the same session keys first")
            if name in new:
                merged[name] = new[name]
            else:
                merged.pop(name, None)
        return dumps(merged)

    def _loaded(self, previous: Record) -> Loaded | None:
        """What `read` would have remembered, rebuilt from a record's id and payload (the
        version unknown, so a write asks the store)."""
        if previous.id is None:
            return None
        raw = b64decode(previous.id)
        old = self._serializer.loads(previous.payload)
        return Loaded(raw, self._key(raw), -1, user_text(old.get(self._user_key)))

    def _index_changes(
        self,
        previous: Record | None,
        loaded: Loaded | None,
        user: str | None,
        key: str,
        expires: int,
    ) -> tuple[tuple[IndexChange, ...], tuple[IndexChange, ...]]:
        """The user-index updates a write needs, as `StoreWrite.index` and `.after`: none
        unless the user, the record or (for a logged-in session) its expiry changed, so
        most writes touch one slot.

        In Redis the index lives in the user's slot, another step than the record's:
        what may run with the write (and so even when it fails) only lists the record's
        new key (which points at nothing if the write fails) or refreshes an expiry;
        removals and listing an existing record under another user wait for success.
        """
        old_user = loaded.user if loaded is not None else None
        if user is None and old_user is None:
            return (), ()  # anonymous before and after: most writes
        old_key = loaded.key if loaded is not None else None
        now: list[IndexChange] = []
        after: list[IndexChange] = []
        if old_user is not None and old_key is not None and (old_user != user or old_key != key):
            after.append(IndexChange(self._index(old_user), old_key, None))
        if user is not None:
            unchanged = (
                previous is not None
                and user == old_user
                and key == old_key
                and expires == self._lifetime.expires_at(previous.created, previous.issued)
            )
            if not unchanged:
                change = IndexChange(self._index(user), key, expires)
                # an existing record listed under another user must not be, if it fails
                (after if key == old_key and user != old_user else now).append(change)
        return tuple(now), tuple(after)

    async def delete(self, record: Record) -> None:
        """Delete the record and its entry in its user's index."""
        loaded = record.handle if isinstance(record.handle, Loaded) else self._loaded(record)
        if loaded is None:
            return
        user = loaded.user
        index = () if user is None else (IndexChange(self._index(user), loaded.key, None),)
        await self._remove(loaded.key, index, record.issued)

    async def revoke_user(self, user_id: Any) -> int:
        """End every session that holds *user_id* (a `str` or an `int`: ``42`` and
        ``"42"`` are one user); returns how many were ended.

        Sessions that a request regenerates or writes while this runs end too; a login
        that completes after it began is a new session (the next revocation ends it).
        """
        user = user_text(user_id)
        if user is None:
            raise TypeError(f"a user id is a str or an int, not {type(user_id).__name__}")
        # the index under every key still accepted, and under the name it had before ids
        # were keyed by their text (JSON: '"alice"'), until those sessions expire
        names = (user, json.dumps(user))
        indexes = dict.fromkeys(self._index(n, k) for k in self._index_keys for n in names)
        return sum([await self._revoke(index) for index in indexes])

    # -- storage ---------------------------------------------------------------------------

    @abstractmethod
    async def _fetch(self, key: str, now: int) -> Stored | None:
        """The record at *key*, or None when there is none."""

    @abstractmethod
    async def _apply(self, change: StoreWrite) -> Stored | bool:
        """Apply *change* atomically: True when it is written; False when the session
        is gone (ended by another request); or, when the record (`source` for a move)
        no longer has version `change.base`, the record as it stands, and nothing is
        written (nor the `after` index changes applied)."""

    @abstractmethod
    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        """Delete the record at *key* and apply the index changes."""

    @abstractmethod
    async def _revoke(self, index: str) -> int:
        """Delete every session listed in *index* (following a moved session to its new
        record), and those entries; return how many live sessions were deleted."""
