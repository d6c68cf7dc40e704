"""`SessionManager`: the one engine every adapter drives, with `load` and `commit`."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

from satchel._state import SessionState
from satchel.backends import build_backend
from satchel.cookies import DefaultCookiePolicy, _StaleChunks
from satchel.errors import BackendUnavailable, BadCookie, SessionEnded
from satchel.legacy import LegacyFormat, LegacyStore, _expiring, _Origin, _readers
from satchel.protocols import (
    Backend,
    ClosesConnections,
    CookieBackend,
    CookiePolicy,
    IdentifiesSessions,
    LimitsCookieSize,
    RevokesSessions,
    Serializer,
)
from satchel.records import CookieValue, Lifetime, Record
from satchel.serializers import build_serializer
from satchel.session import Session, _check_user_id
from satchel.settings import SessionSettings

logger = logging.getLogger("satchel")

Cookies = Mapping[str, str] | str | Sequence[tuple[bytes, bytes]] | None
"""A request's cookies: the raw Cookie header (preferred: only the raw header shows
a cookie sent twice), the request's ASGI headers (whose Cookie headers are then
read only if the session is touched), or the framework's parsed mapping."""

ASGIHeaders = Iterable[tuple[bytes, bytes]]

_NO_LIMIT = 4096 * 20
"""The longest cookie value read when the cookie policy does not say (`LimitsCookieSize`)."""

_VARY = (b"vary", b"Cookie")
_PRIVATE = (b"cache-control", b"private")


@dataclass(slots=True)
class _Fetched:
    """What `load` fetched (a store's record, a legacy session), waiting for the first touch
    (not frozen: a frozen dataclass costs 0.5 µs more to build, on every store request)."""

    incoming: CookieValue | None
    record: Record | None
    migrated: tuple[dict[str, Any], _Origin] | None = None
    """What a legacy reader found, when the backend had no record."""


@dataclass(slots=True)
class _Migrated(SessionState):
    """A session read from an incumbent's cookie: the commit that first writes (or
    expires) satchel's cookie also retires the old cookie and record."""

    origin: _Origin | None = None


class SessionManager:
    """Loads a request's session from its cookies and commits it into Set-Cookie headers.

    Build one per application (at start-up, not per request) from
    `SessionSettings`, or from explicit backend, serializer and cookie policy
    objects. Adapters call `load` when a request arrives and `commit` (or
    `commit_headers`) when the response starts; they decide nothing themselves.
    *legacy* replaces the readers of incumbent sessions that ``legacy_formats`` names
    (`LegacyFormat` and `LegacyStore` objects, such as `StarsessionsStore` over a
    starsessions InMemoryStore).
    """

    __slots__ = (
        "_clock",
        "_close",
        "_expire_legacy",
        "_identify",
        "_lazy",
        "_legacy",
        "_legacy_cookie",
        "_legacy_name",
        "_legacy_stores",
        "_max_value",
        "_model",
        "_nowait",
        "_persistent",
        "_refresh",
        "_revoke",
        "backend",
        "cookie",
        "lifetime",
        "serializer",
        "settings",
    )

    def __init__(
        self,
        settings: SessionSettings | None = None,
        *,
        backend: Backend | None = None,
        serializer: Serializer | None = None,
        cookie: CookiePolicy | None = None,
        clock: Callable[[], float] = time.time,
        legacy: Sequence[LegacyFormat | LegacyStore] | None = None,
    ) -> None:
        self.settings = settings if settings is not None else SessionSettings()
        self.serializer: Serializer = (
            serializer if serializer is not None else build_serializer(self.settings.json_library)
        )
        self.cookie: CookiePolicy = (
            cookie if cookie is not None else DefaultCookiePolicy.from_settings(self.settings)
        )
        self.backend: Backend = (
            backend if backend is not None else build_backend(self.settings, self.serializer)
        )
        self.lifetime = Lifetime.from_settings(self.settings)
        self._clock = clock
        self._lazy = isinstance(self.backend, CookieBackend)
        self._model = self.settings.data_model
        readers = tuple(legacy) if legacy is not None else _readers(self.settings)
        for reader in readers:
            if not isinstance(reader, LegacyFormat | LegacyStore):
                raise TypeError(f"{reader!r} is neither a LegacyFormat nor a LegacyStore")
        self._legacy = tuple(r for r in readers if not isinstance(r, LegacyStore))
        self._legacy_stores = tuple(r for r in readers if isinstance(r, LegacyStore))
        migrating = bool(readers)
        different = self.settings.legacy_cookie_name not in (None, self.settings.cookie_name)
        self._legacy_name = self.settings.legacy_cookie_name if migrating and different else None
        self._legacy_cookie = (  # the incumbent's cookie, parsed as satchel's own is
            None if self._legacy_name is None else DefaultCookiePolicy(self._legacy_name)
        )
        self._expire_legacy = _expiring(self.settings) if migrating else None
        # a legacy store is I/O: then even a cookie backend's session is fetched in `load`
        self._nowait = self._lazy and not self._legacy_stores
        refreshing = self.settings.rolling or self.settings.idle_timeout is not None
        self._refresh = int(self.settings.refresh_interval.total_seconds()) if refreshing else None
        self._persistent = self.settings.persistent
        # optional abilities, looked up once here rather than on every request
        backend = self.backend
        self._identify: Callable[[str], str | None] | None = (
            backend.session_id if isinstance(backend, IdentifiesSessions) else None
        )
        self._revoke: Callable[[Any], Awaitable[int]] | None = (
            backend.revoke_user if isinstance(backend, RevokesSessions) else None
        )
        self._close: Callable[[], Awaitable[None]] | None = (
            backend.aclose if isinstance(backend, ClosesConnections) else None
        )
        limit = self.cookie.max_value_size if isinstance(self.cookie, LimitsCookieSize) else None
        self._max_value = limit if isinstance(limit, int) else _NO_LIMIT

    def __repr__(self) -> str:
        return f"SessionManager(backend={type(self.backend).__name__})"

    def now(self) -> int:
        """The engine's clock, in whole Unix seconds."""
        return int(self._clock())

    def load_nowait(self, cookies: Cookies) -> Session | None:
        """The session for *cookies* at once when no I/O is needed (cookie backends,
        which decode on first touch, unless a `LegacyStore` is configured), else None:
        then await `load`. Adapters use it to spare untouched requests even the cost
        of a coroutine."""
        return Session(self, cookies) if self._nowait else None

    async def load(self, cookies: Cookies) -> Session:
        """The session for a request's cookies. Never raises for bad cookie input.

        With a cookie backend nothing is parsed or verified here: that happens
        when the handler first touches the session. A store backend fetches the
        record now (one round trip), and raises `BackendUnavailable` if it cannot;
        so does a `LegacyStore`, asked (for any backend) when there is no record.
        """
        if self._nowait:
            return Session(self, cookies)
        return Session(self, await self._fetch(cookies))

    def prepare(self, cookies: Cookies) -> Session:
        """A session that does nothing, not even I/O, until ``await session.load()``;
        touching it before then raises `SessionNotLoaded` (explicit loading)."""
        return Session(self, cookies, pending=True)

    async def _fetch(self, cookies: Any) -> Any:
        """What `Session` decodes on first touch: the cookies themselves for a cookie
        backend, the store's record (fetched now) for any other, and what a legacy
        reader found when there is no record (a `LegacyStore` is asked now)."""
        if self._nowait:
            return cookies
        incoming = record = None
        remains: CookieValue | None = None
        header = _header(cookies)
        try:
            incoming = self.cookie.read(header)
            if incoming is not None:
                value = self._checked(incoming)
                if self._lazy:
                    backend: CookieBackend = self.backend  # type: ignore[assignment]
                    record = backend.unseal(value, self.now())
                else:
                    record = await self.backend.read(value, self.now())
        except BackendUnavailable:
            raise
        except Exception as exc:
            self._rejected(exc)
            record = None
            remains = _remains(exc, incoming)
        migrated = None
        if record is None and (self._legacy or self._legacy_stores):
            legacy = self._legacy_value(header, incoming)
            if legacy is not None:
                migrated = self._migrate(legacy) or await self._recall(legacy)
        return _Fetched(incoming if remains is None else remains, record, migrated)

    @property
    def can_revoke(self) -> bool:
        """Whether `revoke_user` works here (store backends keep the index it needs)."""
        return self._revoke is not None

    async def revoke_user(self, user_id: Any) -> int:
        """End every session whose data holds *user_id* under ``settings.user_key``
        (log out everywhere); returns how many ended.

        Only store backends keep the index this needs: a cookie backend's sessions
        live in browsers and end when they expire (rotate the secret to end them all).
        """
        revoke = self._revoke
        if revoke is None:
            name = type(self.backend).__name__
            raise TypeError(f"{name} cannot revoke sessions: use the memory or redis backend")
        return await revoke(user_id)

    async def logout_everywhere(self, session: Session) -> int:
        """Log *session*'s user out here (`Session.logout`) and, where the backend keeps
        the index (memory, redis), from every other session too; returns how many stored
        sessions of the user ended, this one included. A cookie backend cannot reach
        other browsers: only this session ends, with a warning in the log."""
        user_id = session.user_id
        session.logout()
        if user_id is None:
            return 0
        if self._revoke is None:
            logger.warning(
                "logout everywhere: %s cannot end other sessions", type(self.backend).__name__
            )
            return 0
        return await self._revoke(user_id)

    async def aclose(self) -> None:
        """Release the backend's connections, and those of legacy stores (adapters call it
        at application shutdown)."""
        if self._close is not None:
            await self._close()
        for store in self._legacy_stores:
            if isinstance(store, ClosesConnections):
                await store.aclose()

    def _checked(self, incoming: CookieValue) -> str:
        if len(incoming.value) > self._max_value:
            raise BadCookie("cookie longer than any this application sends")
        return incoming.value

    def _open(self, source: Any) -> SessionState:
        """Decode a session on its first touch (a fresh one if the cookie is bad)."""
        incoming = record = remains = None
        fetched = type(source) is _Fetched
        try:
            if fetched:
                incoming, record = source.incoming, source.record
            else:
                source = _header(source)
                incoming = self.cookie.read(source)
                if incoming is not None:
                    value = incoming.value
                    if len(value) > self._max_value:
                        raise BadCookie("cookie longer than any this application sends")
                    backend: CookieBackend = self.backend  # type: ignore[assignment]
                    record = backend.unseal(value, int(self._clock()))
            if record is not None:
                data = (
                    record.data
                    if record.data is not None
                    else self.serializer.loads(record.payload)
                )
                if self._model is not None:
                    self._model.model_validate(data)
                return SessionState(data, record, incoming)
        except Exception as exc:
            self._rejected(exc)
            remains = _remains(exc, incoming)
        migrated = None
        if fetched:
            migrated = source.migrated
        elif self._legacy:
            legacy = self._legacy_value(source, incoming)
            if legacy is not None:
                migrated = self._migrate(legacy)
        if remains is not None:  # a refused cookie: what it leaves goes with the response
            incoming = remains
        if migrated is not None:
            # no record: the next commit writes satchel's cookie and retires the old one
            return _Migrated(migrated[0], None, incoming, origin=migrated[1])
        return SessionState({}, None, incoming)

    def _legacy_value(
        self, header: Mapping[str, str] | str | None, incoming: CookieValue | None
    ) -> str | None:
        """The incumbent's cookie: under ``legacy_cookie_name``, else satchel's own name."""
        if self._legacy_cookie is not None:
            try:
                found = self._legacy_cookie.read(header)
            except (BadCookie, ValueError):  # sent twice, malformed: nothing is trusted
                return None
            return None if found is None else found.value or None
        return None if incoming is None else incoming.value

    def _migrate(self, value: str) -> tuple[dict[str, Any], _Origin] | None:
        """What the first legacy format to vouch for cookie *value* reads in it."""
        for legacy in self._legacy:
            try:
                data = legacy.read(value, self.now())
                if self._usable(data):
                    return data, _Origin(value)
            except Exception as exc:
                self._rejected(exc)
        return None

    async def _recall(self, value: str) -> tuple[dict[str, Any], _Origin] | None:
        """What the first `LegacyStore` holding the session cookie *value* names holds.
        A store that does not answer raises `BackendUnavailable`."""
        for store in self._legacy_stores:
            try:
                data = await store.fetch(value, self.now())
                if self._usable(data):
                    return data, _Origin(value, store)
            except BackendUnavailable:
                raise
            except Exception as exc:
                self._rejected(exc)
        return None

    def _usable(self, data: object) -> TypeGuard[dict[str, Any]]:
        """Whether a legacy reader's *data* can become the session (a non-empty dict,
        nested no deeper than `LEGACY_DEPTH`, that fits the data model; a misfit raises,
        and is logged as refused)."""
        if not isinstance(data, dict) or not data or not _shallow(data, LEGACY_DEPTH):
            return False
        if self._model is not None:
            self._model.model_validate(data)
        return True

    async def _retire(self, origin: _Origin | None) -> list[str]:
        """Retire a migrated session's origin: delete its store record (best effort: the
        store's TTL ends it otherwise) and expire the old cookie where satchel's own
        does not replace it."""
        if origin is not None and origin.store is not None:
            try:
                await origin.store.discard(origin.value)
            except Exception as exc:
                logger.warning(
                    "the migrated session's old record could not be deleted (%s); "
                    "it ends with its store's expiry",
                    type(exc).__name__,
                )
        return [] if self._expire_legacy is None else [self._expire_legacy]

    def _heal(self, state: SessionState, record: Record | None) -> list[str]:
        """For a response that writes nothing else: expire the chunk cookies the request
        carried and its session does not use (an incomplete, stale or mismatched set), so
        the next request starts clean. A refused session's head goes too; a valid one's
        cookie is sent again as it was, with the leftovers expired."""
        incoming = state.incoming
        if incoming is None or not incoming.stale:
            return []
        state.incoming = replace(incoming, stale=False)
        if record is None:
            return self.cookie.render(None, max_age=None, previous=incoming)
        end = self.lifetime.expires_at(record.created, record.issued)
        max_age = end - self.now() if self._persistent else None
        return self.cookie.render(incoming.value, max_age=max_age, previous=incoming)

    def _rejected(self, exc: Exception) -> None:
        if isinstance(exc, BadCookie):
            self.reject(exc.reason)
        elif isinstance(exc, ValueError | UnicodeError | RecursionError):
            self.reject("session data is not valid", type(exc).__name__)
        else:
            logger.warning(
                "unexpected %s while reading a session cookie; starting a fresh session",
                type(exc).__name__,
                exc_info=True,
            )

    def reject(self, reason: str, detail: str = "") -> None:
        """Log why a session was refused (debug level; never the cookie or a secret)."""
        if detail:
            logger.debug("session refused, starting fresh: %s (%s)", reason, detail)
        else:
            logger.debug("session refused, starting fresh: %s", reason)

    async def commit(self, session: Session) -> list[str]:
        """Set-Cookie header values for the response; empty when nothing must be sent.

        Nothing for an untouched or read-only session, unless a rolling or
        idle-timeout refresh is due; an expiring cookie (every chunk) plus a
        backend delete for a cleared one; otherwise the new cookie. Raises
        `SessionTooLarge` or `SerializationError` rather than lose data.
        """
        if not session.accessed:
            return []
        state = session._state
        record, incoming = state.record, state.incoming
        if not dict.__len__(session):  # dict's own methods on a loaded session: no bookkeeping
            if record is None:
                if type(state) is _Migrated:  # ended before its first write: end the old one
                    session._state = SessionState(None)
                    retired = await self._retire(state.origin)
                    if self._legacy_name is None:
                        retired += self.cookie.render(None, max_age=None, previous=incoming)
                    return retired
                return self._heal(state, None)
            await self.backend.delete(record)
            session._state = SessionState(None)
            return self.cookie.render(None, max_age=None, previous=incoming)
        now = int(self._clock())
        regenerate = state.regenerate
        user = dict.get(session, self.settings.user_key)
        if user != state.user:
            regenerate = True  # the user changed, by login or a direct write: new identity
            if user is not None:
                _check_user_id(user)  # one the user index can key (a str or an int)
        unchanged = record is not None and not regenerate and state.clean
        if unchanged and (self._refresh is None or now - record.issued < self._refresh):  # type: ignore[union-attr]
            return self._heal(state, record)  # only immutable values were read: no change
        # A plain copy, through dict's own items view (dict.copy and {**session} call the
        # session's methods): a serializer given the session itself would call its
        # items(), which checks every value for a mutable one.
        data = dict(dict.items(session))
        payload = self.serializer.dumps(data)
        if record is not None and not regenerate and payload == record.payload:
            if self._refresh is None or now - record.issued < self._refresh:
                return self._heal(state, record)
        elif self._model is not None:
            self._model.model_validate(data)
        previous = record
        if state.cleared and record is not None and self.settings.user_key not in data:
            # Ended, then written without a user (a goodbye flash): the old record goes
            # and this is a new anonymous session, even if another request ended the old
            # one meanwhile. With a user, the write moves the old record instead, so a
            # session that "log out everywhere" ended is never brought back logged in.
            await self.backend.delete(record)
            previous = None
            session._state = SessionState(None, None, incoming, regenerate, state.clean)
        fresh = record is None or regenerate
        created = now if fresh else record.created  # type: ignore[union-attr]
        new = Record(payload, created, now, None if fresh else record.id, None, data)  # type: ignore[union-attr]
        try:
            if self._lazy:  # a cookie backend: sealing is the whole write, and no I/O
                value = self.backend.seal(new)  # type: ignore[attr-defined]
            else:
                value = await self.backend.write(new, previous)
        except SessionEnded:
            self.reject("the session ended while this request ran; its changes are dropped")
            session._state = SessionState(None)
            return self.cookie.render(None, max_age=None, previous=incoming)
        new.data = None  # the record outlives this commit; the session is the data
        max_age = self.lifetime.expires_at(created, now) - now if self._persistent else None
        headers = self.cookie.render(value, max_age=max_age, previous=incoming)
        identify = self._identify
        stale = incoming.chunks if incoming is not None else 0
        session._state = SessionState(  # positional: keywords cost ~80 ns here
            None,
            new if identify is None else Record(payload, created, now, identify(value)),
            CookieValue(value, max(stale, len(headers) - 1)),
            False,
            state.clean,
            False,
            user,
        )
        if type(state) is _Migrated:
            return headers + await self._retire(state.origin)
        return headers

    async def commit_pairs(
        self, session: Session, vary: Iterable[str] = (), cache_control: Iterable[str] = ()
    ) -> list[tuple[str, str]]:
        """Same as `commit_headers`, for a framework whose headers are text: what the
        session gives a response whose Vary and Cache-Control values are *vary* and
        *cache_control* (no copy of the response's headers is made). Every pair is
        added, but a ``cache-control`` pair, which replaces the response's own."""
        if not session.accessed:
            return []
        cookies = await self.commit(session)
        added = [("set-cookie", cookie) for cookie in cookies]
        tokens = {t.strip().lower() for value in vary for t in value.split(",")}
        if "cookie" not in tokens and "*" not in tokens:
            added.append(("vary", "Cookie"))
        given = ", ".join(cache_control)
        if not given:
            added.append(("cache-control", "private"))
        elif cookies and (safe := _kept_private(given)) is not None:
            added.append(("cache-control", safe))
        return added

    async def commit_headers(
        self, session: Session, headers: ASGIHeaders = ()
    ) -> list[tuple[bytes, bytes]]:
        """Commit *session* and return a new list: *headers* plus what the session adds.

        The input headers come first, in order, and the additions follow, so
        ``result[len(headers):]`` is exactly what the session added. That is every
        Set-Cookie, and whenever the session was read or issued, ``Vary: Cookie``
        (unless already there) and ``Cache-Control: private`` (unless the response
        sets its own Cache-Control), so shared caches never serve one user's page or
        cookie to another. The input headers are unchanged but for one thing: a
        response that carries a session cookie is never stored by a shared cache,
        so a Cache-Control that would allow it (``public``, ``s-maxage``) is made
        ``private`` in place. *headers* is not modified.
        """
        result = list(headers)
        if not session.accessed:
            return result
        cookies = await self.commit(session)
        vary = False
        cache: list[int] = []
        for index, (name, value) in enumerate(result):
            lowered = name.lower()
            if lowered == b"vary":
                tokens = {t.strip().lower() for t in value.split(b",")}
                vary = vary or b"cookie" in tokens or b"*" in tokens
            elif lowered == b"cache-control":
                cache.append(index)
        if cookies and cache:
            given = ", ".join(result[i][1].decode("latin-1") for i in cache)
            if _kept_private(given) is not None:  # each header, rewritten where it stands
                for i in cache:
                    safe = _kept_private(result[i][1].decode("latin-1"))
                    if safe is not None:
                        result[i] = (result[i][0], safe.encode("latin-1"))
        result.extend((b"set-cookie", c.encode("latin-1")) for c in cookies)
        if not vary:
            result.append(_VARY)
        if not cache:
            result.append(_PRIVATE)
        return result


LEGACY_DEPTH = 32
"""The deepest nesting of lists and objects a legacy session may have: incumbents' sessions
are flat, and how deep JSON parses depends on the Python version (3.13 reads deeper)."""


def _shallow(data: object, limit: int) -> bool:
    """Whether *data*'s lists and dicts nest no deeper than *limit* (no recursion)."""
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth >= limit:
                return False
            pending.extend((item, depth + 1) for item in value)
    return True


def _kept_private(cache_control: str) -> str | None:
    """*cache_control* made to keep a response out of shared caches (``private`` first,
    ``public`` and ``s-maxage`` dropped), or None when it already does (``private``,
    ``no-store``)."""
    kept = []
    for part in cache_control.split(","):
        directive = part.strip()
        name = directive.partition("=")[0].strip().lower()
        if name in ("private", "no-store"):
            return None
        if directive and name not in ("public", "s-maxage"):
            kept.append(directive)
    return ", ".join(["private", *kept])


def _header(cookies: Cookies) -> Mapping[str, str] | str | None:
    """The Cookie header(s) of ASGI headers, joined as HTTP/2 allows; others as given."""
    if type(cookies) is not list and (cookies is None or isinstance(cookies, str | Mapping)):
        return cookies
    found = None
    for name, value in cookies:
        if name == b"cookie":
            found = value if found is None else found + b"; " + value
    return None if found is None else found.decode("latin-1")


def _remains(exc: Exception, incoming: CookieValue | None) -> CookieValue | None:
    """What a refused request's session cookies leave for the response to expire: with
    chunks, every chunk cookie and the head (so the next request starts clean), else
    nothing. None when *exc* tells nothing more than *incoming* does."""
    if isinstance(exc, _StaleChunks):
        return exc.leftover
    if incoming is not None and incoming.chunks:
        return CookieValue("", incoming.chunks, True)
    return None
