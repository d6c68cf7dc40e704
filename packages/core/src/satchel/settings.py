"""`SessionSettings`: every option of a satchel session, typed and read from ``SESSION_*``.

One settings object configures the engine whatever the framework, which is
what lets an application move between adapters without logging anyone out.
Invalid combinations fail here, at start-up, with a message that names the
field, rather than as a cookie the browser silently refuses.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

from pydantic import (
    BaseModel,
    Field,
    ImportString,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Self, Unpack

from satchel.keys import MIN_SECRET_BYTES, generate_key

BackendName = Literal["signed", "jwt", "fernet", "aesgcm", "base64", "memory", "redis"]
"""The built-in backends, by the name ``SESSION_BACKEND`` takes."""

SameSite = Literal["lax", "strict", "none"]
JWTAlgorithm = Literal["HS256", "HS384", "HS512", "EdDSA", "ES256"]

MAX_COOKIE_AGE = timedelta(days=400)
"""Browsers cap Max-Age and Expires at 400 days (RFC 6265bis)."""

OnConflict = Literal["overwrite", "raise"]

KEYED_BACKENDS: frozenset[str] = frozenset({"signed", "jwt", "fernet", "aesgcm", "memory", "redis"})

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PATH = re.compile(r"/[\x21-\x3a\x3c-\x7e]*")
_DOMAIN = re.compile(
    r"\.?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


Seconds = int | float | timedelta


class SessionOptions(TypedDict, total=False):
    """Keyword options of `SessionSettings` (and of every adapter), with the input
    types they accept: plain strings for secrets, seconds for durations."""

    backend: BackendName
    secret_key: str | SecretStr | None
    secret_key_fallbacks: Sequence[str | SecretStr] | str
    allow_unsigned: bool
    cookie_name: str
    cookie_path: str
    cookie_domain: str | None
    cookie_secure: bool
    cookie_httponly: bool
    cookie_samesite: SameSite
    cookie_partitioned: bool
    cookie_chunking: bool
    cookie_max_chunks: int
    max_age: Seconds
    idle_timeout: Seconds | None
    rolling: bool
    refresh_interval: Seconds
    persistent: bool
    compress: bool | None
    max_session_bytes: int
    jwt_algorithm: JWTAlgorithm
    jwt_issuer: str
    user_key: str
    data_model: type[BaseModel] | str | None
    redis_url: str | SecretStr | None
    store_prefix: str
    store_timeout: float
    store_encrypt: bool
    store_max_entries: int
    on_conflict: OnConflict


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
    """The cookie's Path attribute."""

    cookie_domain: str | None = None
    """The cookie's Domain attribute; unset means host-only, which is safer."""

    cookie_secure: bool = False
    """Send the cookie over HTTPS only. Turn it on in production."""

    cookie_httponly: bool = True
    """Hide the cookie from JavaScript."""

    cookie_samesite: SameSite = "lax"
    """The cookie's SameSite attribute; ``none`` requires `cookie_secure`."""

    cookie_partitioned: bool = False
    """Set the Partitioned attribute (CHIPS) for third-party contexts; requires
    `cookie_secure`."""

    cookie_chunking: bool = True
    """Split a session cookie that exceeds the browser's 4096-byte limit across
    numbered cookies; when off, such a session raises `SessionTooLarge`."""

    cookie_max_chunks: int = Field(default=3, ge=2, le=20)
    """The most cookies one session may span. Each carries up to 4 KB and every
    request sends them all, and many servers refuse request headers over 8-16 KB."""

    max_age: timedelta = timedelta(days=14)
    """Absolute lifetime of a session from its creation (from its last refresh when
    `rolling`), enforced by the server from data inside the token or record."""

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

    jwt_algorithm: JWTAlgorithm = "HS256"
    """The JWT backend's algorithm, pinned on decode. The EdDSA and ES256 keys are
    derived from `secret_key`; ``satchel verify-key`` prints the public key."""

    jwt_issuer: str = "satchel"
    """The JWT ``iss`` claim, required on decode."""

    user_key: str = "user_id"
    """The session key that holds the logged-in user's id (`Session.login`)."""

    data_model: ImportString[type[BaseModel]] | None = None
    """A pydantic model that session data must satisfy: data that fails on load is a
    fresh session, and a change that fails is refused at commit. From the
    environment, a dotted import path (``SESSION_DATA_MODEL=myapp.models:Cart``)."""

    redis_url: SecretStr | None = None
    """Where the redis backend's server is (``redis://host:6379/0``, ``rediss://`` for
    TLS). Secret, since it may hold a password."""

    store_prefix: str = "satchel:"
    """Prefix of every key a store backend writes."""

    store_timeout: float = Field(default=2.0, gt=0)
    """Seconds a store operation may take before it counts as `BackendUnavailable`."""

    store_encrypt: bool = False
    """Encrypt session data at rest in the store (AES-256-GCM, keys derived from
    `secret_key` and rotated with it), so a shared Redis holds nothing readable."""

    store_max_entries: int = Field(default=10_000, ge=1)
    """The most sessions the memory backend keeps; beyond it, expired sessions go
    first, then the least recently written."""

    on_conflict: OnConflict = "overwrite"
    """When two requests of one session change the same key, the later commit wins
    (``overwrite``) or raises `SessionConflict` (``raise``). Changes to different keys
    always merge."""

    @field_validator("secret_key_fallbacks", mode="before")
    @classmethod
    def _split_fallbacks(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cookie_name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _TOKEN.fullmatch(value):
            raise ValueError("cookie_name must be an HTTP token (letters, digits, !#$%&'*+-.^_`|~)")
        return value

    @field_validator("cookie_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not _PATH.fullmatch(value):
            raise ValueError("cookie_path must start with / and hold no ';', space or control")
        return value

    @field_validator("cookie_domain")
    @classmethod
    def _check_domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.fullmatch(value):
            raise ValueError("cookie_domain must be a host name such as example.com")
        return value

    @field_validator("max_age", "idle_timeout", "refresh_interval", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
            return float(value)
        return value

    @field_validator("max_age", "idle_timeout", "refresh_interval")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value.total_seconds() < 1:
            raise ValueError("must be at least one second")
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        problems = list(self._problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _problems(self) -> Any:
        name = self.cookie_name.lower()
        secure = self.cookie_secure
        if self.cookie_samesite == "none" and not secure:
            yield "cookie_samesite='none' requires cookie_secure=True (browsers reject it)"
        if name.startswith("__host-"):
            if not secure:
                yield "a __Host- cookie_name requires cookie_secure=True"
            if self.cookie_domain is not None:
                yield "a __Host- cookie_name forbids cookie_domain"
            if self.cookie_path != "/":
                yield "a __Host- cookie_name requires cookie_path='/'"
        if name.startswith("__secure-") and not secure:
            yield "a __Secure- cookie_name requires cookie_secure=True"
        if self.cookie_partitioned and not secure:
            yield "cookie_partitioned=True requires cookie_secure=True"
        if self.max_age > MAX_COOKIE_AGE:
            yield "max_age may not exceed 400 days (browsers cap cookie lifetimes there)"
        if self.idle_timeout is not None and self.refresh_interval >= self.idle_timeout:
            yield "refresh_interval must be shorter than idle_timeout"
        if self.backend == "base64" and not self.allow_unsigned:
            yield (
                "backend='base64' makes cookies anyone can forge; "
                "set allow_unsigned=True to use it anyway"
            )
        if self.backend == "redis" and self.redis_url is None:
            yield (
                "redis_url is required for backend='redis' "
                "(or pass your own RedisStore as SessionManager(backend=...))"
            )
        if self.backend in KEYED_BACKENDS:
            if self.secret_key is None:
                yield f"secret_key is required for backend={self.backend!r} (satchel keygen)"
            elif len(self.secret_key.get_secret_value().encode()) < MIN_SECRET_BYTES:
                yield f"secret_key must be at least {MIN_SECRET_BYTES} bytes (satchel keygen)"
            for index, fallback in enumerate(self.secret_key_fallbacks):
                if len(fallback.get_secret_value().encode()) < MIN_SECRET_BYTES:
                    yield (
                        f"secret_key_fallbacks[{index}] must be at least {MIN_SECRET_BYTES} bytes"
                    )

    @classmethod
    def development(cls, **options: Unpack[SessionOptions]) -> SessionSettings:
        """Settings as `SessionSettings(**options)`, but when no secret is configured
        anywhere, with a freshly generated one and a `UserWarning`: for development
        only, since sessions then end whenever the process restarts."""
        if options.get("secret_key") is None:
            try:
                return cls(**options)
            except ValidationError as exc:
                if "secret_key is required" not in str(exc):
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
        """A copy with *overrides* applied and validated like a fresh construction."""
        if not overrides:
            return self
        values: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        values.update(overrides)
        return type(self).model_validate(values)
