"""starsessions' store and serializer names, standing for satchel's backends.

A store here keeps no session itself. It says which satchel backend to use and
with what (`options`), and `SessionMiddleware(store=...)` turns that into
`SessionSettings`; only a Redis client of your own, which settings cannot hold,
becomes a backend object (`backend`). Every session rule stays in the engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from starlette.datastructures import Secret

import satchel

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from satchel import Backend, SessionSettings


class ImproperlyConfigured(satchel.SatchelError, RuntimeError):
    """The sessions are set up wrongly (a store without a server, middleware in the
    wrong order): raised when the application starts or on its first request."""


class Store(ABC):
    """Where sessions live, described as starsessions describes it; pass one to
    ``SessionMiddleware(store=...)``."""

    gc_ttl: int | None
    """With a browser-session cookie (``lifetime=0``), how many seconds the server
    keeps a session (satchel's `max_age`); None leaves `max_age` as configured."""

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """The `SessionSettings` options this store stands for."""

    def backend(
        self, settings: SessionSettings, serializer: satchel.Serializer | None
    ) -> Backend | None:
        """A backend the settings cannot describe (a Redis client you own), else None."""
        return None

    def apply(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The middleware's *options* with this store's added (a setting given both
        ways is an error) and `gc_ttl` applied to a browser-session cookie."""
        own = self.options()
        clash = sorted(own.keys() & options.keys())
        if clash:
            raise ValueError(f"{', '.join(clash)}: set by the store and by an option; give it once")
        merged = {**options, **own}
        if self.gc_ttl is not None and merged.get("persistent") is False:
            merged.setdefault("max_age", self.gc_ttl)
        return merged


def _reveal(secret: str | Secret | SecretStr) -> str:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else str(secret)


@dataclass(frozen=True)
class CookieStore(Store):
    """Sessions in the cookie itself, signed with HMAC-SHA256: satchel's ``signed``
    backend (starsessions' CookieStore). The secret must be at least 32 bytes."""

    secret_key: str | Secret | SecretStr = field(repr=False)
    gc_ttl: int | None = None

    def options(self) -> dict[str, Any]:
        """``backend="signed"`` with this store's secret."""
        return {"backend": "signed", "secret_key": _reveal(self.secret_key)}


@dataclass(frozen=True)
class InMemoryStore(Store):
    """Sessions in this process: satchel's ``memory`` backend, bounded by
    `max_entries` (starsessions' InMemoryStore). Its ids are signed, so it needs a
    secret: ``secret_key=`` here or on the middleware, or ``SESSION_SECRET_KEY``."""

    secret_key: str | Secret | SecretStr | None = field(default=None, repr=False)
    gc_ttl: int | None = None
    max_entries: int | None = None

    def options(self) -> dict[str, Any]:
        """``backend="memory"``, with the secret and bound if given."""
        options: dict[str, Any] = {"backend": "memory"}
        if self.secret_key is not None:
            options["secret_key"] = _reveal(self.secret_key)
        if self.max_entries is not None:
            options["store_max_entries"] = self.max_entries
        return options


@dataclass(frozen=True)
class RedisStore(Store):
    """Sessions in Redis: satchel's ``redis`` backend (starsessions' RedisStore).

    Give a URL, and the client is opened on first use and closed with the app's
    lifespan; or give your own ``redis.asyncio.Redis`` as `connection`, which you
    close yourself. `prefix` must be a string: satchel keys records on hashed ids.
    """

    url: str | None = field(default=None, repr=False)
    connection: Redis | None = field(default=None, repr=False)
    prefix: str | None = None
    gc_ttl: int | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.connection is None):
            raise ImproperlyConfigured("RedisStore needs a url or a connection (and not both)")
        if self.prefix is not None and not isinstance(self.prefix, str):
            raise TypeError("RedisStore's prefix must be a str: satchel keys records on hashed ids")

    def options(self) -> dict[str, Any]:
        """``backend="redis"`` with the URL; the prefix if given."""
        options: dict[str, Any] = {} if self.url is None else {"backend": "redis"}
        if self.url is not None:
            options["redis_url"] = self.url
        if self.prefix is not None:
            options["store_prefix"] = self.prefix
        return options

    def backend(
        self, settings: SessionSettings, serializer: satchel.Serializer | None
    ) -> Backend | None:
        """satchel's RedisStore on your `connection` (it stays open at shutdown)."""
        if self.connection is None:
            return None
        return satchel.RedisStore(
            satchel.Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            satchel.Lifetime.from_settings(settings),
            client=self.connection,
            timeout=settings.store_timeout,
            serializer=serializer,
            **satchel.StoreBackend.options(settings),
        )


class Serializer(ABC):
    """starsessions' serializer interface (`serialize`, `deserialize`); a subclass is
    also a `satchel.Serializer`, so ``SessionMiddleware(serializer=...)`` takes it."""

    @abstractmethod
    def serialize(self, data: Any) -> bytes:
        """The session's data as bytes."""

    @abstractmethod
    def deserialize(self, data: bytes) -> dict[str, Any]:
        """The session's data from bytes."""

    def dumps(self, data: Mapping[str, Any]) -> bytes:
        """Same as `serialize` (satchel's name)."""
        return self.serialize(data)

    def loads(self, raw: bytes) -> dict[str, Any]:
        """Same as `deserialize` (satchel's name)."""
        return self.deserialize(raw)
