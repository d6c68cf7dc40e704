"""Legacy formats: read the sessions of the library an application replaces, once.

An application moving to satchel keeps its users logged in when it names the
incumbent's format in ``legacy_formats``: a session cookie that satchel's backend
rejects (or, with ``legacy_cookie_name``, the incumbent's own cookie) is offered to
each configured reader, and data one of them returns becomes a new session, written
in satchel's format on its next commit, which also expires the old cookie (when its
name differs) and deletes the old server-side record. Each reader verifies
everything itself (signature in constant time, expiry, size, shape) and reads
nothing it cannot vouch for: bad input gives None, and the session starts fresh.

Two kinds of reader: a `LegacyFormat` decodes a cookie value, synchronously (every
cookie format); a `LegacyStore` looks the cookie's id up in the incumbent's store,
which is I/O, so asynchronously (starsessions' memory and Redis stores). With a
`LegacyStore` configured the manager fetches before the handler runs, even for a
cookie backend (`SessionManager.load`), and a store that does not answer raises
`BackendUnavailable` as satchel's own stores do: an outage never logs anyone out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from satchel.errors import BackendUnavailable
from satchel.keys import MIN_SECRET_BYTES
from satchel.records import CLOCK_SKEW

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from satchel.settings import SessionSettings

logger = logging.getLogger("satchel")

MAX_LEGACY_VALUE = 8192
"""The longest incumbent cookie value read (a browser keeps at most 4096 bytes)."""

STARLETTE_MAX_AGE = 14 * 24 * 3600
"""Starlette's SessionMiddleware ``max_age`` default (14 days)."""

STARSESSIONS_MAX_AGE = 3600 * 24 * 30 * 12
"""How old a starsessions CookieStore cookie may be with ``lifetime=0`` (its 360 days)."""


@runtime_checkable
class LegacyFormat(Protocol):
    """An incumbent's cookie format, read-only: satchel never writes it."""

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The session data in cookie *value* at Unix time *now*, or None (or an
        exception) for a value that is forged, expired, malformed or not this format."""
        ...


@runtime_checkable
class LegacyStore(Protocol):
    """An incumbent's server-side sessions: the cookie holds an id, the data lives in a
    store, so reading is I/O. Read-only but for `discard`, once the session moved."""

    async def fetch(self, value: str, now: int) -> dict[str, Any] | None:
        """The session data the id in cookie *value* names at Unix time *now*, or None
        for an unknown, expired or malformed one. Raises `BackendUnavailable` when the
        store does not answer (never None: that would log the user out)."""
        ...

    async def discard(self, value: str) -> None:
        """Delete the record the id in cookie *value* names: its session now lives in
        satchel. Raises `BackendUnavailable` when the store does not answer."""
        ...


class _StarsessionsAPI(Protocol):
    """What satchel needs of a starsessions store (``starsessions.SessionStore``)."""

    async def read(self, session_id: str, lifetime: int) -> bytes: ...

    async def remove(self, session_id: str) -> None: ...


class RobynFormat:
    """Robyn's built-in sessions (``app.configure_sessions``, Robyn 0.88+): base64url of
    ``{"d": data, "exp": unix time}``, a ".", and its HMAC-SHA256 under
    ``sha256(b"robyn.session" + secret)``; every one of *secrets* is tried."""

    __slots__ = ("_keys",)

    def __init__(self, secrets: Iterable[str]) -> None:
        self._keys = tuple(
            hashlib.sha256(b"robyn.session" + secret.encode()).digest() for secret in secrets
        )

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The data of a genuine, unexpired Robyn session cookie; None for any other."""
        if len(value) > MAX_LEGACY_VALUE or not value.isascii() or value.count(".") != 1:
            return None
        body, _, signature = value.partition(".")
        signed = body.encode("ascii")
        for key in self._keys:
            expected = base64.urlsafe_b64encode(hmac.digest(key, signed, "sha256")).rstrip(b"=")
            if hmac.compare_digest(expected, signature.encode("ascii")):
                return _envelope(signed, now)
        return None


def _envelope(body: bytes, now: int) -> dict[str, Any] | None:
    """The ``d`` of a signed envelope, checked as Robyn checks it."""
    envelope = _json_object(_unpadded_b64(body))
    if envelope is None or not isinstance(envelope.get("d"), dict):
        return None
    exp = envelope.get("exp")
    if exp is not None and (not _is_time(exp) or exp < now):
        return None
    data: dict[str, Any] = envelope["d"]
    return data


class StarletteFormat:
    """Starlette's SessionMiddleware: ``b64(json).b64(timestamp).signature``, signed as
    itsdangerous' ``TimestampSigner(secret)`` signs (HMAC-SHA1 under
    ``sha1(b"itsdangerous.Signer" + b"signer" + secret)``), and at most *max_age*
    seconds old (Starlette's ``max_age``; None checks no age, as Starlette then does).
    Every one of *secrets* is tried."""

    __slots__ = ("_keys", "_max_age")

    def __init__(self, secrets: Iterable[str], *, max_age: int | None = STARLETTE_MAX_AGE) -> None:
        # itsdangerous' "django-concat" key derivation: SHA-1 is the incumbent's choice
        self._keys = tuple(
            hashlib.sha1(b"itsdangerous.Signersigner" + secret.encode()).digest()  # noqa: S324
            for secret in secrets
        )
        self._max_age = max_age

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The data of a genuine, recent enough cookie of this format; None for any other."""
        body = self._unsign(value, now)
        if body is None:
            return None
        try:
            raw = base64.b64decode(body, validate=True)
        except (ValueError, binascii.Error):
            return None
        return _json_object(raw)

    def _unsign(self, value: str, now: int) -> bytes | None:
        """The signed body of *value* if a key signed it within the age allowed."""
        if len(value) > MAX_LEGACY_VALUE or not value.isascii() or value.count(".") != 2:
            return None
        signed, _, signature = value.encode("ascii").rpartition(b".")
        body, _, stamp = signed.partition(b".")
        for key in self._keys:
            expected = base64.urlsafe_b64encode(hmac.digest(key, signed, "sha1")).rstrip(b"=")
            if hmac.compare_digest(expected, signature):
                break
        else:
            return None
        raw = _unpadded_b64(stamp)
        if raw is None or not 0 < len(raw) <= 8:
            return None
        age = now - int.from_bytes(raw, "big")
        if age < -CLOCK_SKEW or (self._max_age is not None and age > self._max_age):
            return None
        return body


class StarsessionsCookieFormat(StarletteFormat):
    """starsessions' CookieStore: Starlette's format (the same signer), holding
    starsessions' ``__metadata__``, which is dropped. *lifetime* is starsessions'
    ``lifetime``: the cookie may be that old, or 360 days with ``lifetime=0``."""

    __slots__ = ()

    def __init__(self, secrets: Iterable[str], *, lifetime: int = 0) -> None:
        super().__init__(secrets, max_age=lifetime or STARSESSIONS_MAX_AGE)

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The data of a genuine, recent enough CookieStore cookie; None for any other."""
        data = super().read(value, now)
        if data is not None:
            data.pop("__metadata__", None)
        return data


class AsgiSessionsJWTFormat:
    """asgi-sessions' (and muffin-session's) ``jwt`` sessions: an HS256 JWT under the
    raw secret whose claims are the session. HS256 is pinned (``alg=none`` and every
    other algorithm are refused), an ``exp`` must lie ahead, and what asgi-sessions
    itself could never load (a future ``nbf`` or ``iat``, any ``aud``, a ``sub`` or
    ``jti`` that is no string) is refused too. Needs PyJWT (``satchel-core[jwt]``)."""

    __slots__ = ("_errors", "_jws", "_keys")

    def __init__(self, secrets: Iterable[str]) -> None:
        from jwt import PyJWS
        from jwt.algorithms import HMACAlgorithm
        from jwt.exceptions import PyJWTError

        class _HS256(HMACAlgorithm):
            """HS256 without PyJWT's per-call warning on short keys: the incumbent chose
            the key, and the manager warns about it once, at start-up."""

            def check_key_length(self, key: bytes) -> str | None:
                return None

        self._jws = PyJWS(algorithms=["HS256"])
        self._jws.unregister_algorithm("HS256")
        self._jws.register_algorithm("HS256", _HS256(HMACAlgorithm.SHA256))
        self._keys = tuple(secret.encode() for secret in secrets)
        self._errors = (PyJWTError, ValueError, TypeError)

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The claims of a genuine, current HS256 token of this format; None for any other."""
        if len(value) > MAX_LEGACY_VALUE or not value.isascii() or value.count(".") != 2:
            return None
        for key in self._keys:
            try:
                payload = self._jws.decode(value, key=key, algorithms=["HS256"])
            except self._errors:
                continue
            return _claims(_json_object(payload), now)
        return None


def _claims(claims: dict[str, Any] | None, now: int) -> dict[str, Any] | None:
    """*claims* if PyJWT's default checks, as asgi-sessions ran them, pass at *now*."""
    if claims is None:
        return None
    for name in ("exp", "nbf", "iat"):
        if name in claims and not _is_time(claims[name]):
            return None
    if "exp" in claims and claims["exp"] <= now:
        return None
    if any(name in claims and claims[name] > now + CLOCK_SKEW for name in ("nbf", "iat")):
        return None
    if "aud" in claims or any(
        name in claims and not isinstance(claims[name], str) for name in ("sub", "jti")
    ):
        return None
    return claims


class AsgiSessionsFernetFormat:
    """asgi-sessions' (and muffin-session's) ``fernet`` sessions: Fernet tokens of the
    session's JSON under asgi-sessions' key, the secret cut to 32 characters or padded
    with "=" and base64-encoded. asgi-sessions checks no age; this refuses a token older
    than *max_age* seconds. Secrets asgi-sessions could not use (over 32 characters, not
    ASCII) are skipped; ValueError if none is left. Needs ``satchel-core[crypto]``."""

    __slots__ = ("_errors", "_fernet", "_max_age")

    def __init__(self, secrets: Iterable[str], *, max_age: int) -> None:
        from cryptography.fernet import Fernet, InvalidToken, MultiFernet

        fernets = []
        for secret in secrets:
            if len(secret) != 32:  # asgi-sessions' own arithmetic, faults included
                secret = secret[:32]
                secret += "=" * (32 - len(secret) % 32)
            try:
                fernets.append(Fernet(base64.urlsafe_b64encode(secret.encode())))
            except ValueError:
                continue
        if not fernets:
            raise ValueError("no secret asgi-sessions could use for Fernet (32 characters at most)")
        self._fernet = MultiFernet(fernets)
        self._max_age = max_age
        self._errors = (InvalidToken, ValueError, TypeError)

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The data of a genuine, recent enough token of this format; None for any other."""
        if len(value) > MAX_LEGACY_VALUE or not value.isascii():
            return None
        try:
            raw = self._fernet.decrypt_at_time(value.encode("ascii"), self._max_age, now)
        except self._errors:
            return None
        return _json_object(raw)


class AsgiSessionsBase64Format:
    """asgi-sessions' (and muffin-session's) unsigned sessions: base64url of JSON,
    which anyone can forge, so settings refuse it unless ``allow_unsigned`` is set."""

    __slots__ = ()

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        """The JSON object *value* encodes; None for anything else."""
        if len(value) > MAX_LEGACY_VALUE or not value.isascii():
            return None
        try:
            raw = base64.b64decode(value, altchars=b"-_", validate=True)
        except (ValueError, binascii.Error):
            return None
        return _json_object(raw)


_STARSESSIONS_ID = re.compile(r"[0-9a-f]{32}")


class StarsessionsStore:
    """starsessions' server-side sessions (its InMemoryStore, RedisStore or any store of
    its API: ``async read(session_id, lifetime) -> bytes`` and ``async remove(session_id)``).

    The cookie holds the id starsessions generates (32 hex digits; a client-chosen id,
    which starsessions kept, is not read); the record is JSON whose ``__metadata__`` is
    dropped, after refusing a record whose last write is more than its ``lifetime`` ago
    (the store's TTL does the rest). *lifetime* is what starsessions' ``read`` is given.
    Any error of the store is `BackendUnavailable`; `discard` removes the record.
    """

    __slots__ = ("_lifetime", "_max_bytes", "_store")

    def __init__(
        self, store: _StarsessionsAPI, *, lifetime: int = 0, max_bytes: int = 256 * 1024
    ) -> None:
        self._store = store
        self._lifetime = lifetime
        self._max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"StarsessionsStore({type(self._store).__name__})"

    async def fetch(self, value: str, now: int) -> dict[str, Any] | None:
        """The data of the unexpired record *value* names; None for any other."""
        if not _STARSESSIONS_ID.fullmatch(value):
            return None
        try:
            raw = await self._store.read(value, self._lifetime)
        except Exception as exc:
            raise BackendUnavailable(
                f"the starsessions store did not answer ({type(exc).__name__})"
            ) from exc
        if not isinstance(raw, bytes | bytearray) or not raw or len(raw) > self._max_bytes:
            return None
        data = _json_object(bytes(raw))
        if data is None or _ended(data.pop("__metadata__", {}), now):
            return None
        return data

    async def discard(self, value: str) -> None:
        """Remove the record *value* names from the starsessions store."""
        try:
            await self._store.remove(value)
        except Exception as exc:
            raise BackendUnavailable(
                f"the starsessions store did not answer ({type(exc).__name__})"
            ) from exc

    async def aclose(self) -> None:
        """Close the connection satchel opened for the store (one passed in stays open)."""
        if isinstance(self._store, _RedisRecords):
            await self._store.aclose()


def _ended(metadata: Any, now: int) -> bool:
    """Whether starsessions' ``__metadata__`` says the session is over (or is garbage)."""
    if not isinstance(metadata, dict):
        return True
    times = [metadata.get(name, 0) for name in ("lifetime", "created", "last_access")]
    if not all(_is_time(t) for t in times):
        return True
    lifetime, created, last_access = times
    return bool(lifetime > 0 and max(created, last_access) + lifetime < now)


class _RedisRecords:
    """starsessions' RedisStore, reduced to reading and removing its records (the same
    keys: *prefix* + id), on a connection of satchel's own."""

    __slots__ = ("_client", "_prefix", "_timeout", "_url")

    def __init__(self, url: str, prefix: str, timeout: float) -> None:
        self._url = url
        self._prefix = prefix
        self._timeout = timeout
        self._client: Redis | None = None

    @property
    def client(self) -> Redis:
        """The redis client, created on first use."""
        if self._client is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(
                self._url, socket_timeout=self._timeout, socket_connect_timeout=self._timeout
            )
        return self._client

    async def read(self, session_id: str, lifetime: int) -> bytes:
        value = await self.client.get(self._prefix + session_id)
        if isinstance(value, str):  # a client made with decode_responses=True
            return value.encode()
        return b"" if value is None else value

    async def remove(self, session_id: str) -> None:
        await self.client.delete(self._prefix + session_id)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def _unpadded_b64(text: bytes) -> bytes | None:
    """Unpadded base64url, strictly; None if *text* is not."""
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):
        return None


def _json_object(raw: bytes | None) -> dict[str, Any] | None:
    """The JSON object *raw* holds; None for anything else (a list, a scalar, not JSON,
    nested too deep)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _is_time(value: Any) -> bool:
    """A finite number that is not a boolean: a time as JSON tokens carry it."""
    return type(value) in (int, float) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a migrated session came from: the legacy cookie's value and, for a store's
    session, the store whose record the first write deletes."""

    value: str
    store: LegacyStore | None = None


def _expiring(settings: SessionSettings) -> str | None:
    """The Set-Cookie that expires the incumbent's cookie, or None when satchel's own
    cookie (same name, path and domain) replaces it."""
    name = settings.legacy_cookie_name or settings.cookie_name
    path, domain = settings.legacy_cookie_path, settings.legacy_cookie_domain
    if (name, path, domain) == (settings.cookie_name, settings.cookie_path, settings.cookie_domain):
        return None
    header = f"{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path={path}"
    if domain is not None:
        header += f"; Domain={domain}"
    if settings.cookie_secure or name.lower().startswith(("__host-", "__secure-")):
        header += "; Secure"
    return header


def _readers(settings: SessionSettings) -> tuple[LegacyFormat | LegacyStore, ...]:
    """The readers *settings* name, with their secrets: ``legacy_secret_keys`` or, when
    none are given, `secret_key` and its fallbacks (the incumbent's own secret). A
    legacy secret shorter than satchel's minimum is logged once, here, at start-up."""
    for index, secret in enumerate(settings.legacy_secret_keys):
        if len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
            logger.warning(
                "legacy_secret_keys[%d] is shorter than %d bytes: it is used only to read "
                "the incumbent's cookies, never to sign satchel's",
                index,
                MIN_SECRET_BYTES,
            )
    plain = settings._legacy_secrets()
    age = settings.legacy_max_age
    max_age = None if age is None else int(age.total_seconds())
    readers: list[LegacyFormat | LegacyStore] = []
    for name in dict.fromkeys(settings.legacy_formats):
        if name == "starlette":
            readers.append(StarletteFormat(plain, max_age=max_age or STARLETTE_MAX_AGE))
        elif name == "starsessions":
            readers.append(StarsessionsCookieFormat(plain, lifetime=max_age or 0))
        elif name == "starsessions-redis":
            url = settings.legacy_redis_url or settings.redis_url
            assert url is not None  # the settings refuse it otherwise
            records = _RedisRecords(
                url.get_secret_value(), settings.legacy_store_prefix, settings.store_timeout
            )
            readers.append(
                StarsessionsStore(
                    records, lifetime=max_age or 0, max_bytes=settings.max_session_bytes
                )
            )
        elif name == "asgi-sessions-jwt":
            readers.append(AsgiSessionsJWTFormat(plain))
        elif name == "asgi-sessions-fernet":
            ttl = max_age or int(settings.max_age.total_seconds())
            readers.append(AsgiSessionsFernetFormat(plain, max_age=ttl))
        elif name == "asgi-sessions-base64":
            readers.append(AsgiSessionsBase64Format())
        else:
            readers.append(RobynFormat(plain))
    return tuple(readers)
