"""``redis``: sessions in Redis (or Valkey), shared by every worker, pod and machine.

Each operation is one round trip: a read is one HGETALL, a write one Lua script
(plus, in the same pipeline, the user index when the session holds a user; a
write that also removes index entries, such as regenerating a logged-in session,
takes a second). Every key a script touches is one it is given, and all carry
one hash tag, so Redis Cluster accepts them. Needs Redis 7 or Valkey, and
asyncio (redis-py's client is asyncio).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from satchel.backends._store import IndexChange, StoreBackend, StoreWrite
from satchel.errors import BackendUnavailable
from satchel.keys import Keyring
from satchel.protocols import Serializer
from satchel.records import Lifetime
from satchel.settings import SessionSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis

T = TypeVar("T")

FORWARD_TTL = 300
"""Seconds a regenerated logged-in session leaves a pointer to its new record where it
was: far longer than a revocation takes between reading a user's index and deleting."""

BATCH = 1000
"""Values per command inside a script: Lua's `unpack` stops near 8,000."""

# KEYS: record, source (the record a regenerated session leaves, or the record again)
# ARGV: create, moving ('0'; '1'; '2': leave a pointer to the record), created, issued,
#       ttl, n, field, value..., n, field..., n, field, sha1..., n, field, sha1, value...
# The sha1 list (on_conflict="raise") is checked on source, before anything is written.
WRITE = f"""
local key, source = KEYS[1], KEYS[2]
local moving = ARGV[2] ~= '0'
if moving then
  if redis.call('HEXISTS', source, 'm:c') == 0 then return 'gone' end
elseif ARGV[1] ~= '1' and redis.call('HEXISTS', key, 'm:c') == 0 then
  return 'gone'
end
local i = 6
local sets, dels = {{}}, {{}}
for _ = 1, tonumber(ARGV[i]) do
  sets[#sets + 1] = ARGV[i + 1]; sets[#sets + 1] = ARGV[i + 2]; i = i + 2
end
i = i + 1
for _ = 1, tonumber(ARGV[i]) do dels[#dels + 1] = ARGV[i + 1]; i = i + 1 end
i = i + 1
for _ = 1, tonumber(ARGV[i]) do
  local current = redis.call('HGET', source, ARGV[i + 1])
  local digest = current and redis.sha1hex(current) or ''
  if digest ~= ARGV[i + 2] then return 'conflict' end
  i = i + 2
end
i = i + 1
for _ = 1, tonumber(ARGV[i]) do
  local current = redis.call('HGET', key, ARGV[i + 1])
  if current and redis.sha1hex(current) == ARGV[i + 2] then
    sets[#sets + 1] = ARGV[i + 1]; sets[#sets + 1] = ARGV[i + 3]
  end
  i = i + 3
end
if moving then
  redis.call('DEL', source)
  if ARGV[2] == '2' then
    redis.call('HSET', source, 'm:m', key)
    redis.call('EXPIRE', source, {FORWARD_TTL})
  end
end
for first = 1, #dels, {BATCH} do
  redis.call('HDEL', key, unpack(dels, first, math.min(first + {BATCH - 1}, #dels)))
end
for first = 1, #sets, {BATCH} do
  redis.call('HSET', key, unpack(sets, first, math.min(first + {BATCH - 1}, #sets)))
end
redis.call('HSET', key, 'm:c', ARGV[3], 'm:i', ARGV[4])
redis.call('EXPIRE', key, ARGV[5])
return 'ok'
"""

# KEYS: a user's index (sorted set: session key -> expiry); ARGV: now, member, expiry or ''
INDEX = """
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('EXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - tonumber(ARGV[1])))
end
return 1
"""

# KEYS: a record a user's index lists. Deletes it; returns 1 for a session, the key it
# moved to for a pointer a regenerated session left, 0 for nothing
END = """
local moved = redis.call('HGET', KEYS[1], 'm:m')
local live = redis.call('HEXISTS', KEYS[1], 'm:c')
redis.call('DEL', KEYS[1])
if moved then return moved end
return live
"""


class RedisStore(StoreBackend):
    """Sessions in Redis through ``redis.asyncio``, opened lazily, closed by `aclose`.

    Give it a URL (``SESSION_REDIS_URL``) and it makes and owns its client, or
    pass a client of your own (which `aclose` leaves open). Redis that is down,
    refusing, timing out or restarting raises `BackendUnavailable`, never a
    silent logout; the client reconnects by itself when Redis is back.
    """

    __slots__ = ("_client", "_errors", "_owned", "_scripts", "_timeout", "_url")

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        url: str | None = None,
        client: Redis | None = None,
        timeout: float = 2.0,
        **options: Any,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisStore needs exactly one of url= or client=")
        import redis.exceptions as errors

        super().__init__(keyring, lifetime, **options)
        self._url = url
        self._client = client
        self._owned = client is None
        self._timeout = timeout
        self._scripts: dict[str, Any] = {}
        self._errors = (errors.ConnectionError, errors.TimeoutError, errors.ReadOnlyError)

    @classmethod
    def from_settings(
        cls,
        settings: SessionSettings,
        serializer: Serializer | None = None,
        *,
        client: Redis | None = None,
    ) -> RedisStore:
        """The store the settings describe, on ``redis_url``, or on *client* (a client of
        yours, which `aclose` leaves open)."""
        url = settings.redis_url
        if url is None and client is None:
            raise ValueError("redis_url is required for the redis backend")
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            url=None if client is not None or url is None else url.get_secret_value(),
            client=client,
            timeout=settings.store_timeout,
            serializer=serializer,
            **cls.options(settings),
        )

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r}, connected={self._client is not None})"

    @property
    def client(self) -> Redis:
        """The redis client, created on first use from the URL."""
        if self._client is None:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import ConnectionError

            assert self._url is not None
            self._client = Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                # one retry, on connection errors only: it replaces a pooled connection
                # that died with a restarted server, and never repeats a script Redis
                # may already have run (that is a timeout, which is not retried)
                retry=Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
            )
        return self._client

    async def aclose(self) -> None:
        """Close the client if this store made it (a client passed in stays open)."""
        if self._client is not None and self._owned:
            client, self._client = self._client, None
            await client.aclose()

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except self._errors as exc:
            raise BackendUnavailable(
                f"the session store did not answer ({type(exc).__name__})"
            ) from exc

    def _script(self, name: str, source: str) -> Any:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client.register_script(source)
        return script

    async def _fetch(self, key: str, now: int) -> dict[str, bytes] | None:
        raw: dict[Any, Any] = await self._call(lambda: self.client.hgetall(key))
        return {_text(bytes(name)): bytes(value) for name, value in raw.items()}

    async def _apply(self, change: StoreWrite) -> str:
        moving = "0" if change.source is None else "2" if change.forward else "1"
        args: list[Any] = ["1" if change.create else "0", moving]
        args += [change.created, change.issued, change.ttl, len(change.fields)]
        for name, value in change.fields.items():
            args += [_name(name), value]
        args.append(len(change.removed))
        args += [_name(name) for name in change.removed]
        expect = change.expect or {}
        args.append(len(expect))
        for name, digest in expect.items():
            args += [_name(name), digest]
        reseal = change.reseal or {}
        args.append(len(reseal))
        for name, (digest, value) in reseal.items():
            args += [_name(name), digest, value]
        keys = [change.key, change.source or change.key]
        calls = [(self._script("write", WRITE), keys, args)]
        calls += [self._index_call(i, change.now) for i in change.index]
        results = await self._run(calls)
        outcome = results[0]
        outcome = outcome.decode() if isinstance(outcome, bytes) else str(outcome)
        if outcome == "ok" and change.after:
            await self._run([self._index_call(i, change.now) for i in change.after])
        return outcome

    def _index_call(self, change: IndexChange, now: int) -> tuple[Any, list[str], list[Any]]:
        expiry = "" if change.expires is None else change.expires
        return self._script("index", INDEX), [change.index], [now, change.member, expiry]

    async def _run(self, calls: list[tuple[Any, list[Any], list[Any]]]) -> list[Any]:
        """Run scripts in one round trip; scripts Redis forgot (a restart) are reloaded."""
        if len(calls) == 1:
            script, keys, args = calls[0]
            return [await self._call(lambda: script(keys=keys, args=args))]
        from redis.exceptions import NoScriptError

        async def pipeline(batch: list[tuple[Any, list[Any], list[Any]]]) -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for script, keys, args in batch:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            return await pipe.execute(raise_on_error=False)

        results = await self._call(lambda: pipeline(calls))
        missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
        if missing:
            for script in {id(calls[i][0]): calls[i][0] for i in missing}.values():
                await self._call(partial(self.client.script_load, script.script))
            retried = await self._call(lambda: pipeline([calls[i] for i in missing]))
            for i, result in zip(missing, retried, strict=True):
                results[i] = result
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        await self._call(lambda: self.client.delete(key))
        if index:  # a logged-in session: its user's index is another slot, another step
            await self._run([self._index_call(i, now) for i in index])

    async def _revoke(self, index: str) -> int:
        # Read the index, end what it lists, then drop those entries: a failure on the
        # way leaves them listed for the next attempt. A session regenerated meanwhile
        # left a pointer where it was; its new record is ended in the next round.
        listed: list[Any] = await self._call(lambda: self.client.zrange(index, 0, -1))
        if not listed:
            return 0
        ended, pending, seen = 0, list(listed), list(listed)
        end = self._script("end", END)
        while pending:
            results = await self._run([(end, [member], []) for member in pending])
            pending = [r for r in results if isinstance(r, bytes)]
            seen += pending
            ended += sum(r for r in results if isinstance(r, int))
        await self._call(lambda: self.client.zrem(index, *seen))
        return ended


def _name(field: str) -> bytes:
    """A field name as Redis stores it: UTF-8, lone surrogates kept (any `str` key)."""
    return field.encode("utf-8", "surrogatepass")


def _text(name: bytes) -> str:
    """A stored field name back as text; one satchel did not write reads as what it is
    not, so the record is refused as not matching its value."""
    try:
        return name.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return name.decode("utf-8", "replace")
