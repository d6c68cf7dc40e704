"""starsessions' stores and serializer: each store names a satchel backend and its
options, which the middleware adds to its own (a Redis client of yours: a backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from starlette.datastructures import Secret

from satchel.errors import ConfigurationError
from satchel_starlette.options import ALIASES

if TYPE_CHECKING:
    from redis.asyncio import Redis

    import satchel
    from satchel import Backend, SessionSettings


class ImproperlyConfigured(ConfigurationError, RuntimeError):
    """Sessions set up wrongly (a store without a server, middleware in the wrong
    order): starsessions' name for a `satchel.errors.ConfigurationError`."""


class Store(ABC):
    """Where sessions live, as starsessions describes it: ``SessionMiddleware(store=...)``."""

    gc_ttl: int | None
    """With a browser-session cookie (``lifetime=0``), the server's `max_age`."""

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """The `SessionSettings` options this store stands for."""

    def backend(
        self, settings: SessionSettings, serializer: satchel.Serializer | None
    ) -> Backend | None:
        """A backend the settings cannot describe (a Redis client you own), else None."""
        return None

    def apply(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """*options* with this store's (a setting given both ways is an error), and
        `gc_ttl` as the server's bound of a browser-session cookie."""
        own = self.options()
        clash = ", ".join(sorted(own.keys() & {ALIASES.get(name, name) for name in options}))
        if clash:
            raise ConfigurationError(f"{clash}: set by the store and by an option; give it once")
        merged = {**options, **own}
        if self.gc_ttl is not None and merged.get("persistent") is not True:
            for name in ("lifetime", "max_age"):
                if merged.get(name, 1) in (0, None, timedelta(0)):
                    merged |= {name: self.gc_ttl, "persistent": False}
        return merged


@dataclass(frozen=True)
class CookieStore(Store):
    """Sessions in the cookie, signed with HMAC-SHA256: satchel's ``signed`` backend
    (starsessions' CookieStore). The secret must be at least 32 bytes."""

    secret_key: str | Secret | SecretStr = field(repr=False)
    gc_ttl: int | None = None

    def options(self) -> dict[str, Any]:
        """``backend="signed"`` with this store's secret."""
        return {"backend": "signed", "secret_key": self.secret_key}


@dataclass(frozen=True)
class InMemoryStore(Store):
    """Sessions in this process: satchel's ``memory`` backend, bounded by `max_entries`
    (starsessions' InMemoryStore). Its ids are signed, so it needs a secret: here, on
    the middleware, or ``SESSION_SECRET_KEY``."""

    secret_key: str | Secret | SecretStr | None = field(default=None, repr=False)
    gc_ttl: int | None = None
    max_entries: int | None = None

    def options(self) -> dict[str, Any]:
        """``backend="memory"``, with the secret and bound if given."""
        given = {"secret_key": self.secret_key, "store_max_entries": self.max_entries}
        return {"backend": "memory", **{k: v for k, v in given.items() if v is not None}}


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
        options = {} if self.url is None else {"backend": "redis", "redis_url": self.url}
        return options if self.prefix is None else {**options, "store_prefix": self.prefix}

    def backend(
        self, settings: SessionSettings, serializer: satchel.Serializer | None
    ) -> Backend | None:
        """satchel's RedisStore on your `connection` (which it leaves open)."""
        if self.connection is None:
            return None
        from satchel.backends.redis import RedisStore

        return RedisStore.from_settings(settings, serializer, client=self.connection)


class Serializer(ABC):
    """starsessions' serializer interface; a subclass is also a `satchel.Serializer`."""

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
