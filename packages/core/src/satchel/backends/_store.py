"""What the memory and redis stores share: signed ids, hashed keys, per-key writes, revocation.

The cookie holds ``base64url(tag | id | mac)``: a 24-bit routing tag, 256 random
bits of id from `secrets`, and a 128-bit HMAC over both, so a forged id is
refused before any lookup. The store keys on ``prefix{tag}:hash(tag | id)``: a
leaked store or key listing gives no usable id, and the tag, kept across
`Session.regenerate`, puts every key one write touches in one Redis Cluster slot.

A record is a hash of fields: ``m:c`` and ``m:i`` (created, last written) and
one ``d:<name>`` field per session key, holding that key's serialized value.
Writes send only the fields that changed, so two requests that change different
keys of one session both persist. With ``store_encrypt`` every value is sealed
with AES-256-GCM bound to its record and field, and field names are hashed; a
write seals again, under the current key, the fields it read under a fallback.

A user index lists the sessions of one user (`revoke_user`). It keys a user id by
its text, ``str(user_id)``, so ``42`` and ``"42"`` are one user; an id that is
neither a `str` nor an `int` is not indexed (`revoke_user` refuses it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
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
CREATED = "m:c"
ISSUED = "m:i"
DATA = "d:"


def user_text(user_id: object) -> str | None:
    """The text a user index keys *user_id* by: ``str(user_id)`` for a `str` or an `int`
    (not a `bool`), None for anything else."""
    if isinstance(user_id, str):
        return str.__str__(user_id)
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        return int.__repr__(user_id)
    return None


@dataclass(frozen=True, slots=True)
class IndexChange:
    """Add or remove one session in one user's index (a sorted set scored by expiry)."""

    index: str
    member: str
    expires: int | None
    """The session's expiry for an addition; None removes the member."""


@dataclass(slots=True)
class StoreWrite:
    """One atomic change to a stored session, as a storage engine applies it (treat it
    as immutable: it is not frozen because a frozen dataclass is slow to build).

    `source` is the record a regenerated session moves away from (deleted in the
    same step) and `create` says the record is new; `forward`, for a source that
    held a user, asks to leave a short-lived pointer to the new record where the
    source was, so that a revocation that listed the source still finds the session
    (Redis, where the index and the record are two steps; the memory store is one).
    `expect`, with ``on_conflict="raise"``, maps each touched field to the SHA-1
    (hex) of the stored value it was loaded with ("" when it was absent); any
    difference means another request changed it first. It is checked on the record
    written, or for a move on `source`, as it stands there (a move writes every key,
    but only those it changed are its own changes). `reseal` holds fields read
    under a fallback key, sealed again: each is written only if it still holds
    the value read (its SHA-1), never over another request's change.

    `index` may be applied with the write even if the write fails (it only adds
    the record's own new key, or refreshes an expiry); `after` only once the write
    succeeded (removals, and listing an existing record under another user).
    """

    key: str
    source: str | None
    create: bool
    fields: dict[str, bytes]
    removed: list[str]
    expect: dict[str, str] | None
    created: int
    issued: int
    ttl: int
    now: int
    index: tuple[IndexChange, ...] = ()
    after: tuple[IndexChange, ...] = ()
    forward: bool = False
    reseal: dict[str, tuple[str, bytes]] | None = None


@dataclass(slots=True)
class Loaded:
    """What a read remembers for the write (treat it as immutable, as `StoreWrite`):
    each key's field (the hashed names change when keys rotate) and serialized value,
    the user it held (as `user_text`), and, with ``on_conflict="raise"``, the SHA-1 of
    every stored field; the cookie value read, when it is signed with the current key
    (a write that keeps the id sends it again instead of signing the id anew); and
    the keys sealed under a fallback key, with the SHA-1 of what was stored."""

    key: str | None
    fields: dict[str, str]
    entries: dict[str, bytes]
    user: str | None
    versions: dict[str, str] | None
    value: str | None = attribute(default=None, repr=False)
    stale: dict[str, str] | None = None


class StoreBackend(ABC):
    """Base of the server-side stores: everything but talking to the storage itself.

    Subclasses implement `_fetch`, `_apply`, `_remove` and `_revoke` for their
    storage; this class holds ids, keys, encryption, expiry and the user index.
    """

    __slots__ = (
        "_id_keys",
        "_index_keys",
        "_lifetime",
        "_limit",
        "_on_conflict",
        "_prefix",
        "_sealer",
        "_serializer",
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
        self._id_keys = tuple(k.key for k in keyring.derive(f"store/v1/id/{cookie_name}", 32))
        self._index_keys = tuple(k.key for k in keyring.derive("store/v1/user-index", 32))
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

    def _mac(self, key: bytes, raw: bytes) -> bytes:
        return hmac.digest(key, raw, "sha256")[:MAC_BYTES]

    def _value(self, raw: bytes) -> str:
        return b64encode(raw + self._mac(self._id_keys[0], raw))

    def _verify(self, value: str) -> tuple[bytes, bool]:
        """The raw tag and id of a cookie value, once its MAC checks out under some key,
        and whether that key is the current one."""
        blob = b64decode(value)
        if len(blob) != _RAW_BYTES + MAC_BYTES:
            raise BadCookie("not a session id")
        raw, mac = blob[:_RAW_BYTES], blob[_RAW_BYTES:]
        for index, key in enumerate(self._id_keys):
            if hmac.compare_digest(mac, self._mac(key, raw)):
                return raw, index == 0
        raise BadCookie("bad session id signature")

    def _key(self, raw: bytes) -> str:
        digest = hashlib.sha256(raw).hexdigest()[:32]
        return f"{self._prefix}{{{raw[:TAG_BYTES].hex()}}}:{digest}"

    def _index(self, user: str, key: bytes | None = None) -> str:
        """The index of the user whose `user_text` is *user*."""
        text = user.encode("utf-8", "surrogatepass")
        digest = b64encode(hmac.digest(key or self._index_keys[0], text, "sha256")[:18])
        return f"{self._prefix}{{u:{digest}}}:sessions"

    def session_id(self, value: str) -> str | None:
        """The id a cookie value carries (no I/O, no check beyond its shape)."""
        try:
            blob = b64decode(value)
        except BadCookie:
            return None
        return b64encode(blob[:_RAW_BYTES]) if len(blob) == _RAW_BYTES + MAC_BYTES else None

    # -- fields --------------------------------------------------------------------------

    def _field(self, name: str) -> str:
        if self._sealer is None:
            return DATA + name
        return DATA + b64encode(hmac.digest(self._index_keys[0], name.encode(), "sha256")[:12])

    def _seal(self, key: str, field: str, plain: bytes) -> bytes:
        if self._sealer is None:
            return plain
        return self._sealer.seal(plain, f"{key}\n{field}".encode())

    def _unpack(self, key: str, field: str, stored: bytes) -> tuple[bytes, dict[str, Any]]:
        """A stored field's plain bytes (``{name: value}`` serialized) and its entry."""
        sealer = self._sealer
        plain = stored if sealer is None else sealer.open(stored, f"{key}\n{field}".encode())
        entry = self._serializer.loads(plain)
        if len(entry) != 1 or (sealer is None and DATA + next(iter(entry)) != field):
            raise BadCookie("a stored field does not match its name")
        return plain, entry

    # -- the Backend protocol --------------------------------------------------------------

    async def read(self, value: str, now: int) -> Record:
        """Verify the id's signature, fetch its record, check both timeouts."""
        raw, current = self._verify(value)
        key = self._key(raw)
        fields = await self._fetch(key, now)
        if not fields:
            raise BadCookie("unknown or expired session id")
        try:
            created, issued = int(fields[CREATED]), int(fields[ISSUED])
        except (KeyError, ValueError):
            raise BadCookie("a stored record has no times") from None
        self._lifetime.check(created, issued, now)
        data: dict[str, Any] = {}
        names: dict[str, str] = {}
        entries: dict[str, bytes] = {}
        stale: dict[str, str] | None = None
        sealer = self._sealer
        size = 0
        for field, stored in fields.items():
            if field.startswith(DATA):
                plain, entry = self._unpack(key, field, stored)
                size += len(plain)
                [name] = entry
                data[name] = entry[name]
                names[name] = field
                entries[name] = plain
                if sealer is not None and sealer.stale(stored):
                    stale = stale or {}
                    stale[name] = hashlib.sha1(stored).hexdigest()  # noqa: S324 (a version)
        if size > self._limit:
            raise BadCookie("stored session larger than max_session_bytes")
        versions = None
        if self._on_conflict == "raise":
            # a version stamp compared with Redis' SHA1HEX, not a security digest
            versions = {f: hashlib.sha1(v).hexdigest() for f, v in fields.items()}  # noqa: S324
        handle = Loaded(
            key,
            names,
            entries,
            user_text(data.get(self._user_key)),
            versions,
            value if current else None,
            stale,
        )
        payload = self._serializer.dumps(data)
        return Record(payload, created, issued, b64encode(raw), handle, data)

    async def write(self, record: Record, previous: Record | None) -> str:
        """Store the changed keys only (all of them for a new or regenerated session)."""
        data = record.data if record.data is not None else self._serializer.loads(record.payload)
        loaded = previous.handle if previous is not None else None
        if not isinstance(loaded, Loaded):
            loaded = self._loaded(previous)
        old_raw = b64decode(previous.id) if previous is not None and previous.id else None
        moving = old_raw is not None and record.id is None
        if old_raw is None or moving:
            raw = secrets.token_bytes(ID_BYTES)
            raw = (old_raw[:TAG_BYTES] if old_raw else secrets.token_bytes(TAG_BYTES)) + raw
        else:
            raw = old_raw
        key = loaded.key if raw is old_raw and loaded.key is not None else self._key(raw)
        fields: dict[str, bytes] = {}
        removed: list[str] = []
        expect: dict[str, str] | None = None
        reseal: dict[str, tuple[str, bytes]] | None = None
        dumps = self._serializer.dumps
        size = 0  # as `read` counts it: every key's serialized entry
        if old_raw is None or moving:
            # a move checks, on the record it leaves, the keys it changed or removed
            versions = loaded.versions if moving else None
            stored, entries = loaded.fields, loaded.entries
            check: dict[str, str] = {}
            kept = 0  # keys read and still there: fewer than were read, some were removed
            for name, value in data.items():
                field = self._field(name)
                plain = dumps({name: value})
                size += len(plain)
                fields[field] = self._seal(key, field, plain)
                if versions is not None:
                    read = entries.get(name)
                    if read != plain:
                        field = stored.get(name) or field
                        check[field] = versions.get(field, "")
                    kept += read is not None
            if versions is not None:
                if kept < len(entries):
                    for name in entries:
                        if name not in data:
                            field = stored.get(name) or self._field(name)
                            check[field] = versions.get(field, "")
                expect = check
        else:
            stored, entries = loaded.fields, loaded.entries
            for name, value in data.items():
                plain = dumps({name: value})
                size += len(plain)
                if entries.get(name) != plain:
                    field = stored.get(name) or self._field(name)
                    fields[field] = self._seal(key, field, plain)
            removed = [stored.get(n) or self._field(n) for n in entries if n not in data]
            if loaded.versions is not None:
                expect = {f: loaded.versions.get(f, "") for f in (*fields, *removed)}
            if loaded.stale:  # unchanged keys read under a fallback key: sealed anew
                reseal = {}
                for name, version in loaded.stale.items():
                    field = stored[name]
                    if field not in fields and name in data:
                        reseal[field] = (version, self._seal(key, field, entries[name]))
        if size > self._limit:  # refused now, rather than stored and unreadable
            raise SessionTooLarge(size, self._limit, stored=True)
        expires = self._lifetime.expires_at(record.created, record.issued)
        old_key = loaded.key
        index, after = self._index_changes(previous, loaded.user, old_key, data, key, expires)
        change = StoreWrite(
            key=key,
            source=old_key if moving else None,
            create=old_raw is None or moving,
            fields=fields,
            removed=removed,
            expect=expect,
            created=record.created,
            issued=record.issued,
            ttl=max(expires - record.issued, 1),
            now=record.issued,
            index=index,
            after=after,
            forward=moving and loaded.user is not None,
            reseal=reseal,
        )
        outcome = await self._apply(change)
        if outcome == "gone":
            raise SessionEnded("the session was ended by another request")
        if outcome == "conflict":
            raise SessionConflict("another request changed the same session keys first")
        if raw is old_raw and loaded.value is not None:
            return loaded.value
        return self._value(raw)

    def _loaded(self, previous: Record | None) -> Loaded:
        """What `read` would have remembered, rebuilt from a record's payload."""
        if previous is None:
            return Loaded(None, {}, {}, None, None)
        old = self._serializer.loads(previous.payload)
        entries = {name: self._serializer.dumps({name: v}) for name, v in old.items()}
        key = self._key(b64decode(previous.id)) if previous.id else None
        return Loaded(key, {}, entries, user_text(old.get(self._user_key)), None)

    def _index_changes(
        self,
        previous: Record | None,
        old_user: str | None,
        old_key: str | None,
        data: dict[str, Any],
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
        user = user_text(data.get(self._user_key))
        if user is None and old_user is None:
            return (), ()  # anonymous before and after: most writes
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
        if record.id is None:
            return
        loaded = record.handle if isinstance(record.handle, Loaded) else self._loaded(record)
        key = loaded.key or self._key(b64decode(record.id))
        user = loaded.user
        index = () if user is None else (IndexChange(self._index(user), key, None),)
        await self._remove(key, index, record.issued)

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
    async def _fetch(self, key: str, now: int) -> dict[str, bytes] | None:
        """Every field of the record at *key*, or None when there is none."""

    @abstractmethod
    async def _apply(self, change: StoreWrite) -> str:
        """Apply *change* atomically; return "ok", "gone" or "conflict" (and then leave
        the record and the `after` index changes alone)."""

    @abstractmethod
    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        """Delete the record at *key* and apply the index changes."""

    @abstractmethod
    async def _revoke(self, index: str) -> int:
        """Delete every session listed in *index* (following a moved session to its new
        record), and those entries; return how many live sessions were deleted."""
