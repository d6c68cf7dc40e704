"""`SessionSettings`: every option of a satchel session, typed and read from ``SESSION_*``.

One settings object configures the engine whatever the framework, which is
what lets an application move between adapters without logging anyone out.
Invalid settings fail here, at start-up, with one `ConfigurationError` that
names the setting as the user gave it (the option, or the ``SESSION_*``
variable), rather than as a cookie the browser silently refuses.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    ImportString,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from typing_extensions import Self, Unpack

from satchel.errors import ConfigurationError
from satchel.keys import MIN_SECRET_BYTES, generate_key

BackendName = Literal["signed", "jwt", "fernet", "aesgcm", "base64", "memory", "redis"]
"""The built-in backends, by the name ``SESSION_BACKEND`` takes."""

JSONLibrary = Literal["json", "orjson"]
"""The JSON libraries of the built-in serializers, by the name ``SESSION_JSON_LIBRARY``
takes: ``json`` (the standard library's) or ``orjson``."""

_JSON_EXTRAS = {"orjson": ("orjson", "orjson", "orjson")}
_CLUSTER_BROKEN = ((7, 1), (8, 2))
"""redis-py releases from the first up to the second (excluded) whose asyncio cluster
client, used by concurrent requests, closes or reuses connections others are using
(found by the store's own tests: 7.0 and 8.2 pass)."""


def _redis_cluster_problem() -> str | None:
    """Why the installed redis-py cannot serve `redis_cluster`, if it cannot."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        text = version("redis")
    except PackageNotFoundError:
        return None
    found = tuple(int(part) for part in re.findall(r"\d+", text)[:2])
    low, high = _CLUSTER_BROKEN
    if low <= found < high:
        return (
            f"{{redis_cluster}} needs redis-py 8.2 or newer (or older than 7.1): the "
            f"asyncio cluster client of redis-py {text} loses connections under "
            "concurrent requests"
        )
    return None


"""What each JSON library imports: module, its distribution, satchel-core's extra."""

SameSite = Literal["lax", "strict", "none", "Lax", "Strict", "None"]
"""A cookie's SameSite value, as every framework spells it (any case is accepted)."""

JWTAlgorithm = Literal["HS256", "HS384", "HS512", "EdDSA", "ES256"]
"""The JWT backend's algorithms (``jwt_algorithm``)."""

MAX_COOKIE_AGE = timedelta(days=400)
"""Browsers cap Max-Age and Expires at 400 days (RFC 6265bis)."""

LegacyFormatName = Literal[
    "starlette",
    "starsessions",
    "starsessions-redis",
    "asgi-sessions-jwt",
    "asgi-sessions-fernet",
    "asgi-sessions-base64",
    "robyn",
]
"""The incumbent formats satchel reads (``legacy_formats``): Starlette's SessionMiddleware,
starsessions' CookieStore and its Redis records, asgi-sessions' (and muffin-session's)
JWT, Fernet and base64 cookies, and Robyn's built-in sessions."""

UNSIGNED_LEGACY_FORMATS: frozenset[str] = frozenset({"asgi-sessions-base64", "starsessions-redis"})
"""Legacy formats that need no secret: unsigned cookies, and a store's random ids."""

_LEGACY_EXTRAS = {
    "asgi-sessions-jwt": ("jwt", "PyJWT", "jwt"),
    "asgi-sessions-fernet": ("cryptography", "cryptography", "crypto"),
    "starsessions-redis": ("redis", "redis-py", "redis"),
}
"""What each legacy format imports: module, its distribution, satchel-core's extra."""

OnConflict = Literal["overwrite", "raise"]
"""What a commit does when another request changed the same key first (``on_conflict``)."""

KEYED_BACKENDS: frozenset[str] = frozenset({"signed", "jwt", "fernet", "aesgcm", "memory", "redis"})

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PATH = re.compile(r"/[\x21-\x3a\x3c-\x7e]*")
_DOMAIN = re.compile(
    r"\.?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


Seconds = int | float | timedelta
"""A duration: seconds, or a `timedelta`."""

ENV_PREFIX = "SESSION_"
SECRET_FIELDS = frozenset(
    {"secret_key", "secret_key_fallbacks", "legacy_secret_keys", "redis_url", "legacy_redis_url"}
)
"""Settings whose values never appear in an error, a log or a repr."""
FOREIGN_VARIABLES = frozenset({"SESSION_MANAGER"})
"""``SESSION_*`` variables that belong to something else (X11's session manager)."""
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_NAMES: ContextVar[Mapping[str, str] | None] = ContextVar("satchel_setting_names", default=None)


class SessionOptions(TypedDict, total=False):
    """Keyword options of `SessionSettings` (and of every adapter), with the input
    types they accept: plain strings for secrets, seconds for durations, SameSite in
    any case, and ``max_age=None`` (or 0) for a cookie that ends with the browser
    session (``persistent=False``; the server still enforces the default max_age)."""

    backend: BackendName
    secret_key: str | SecretStr | None
    secret_key_fallbacks: Sequence[str | SecretStr] | str
    allow_unsigned: bool
    cookie_name: str
    cookie_path: str | None
    cookie_domain: str | None
    cookie_secure: bool
    cookie_httponly: bool
    cookie_samesite: SameSite
    cookie_partitioned: bool
    cookie_chunking: bool
    cookie_max_chunks: int
    cookie_max_bytes: int
    max_age: Seconds | None
    idle_timeout: Seconds | None
    rolling: bool
    refresh_interval: Seconds
    persistent: bool
    compress: bool | None
    max_session_bytes: int
    json_library: JSONLibrary
    jwt_algorithm: JWTAlgorithm
    jwt_issuer: str
    user_key: str
    login_keeps: Sequence[str] | str
    data_model: type[BaseModel] | str | None
    redis_url: str | SecretStr | None
    redis_cluster: bool
    redis_sentinels: Sequence[str] | str
    redis_wait_replicas: int
    store_prefix: str
    store_timeout: float
    store_encrypt: bool
    store_max_entries: int
    on_conflict: OnConflict
    legacy_formats: Sequence[LegacyFormatName] | str
    legacy_secret_keys: Sequence[str | SecretStr] | str
    legacy_max_age: Seconds | None
    legacy_cookie_name: str | None
    legacy_cookie_path: str
    legacy_cookie_domain: str | None
    legacy_redis_url: str | SecretStr | None
    legacy_store_prefix: str


class SessionSettings(BaseSettings):
    """The whole configuration of a session, from ``SESSION_*`` environment variables.

    ``SessionSettings()`` reads the environment (names are case-insensitive:
    ``SESSION_SECRET_KEY``, ``SESSION_MAX_AGE``...); keyword arguments override it.
    """

    model_config = SettingsConfigDict(
        env_prefix="SESSION_",
        case_sensitive=False,
        extra="forbid",
        frozen=True,
        validate_default=True,
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    if TYPE_CHECKING:

        def __init__(self, **options: Unpack[SessionOptions]) -> None:
            """Read ``SESSION_*`` variables; keyword *options* override them."""

    else:

        def __init__(self, **options: Any) -> None:
            """Read ``SESSION_*`` variables; keyword *options* override them. Any
            problem, a misspelled variable included, is one `ConfigurationError`."""
            names = _NAMES.get() or {name: name for name in options}
            try:
                super().__init__(**options)
            except ValidationError as exc:
                raise _explain(exc, names) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """pydantic-settings' sources, each refusing a ``SESSION_*`` name that is no
        setting (a typo must not be silently ignored) and, for a ``.env`` file,
        ignoring every variable without the prefix (an app's ``DATABASE_URL``...)."""
        return (
            init_settings,
            _Checked(settings_cls, env_settings, "the environment"),
            _Checked(settings_cls, dotenv_settings, "the .env file"),
            file_secret_settings,
        )

    @classmethod
    def from_env_file(
        cls, path: str | os.PathLike[str] = ".env", **options: Unpack[SessionOptions]
    ) -> SessionSettings:
        """Settings from ``SESSION_*`` variables of a ``.env`` file at *path* as well as
        the environment (which wins), and keyword *options* (which win over both).
        A missing file is no error; the file's other variables are ignored."""
        values: dict[str, Any] = {**options, "_env_file": path}
        return cls(**values)

    backend: BackendName = "signed"
    """Where the data lives: in the cookie (signed, jwt, fernet, aesgcm, base64) or
    on the server with an opaque id in the cookie (memory, redis)."""

    secret_key: SecretStr | None = None
    """The master secret (at least 32 bytes; ``satchel keygen`` makes one). Every
    backend derives its own keys from it."""

    secret_key_fallbacks: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Older secrets still accepted while keys rotate, as a JSON list or separated by
    commas. New cookies use `secret_key`; a cookie made under a fallback loads and is
    re-issued under `secret_key` on its next write."""

    allow_unsigned: bool = False
    """Must be set to use the ``base64`` backend, whose cookies anyone can forge."""

    cookie_name: str = "session"
    """The cookie's name. ``__Host-session`` is the safest choice over HTTPS: it
    cannot be set or overwritten by a sibling subdomain."""

    cookie_path: str = "/"
    """The cookie's Path attribute (None, as an option, means ``/``: every path)."""

    cookie_domain: str | None = None
    """The cookie's Domain attribute; unset means host-only, which is safer."""

    cookie_secure: bool = False
    """Send the cookie over HTTPS only. Turn it on in production."""

    cookie_httponly: bool = True
    """Hide the cookie from JavaScript."""

    cookie_samesite: Literal["lax", "strict", "none"] = "lax"
    """The cookie's SameSite attribute, in any case; ``none`` requires `cookie_secure`."""

    cookie_partitioned: bool = False
    """Set the Partitioned attribute (CHIPS) for third-party contexts; requires
    `cookie_secure`."""

    cookie_chunking: bool = True
    """Split a session cookie that exceeds the browser's 4096-byte limit across
    numbered cookies; when off, such a session raises `SessionTooLarge`."""

    cookie_max_chunks: int = Field(default=3, ge=2, le=20)
    """The most chunk cookies one session may span, each carrying up to 4 KB. Sessions
    are read from up to this many chunks; `cookie_max_bytes` bounds what is sent."""

    cookie_max_bytes: int = Field(default=3072, ge=1024, le=20 * 4096)
    """The most bytes the session's cookies may take in a request's Cookie header
    (names, values, ``=`` and ``; ``); a larger session raises `SessionTooLarge` at
    commit, and nothing is lost. The default fits what stock nginx passes both ways
    (and gunicorn takes), with room to spare: 5,108 more bytes of the 8,182-byte Cookie
    header for the app's other cookies, and about 750 bytes of nginx's 4,096-byte
    buffer for the response's other headers. Raise it (the session then spans chunk
    cookies past 4 KB) only with the servers' limits: docs/security.md, "Session size"."""

    max_age: timedelta = timedelta(days=14)
    """Absolute lifetime of a session from its creation (from its last refresh when
    `rolling`), enforced by the server from data inside the token or record. 0 or
    None asks for a browser-session cookie: ``persistent=False`` with this default."""

    idle_timeout: timedelta | None = None
    """End a session after this long without a request that reads it."""

    rolling: bool = False
    """Count `max_age` from the last refresh instead of from creation, re-issuing the
    cookie at most once per `refresh_interval`."""

    refresh_interval: timedelta = timedelta(seconds=60)
    """With `rolling` or `idle_timeout`, how old the cookie must be before a request
    that only reads the session re-issues it (no Set-Cookie storm)."""

    persistent: bool = True
    """Send Max-Age; when off, the cookie lasts until the browser closes (the server
    still enforces `max_age` and `idle_timeout`)."""

    compress: bool | None = None
    """Compress session data with zlib when that makes it smaller. ``None`` means on
    for the readable formats (signed, base64) and off for the encrypted ones, where a
    compressed length can tell an observer about the data."""

    max_session_bytes: int = Field(default=256 * 1024, ge=1024)
    """The largest serialized session accepted on load, after decompression."""

    json_library: JSONLibrary = "json"
    """What writes and reads session data as JSON: ``json``, the standard library, or
    ``orjson``, the same JSON 2 to 5 times faster (``pip install
    'satchel-core[orjson]'``). Each reads what the other wrote, so it can change without
    logging anyone out (docs/protocols.md says what differs). A ``serializer`` object
    given to the manager or adapter replaces both."""

    jwt_algorithm: JWTAlgorithm = "HS256"
    """The JWT backend's algorithm, pinned on decode. The EdDSA and ES256 keys are
    derived from `secret_key`; ``satchel verify-key`` prints the public key."""

    jwt_issuer: str = "satchel"
    """The JWT ``iss`` claim, required on decode."""

    user_key: str = "user_id"
    """The session key that holds the logged-in user's id (`Session.login`). A write that
    changes it, by `login` or directly, gives the session a new identity at commit."""

    login_keeps: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Session keys kept when a different user logs in (a cart, a theme), as a JSON list
    or separated by commas; everything else starts empty, so nothing of one user's
    session (roles, an MFA flag) carries over to the next."""

    data_model: ImportString[type[BaseModel]] | None = None
    """A pydantic model that session data must satisfy: data that fails on load is a
    fresh session, and a change that fails is refused at commit. From the
    environment, a dotted import path (``SESSION_DATA_MODEL=myapp.models:Cart``)."""

    redis_url: SecretStr | None = None
    """Where the redis backend's server is (``redis://host:6379/0``, ``rediss://`` for
    TLS). Secret, since it may hold a password."""

    redis_cluster: bool = False
    """`redis_url` names one node of a Redis Cluster: the store learns the others from
    it and follows the slots as they move. Every key of one session carries one hash
    tag, so each session lives on one node; a user's index may live on another."""

    redis_sentinels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """The Redis Sentinels to ask for the master (``host:port`` each, as a JSON list or
    separated by commas). With any, `redis_url`'s host names the master's service (the
    name in ``sentinel monitor``), and its password, database and scheme are the
    master's: ``redis://:password@mymaster/0``. The store follows a failover: requests
    are `BackendUnavailable` (a 503) until the Sentinels promote a replica, then go
    to it."""

    redis_wait_replicas: int = Field(default=0, ge=0)
    """How many replicas must hold every write before the store acknowledges it
    (Redis ``WAIT``, for at most half of `store_timeout`); fewer is
    `BackendUnavailable`. 0 acknowledges a write once the master holds it, and a
    failover may lose the writes of its last moments (see docs/backends.md). Not
    available with `redis_cluster`."""

    store_prefix: str = "satchel:"
    """Prefix of every key a store backend writes."""

    store_timeout: float = Field(default=2.0, gt=0)
    """Seconds a store operation may take before it counts as `BackendUnavailable`."""

    store_encrypt: bool = False
    """Encrypt session data at rest in the store (AES-256-GCM, keys derived from
    `secret_key` and rotated with it), so a shared Redis holds nothing readable."""

    store_max_entries: int = Field(default=10_000, ge=1)
    """The most sessions the memory backend keeps. When it is full, expired sessions
    go first, then anonymous ones, and no single user's sessions crowd out other
    users': sessions a user holds beyond ``max(16, store_max_entries // 64)`` go
    even before anonymous ones, then those of the user holding most (see
    docs/backends.md)."""

    on_conflict: OnConflict = "overwrite"
    """When two requests of one session change the same key, the later commit wins
    (``overwrite``) or raises `SessionConflict` (``raise``). Changes to different keys
    always merge."""

    legacy_formats: Annotated[list[LegacyFormatName], NoDecode] = Field(default_factory=list)
    """Incumbent session formats to read, so users stay logged in across a move, as a
    JSON list or separated by commas: ``starlette``, ``starsessions`` (its CookieStore),
    ``starsessions-redis`` (its RedisStore's records), ``asgi-sessions-jwt``,
    ``asgi-sessions-fernet``, ``asgi-sessions-base64`` (also muffin-session's) and
    ``robyn``. A cookie satchel's backend rejects that one of them verifies loads as a
    new session, written in satchel's format on its next commit; anything else is a
    fresh session."""

    legacy_secret_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """The incumbent's secrets for `legacy_formats`, as a JSON list or separated by
    commas; unset, `secret_key` and its fallbacks are tried. Any length is accepted, for
    reading only: one shorter than 32 bytes is logged as a warning at start-up."""

    legacy_max_age: timedelta | None = None
    """How old a legacy cookie's timestamp may be: Starlette's ``max_age`` (unset: its
    14 days), starsessions' ``lifetime`` (unset: the 360 days of its ``lifetime=0``) and
    the age of an asgi-sessions Fernet token (unset: `max_age`; asgi-sessions checks none)."""

    legacy_cookie_name: str | None = None
    """The incumbent's cookie name when it differs from `cookie_name`: the legacy cookie
    is read there, and the first write of satchel's cookie expires it. Unset: the
    incumbent used `cookie_name`, which satchel's own cookie then replaces."""

    legacy_cookie_path: str = "/"
    """The Path of the incumbent's cookie, for the Set-Cookie that expires it."""

    legacy_cookie_domain: str | None = None
    """The Domain of the incumbent's cookie, if it set one, for the Set-Cookie that
    expires it."""

    legacy_redis_url: SecretStr | None = None
    """The Redis holding starsessions' records (``starsessions-redis``); unset,
    `redis_url`. Secret, since it may hold a password."""

    legacy_store_prefix: str = "starsessions."
    """The key prefix of starsessions' Redis records (its RedisStore's ``prefix``)."""

    @model_validator(mode="before")
    @classmethod
    def _browser_session(cls, data: Any) -> Any:
        return _browser_session(data)

    @field_validator("secret_key", "legacy_redis_url", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        return _secret_text(value)

    @field_validator(
        "secret_key_fallbacks",
        "legacy_formats",
        "legacy_secret_keys",
        "login_keeps",
        "redis_sentinels",
        mode="before",
    )
    @classmethod
    def _split_fallbacks(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return [_secret_text(item) for item in value]
        return value

    @field_validator("redis_sentinels")
    @classmethod
    def _check_addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            host, colon, port = address.rpartition(":")
            if not colon or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{address!r} is not host:port")
        return value

    @field_validator("cookie_samesite", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("cookie_name", "legacy_cookie_name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is not None and not _TOKEN.fullmatch(value):
            raise ValueError("must be an HTTP token (letters, digits, !#$%&'*+-.^_`|~)")
        return value

    @field_validator("cookie_path", "legacy_cookie_path", mode="before")
    @classmethod
    def _every_path(cls, value: Any) -> Any:
        return "/" if value is None else value

    @field_validator("cookie_path", "legacy_cookie_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not _PATH.fullmatch(value):
            raise ValueError("must start with / and hold no ';', space or control character")
        return value

    @field_validator("cookie_domain", "legacy_cookie_domain")
    @classmethod
    def _check_domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.fullmatch(value):
            raise ValueError("must be a host name such as example.com")
        return value

    @field_validator("max_age", "idle_timeout", "refresh_interval", "legacy_max_age", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
            return float(value)
        return value

    @field_validator("max_age", "idle_timeout", "refresh_interval", "legacy_max_age")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value.total_seconds() < 1:
            raise ValueError("must be at least one second")
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        problems = list(self._problems())
        if problems:
            raise _Problems(problems)
        return self

    def _problems(self) -> Iterator[str]:
        """Each problem of the combination, its settings named ``{field}``."""
        name = self.cookie_name.lower()
        secure = self.cookie_secure
        if self.cookie_samesite == "none" and not secure:
            yield "{cookie_samesite}='none' requires {cookie_secure}=True (browsers reject it)"
        if name.startswith("__host-"):
            if not secure:
                yield "a __Host- {cookie_name} requires {cookie_secure}=True"
            if self.cookie_domain is not None:
                yield "a __Host- {cookie_name} forbids {cookie_domain}"
            if self.cookie_path != "/":
                yield "a __Host- {cookie_name} requires {cookie_path}='/'"
        if name.startswith("__secure-") and not secure:
            yield "a __Secure- {cookie_name} requires {cookie_secure}=True"
        if self.cookie_partitioned and not secure:
            yield "{cookie_partitioned}=True requires {cookie_secure}=True"
        if self.max_age > MAX_COOKIE_AGE:
            yield "{max_age} may not exceed 400 days (browsers cap cookie lifetimes there)"
        if self.idle_timeout is not None and self.refresh_interval >= self.idle_timeout:
            yield "{refresh_interval} must be shorter than {idle_timeout}"
        if self.backend == "base64" and not self.allow_unsigned:
            yield (
                "{backend}='base64' makes cookies anyone can forge; "
                "set {allow_unsigned}=True to use it anyway"
            )
        if self.backend == "redis" and self.redis_url is None:
            yield (
                "{redis_url} is required for {backend}='redis' "
                "(or pass your own RedisStore as SessionManager(backend=...))"
            )
        if self.redis_sentinels and self.redis_url is not None:
            found = urlsplit(self.redis_url.get_secret_value())
            if found.scheme not in ("redis", "rediss") or not found.hostname:
                yield (
                    "with {redis_sentinels}, {redis_url} must be redis:// or rediss:// with "
                    "the master's service as its host (redis://mymaster/0)"
                )
        if self.redis_cluster and (problem := _redis_cluster_problem()) is not None:
            yield problem
        if self.redis_cluster and self.redis_sentinels:
            yield "{redis_cluster} and {redis_sentinels} exclude each other (a cluster has none)"
        if self.redis_cluster and self.redis_wait_replicas:
            yield (
                "{redis_wait_replicas} is not available with {redis_cluster}: WAIT must follow "
                "the writes on their own connection, which the cluster client does not offer"
            )
        if self.backend in KEYED_BACKENDS:
            fix = "generate one with `satchel keygen`"
            if self.secret_key is None:
                yield f"{{secret_key}} is required for {{backend}}={self.backend!r}: {fix}"
            elif len(self.secret_key.get_secret_value().encode()) < MIN_SECRET_BYTES:
                yield f"{{secret_key}} must be at least {MIN_SECRET_BYTES} bytes: {fix}"
            for index, fallback in enumerate(self.secret_key_fallbacks):
                if len(fallback.get_secret_value().encode()) < MIN_SECRET_BYTES:
                    yield (
                        f"{{secret_key_fallbacks}}[{index}] must be at least "
                        f"{MIN_SECRET_BYTES} bytes"
                    )
        module, distribution, extra = _JSON_EXTRAS.get(self.json_library, (None, "", ""))
        if module is not None and importlib.util.find_spec(module) is None:
            yield (
                f"{{json_library}}={self.json_library!r} needs {distribution}: "
                f"pip install 'satchel-core[{extra}]'"
            )
        yield from self._legacy_problems()

    def _legacy_problems(self) -> Iterator[str]:
        """The problems of the legacy settings (`legacy_formats` and its company)."""
        formats = dict.fromkeys(self.legacy_formats)
        signed = [f for f in formats if f not in UNSIGNED_LEGACY_FORMATS]
        if self.legacy_secret_keys and not signed:
            yield (
                "{legacy_secret_keys} is given without {legacy_formats} naming a signed "
                "format: name the incumbent's format"
            )
        if signed and not (self.legacy_secret_keys or self.secret_key):
            yield "{legacy_formats} needs the incumbent's secret: set {legacy_secret_keys}"
        if any(not s.get_secret_value() for s in self.legacy_secret_keys):
            yield "{legacy_secret_keys} may not hold an empty secret"
        if "asgi-sessions-base64" in formats and not self.allow_unsigned:
            yield (
                "{legacy_formats}=['asgi-sessions-base64'] reads cookies anyone can forge; "
                "set {allow_unsigned}=True to accept them anyway"
            )
        if "asgi-sessions-fernet" in formats and not any(
            len(s) <= 32 and s.isascii() for s in self._legacy_secrets()
        ):
            yield (
                "{legacy_formats}=['asgi-sessions-fernet'] needs the asgi-sessions secret "
                "(at most 32 ASCII characters: asgi-sessions fails on longer ones) in "
                "{legacy_secret_keys}"
            )
        if "starsessions-redis" in formats:
            if self.legacy_redis_url is None and self.redis_url is None:
                yield (
                    "{legacy_formats}=['starsessions-redis'] needs the Redis of starsessions' "
                    "records: set {legacy_redis_url} (or {redis_url})"
                )
        elif self.legacy_redis_url is not None:
            yield ("{legacy_redis_url} is given without 'starsessions-redis' in {legacy_formats}")
        for name in formats:
            module, distribution, extra = _LEGACY_EXTRAS.get(name, (None, "", ""))
            if module is not None and importlib.util.find_spec(module) is None:
                yield (
                    f"{{legacy_formats}}=[{name!r}] needs {distribution}: "
                    f"pip install 'satchel-core[{extra}]'"
                )
        legacy_name = (self.legacy_cookie_name or "").lower()
        if legacy_name.startswith("__host-") and (
            self.legacy_cookie_path != "/" or self.legacy_cookie_domain is not None
        ):
            yield (
                "a __Host- {legacy_cookie_name} was set with Path=/ and no Domain: "
                "{legacy_cookie_path} must be '/' and {legacy_cookie_domain} unset"
            )

    def _legacy_secrets(self) -> list[str]:
        """The secrets the legacy formats try: `legacy_secret_keys`, else `secret_key`
        and its fallbacks."""
        secrets = self.legacy_secret_keys or [
            s for s in (self.secret_key, *self.secret_key_fallbacks) if s is not None
        ]
        return [s.get_secret_value() for s in secrets]

    @classmethod
    def development(cls, **options: Unpack[SessionOptions]) -> SessionSettings:
        """Settings as `SessionSettings(**options)`, but when no secret is configured
        anywhere, with a freshly generated one and a `UserWarning`: for development
        only, since sessions then end whenever the process restarts."""
        if options.get("secret_key") is None:
            try:
                return cls(**options)
            except ConfigurationError as exc:
                if "secret_key" not in exc.fields or " is required for " not in str(exc):
                    raise
            warnings.warn(
                "no SESSION_SECRET_KEY is set: using a generated development key; "
                "sessions end when the process restarts",
                UserWarning,
                stacklevel=2,
            )
            options = {**options, "secret_key": generate_key()}
        return cls(**options)

    def with_options(self, **overrides: Unpack[SessionOptions]) -> SessionSettings:
        """A copy with *overrides* applied and validated like a fresh construction;
        a setting not given to either is read from the environment again."""
        if not overrides:
            return self
        values: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        try:
            values.update(_browser_session(overrides))
        except _Problems as exc:
            raise _explain(exc, _NAMES.get() or {n: n for n in overrides}) from None
        with _names_as_given(_NAMES.get() or {n: n for n in overrides}):
            return type(self)(**values)


class _Problems(ValueError):
    """What a validator found, each problem a template naming settings as ``{field}``."""

    def __init__(self, templates: list[str]) -> None:
        super().__init__("; ".join(templates))
        self.templates = templates


class _Checked(PydanticBaseSettingsSource):
    """An environment source that refuses unknown ``SESSION_*`` names, then reads only
    the variables that are settings."""

    def __init__(
        self, settings_cls: type[BaseSettings], source: PydanticBaseSettingsSource, where: str
    ) -> None:
        super().__init__(settings_cls)
        self.source = source
        self.where = where

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` defers to the wrapped source."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        source = self.source
        if not isinstance(source, EnvSettingsSource):
            return source()
        _refuse_unknown_variables(source.env_vars, self.where)
        known = {f"{ENV_PREFIX}{name}".lower() for name in SessionSettings.model_fields}
        source.env_vars = {k: v for k, v in source.env_vars.items() if k.lower() in known}
        return source()


def _refuse_unknown_variables(names: Iterable[str], where: str = "the environment") -> None:
    """Raise `ConfigurationError` for a ``SESSION_*`` name in *names* that is no setting,
    with the closest setting's variable when there is one."""
    fields = sorted(SessionSettings.model_fields)
    problems = []
    for name in names:
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in FOREIGN_VARIABLES:
            continue
        field = upper[len(ENV_PREFIX) :].lower()
        if field in SessionSettings.model_fields:
            continue
        close = difflib.get_close_matches(field, fields, n=1, cutoff=0.7)
        hint = (
            f"did you mean {ENV_PREFIX}{close[0].upper()}?"
            if close
            else "see the settings reference for the names"
        )
        problems.append(f"{upper} in {where} is not a satchel setting; {hint}")
    if problems:
        raise ConfigurationError("; ".join(problems))


def _browser_session(data: Any) -> Any:
    """``max_age`` 0 or None means a cookie that ends with the browser session."""
    if isinstance(data, Mapping) and "max_age" in data and _is_zero(data["max_age"]):
        data = {k: v for k, v in data.items() if k != "max_age"}
        persistent = data.get("persistent")
        if persistent is True or str(persistent).strip().lower() in _TRUE:
            raise _Problems(
                [
                    "{max_age}=0 or None asks for a browser-session cookie; "
                    "{persistent}=True contradicts it: give one of them"
                ]
            )
        data["persistent"] = False
    return data


def _is_zero(value: Any) -> bool:
    if value is None or (type(value) in (int, float) and value == 0):
        return True
    if isinstance(value, timedelta):
        return value.total_seconds() == 0
    return isinstance(value, str) and value.strip() in ("0", "0.0", "")


def _secret_text(value: Any) -> Any:
    """A secret wrapper such as Starlette's ``Secret`` as its text; others as given."""
    if value is None or isinstance(value, str | SecretStr | bytes | int | float | list | dict):
        return value
    text = str(value)
    return value if text == object.__repr__(value) else text


def _spelled(name: str, names: Mapping[str, str]) -> str:
    """How the user gave setting *name*: the option's own spelling, else its variable."""
    return names.get(name) or f"{ENV_PREFIX}{name.upper()}"


@contextmanager
def _names_as_given(names: Mapping[str, str]) -> Iterator[None]:
    """Within the block, errors name each setting as *names* spells it (an adapter's
    alias, a framework's config key) instead of by its own name."""
    token = _NAMES.set(names)
    try:
        yield
    finally:
        _NAMES.reset(token)


def _explain(exc: ValidationError | _Problems, names: Mapping[str, str]) -> ConfigurationError:
    """One line per problem, each naming the setting as the user gave it."""
    problems: list[str] = []
    fields: list[str] = []

    def name_of(match: re.Match[str]) -> str:
        fields.append(match[1])
        return _spelled(match[1], names)

    errors: list[Any] = (
        exc.errors() if isinstance(exc, ValidationError) else [{"ctx": {"error": exc}}]
    )
    for error in errors:
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ConfigurationError):  # from a nested construction
            problems.append(str(cause))
            fields += cause.fields
            continue
        if isinstance(cause, _Problems):
            problems += [re.sub(r"\{(\w+)\}", name_of, t) for t in cause.templates]
            continue
        loc = error["loc"]
        field = str(loc[0]) if loc else ""
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(field, sorted(SessionSettings.model_fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"unknown session option {names.get(field, field)!r}{hint}")
            continue
        fields.append(field)
        where = _spelled(field, names) + "".join(f"[{part}]" for part in loc[1:])
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message.replace("Input should be", "must be")
        if field in SECRET_FIELDS or "input" not in error:
            problems.append(f"{where}: {message}")
        else:
            problems.append(f"{where}={error['input']!r}: {message}")
    return ConfigurationError("; ".join(problems), tuple(dict.fromkeys(fields)))
