"""``redis``: sessions in Redis (or Valkey), shared by every worker, pod and machine.

A record is one string, ``version created issued`` and a newline before the
serialized session, so a read is one GET and a write one short script that sets
it only if the version is still the one read (a compare-and-set: Redis has no
command for it) or, when another request wrote first, hands back the record for
the merge; a new session is a plain SET. A write that lists the session under a
user sends the index update in the same round trip; one that also removes index
entries, such as regenerating a logged-in session, takes a second. Every key a
script touches is one it is given, and all carry one hash tag, so Redis Cluster
accepts them. Needs Redis 7 or Valkey, and asyncio (redis-py's client is asyncio).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from satchel.backends._store import IndexChange, StoreBackend, Stored, StoreWrite
from satchel.errors import BackendUnavailable, BadCookie
from satchel.keys import Keyring
from satchel.protocols import Serializer
from satchel.records import Lifetime
from satchel.settings import SessionSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

FORWARD_TTL = 300
"""Seconds a regenerated logged-in session leaves a pointer to its new record where it
was: far longer than a revocation takes between reading a user's index and deleting."""

POINTER = 0x3E
"""The first byte (``>``) of the pointer a regenerated session leaves, followed by the key
of its new record; a session record starts with a digit."""

# KEYS: the record. ARGV: the version the write was made from and a space (how the
# stored value starts), the new value, its TTL. Returns 1 when written, 0 when there is
# no session (ended, or moved away), or the record as another request left it.
WRITE = """
local key = KEYS[1]
if redis.call('GETRANGE', key, 0, #ARGV[1] - 1) ~= ARGV[1] then
  local current = redis.call('GET', key)
  if current and string.byte(current) ~= 62 then return current end
  return 0
end
redis.call('SET', key, ARGV[2], 'EX', ARGV[3])
return 1
"""

# KEYS: the new record, the record it moves from (one slot). ARGV: the version the source
# must have and a space ('' for any live session), the new value, its TTL, '1' to leave
# a pointer to the new record where the source was. Returns as WRITE does.
MOVE = f"""
local source = KEYS[2]
local head = redis.call('GETRANGE', source, 0, 20)
if head == '' or string.byte(head) == 62 then return 0 end
if string.sub(head, 1, #ARGV[1]) ~= ARGV[1] then return redis.call('GET', source) end
if ARGV[4] == '1' then
  redis.call('SET', source, '>' .. KEYS[1], 'EX', {FORWARD_TTL})
else
  redis.call('DEL', source)
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
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
# moved to for a pointer a regenerated session left, 0 for nothing (or a key of another
# type, which no session of this format is)
END = """
local value = redis.pcall('GET', KEYS[1])
redis.call('DEL', KEYS[1])
if type(value) ~= 'string' then return 0 end
if string.byte(value) == 62 then return string.sub(value, 2) end
return 1
"""

SCRIPTS = {hashlib.sha1(s.encode()).hexdigest(): s for s in (WRITE, MOVE, INDEX, END)}  # noqa: S324
"""Each script by its SHA-1, the name EVALSHA runs it by."""
WRITE_SHA, MOVE_SHA, INDEX_SHA, END_SHA = SCRIPTS

Call = tuple[Any, ...]
"""One command and its arguments, as redis-py's ``execute_command`` takes them."""


class RedisStore(StoreBackend):
    """Sessions in Redis through ``redis.asyncio``, opened lazily, closed by `aclose`.

    Give it a URL (``SESSION_REDIS_URL``) and it makes and owns its client, or
    pass a client of your own (which `aclose` leaves open). Redis that is down,
    refusing, timing out or restarting raises `BackendUnavailable`, never a
    silent logout; the client reconnects by itself when Redis is back.

    With a URL, the store talks to Redis on one connection of its own, made like the
    client's and shared by every request (`_Line`): a command costs a write and a
    read, without the pool, retry and timing layers redis-py puts around each call
    (more than half of the client's CPU time per command), and under concurrency
    replies that arrive together are read in one go. `timeout` bounds every reply,
    through one timer per store rather than one per command. A client passed in is
    used as it is, through its own API (a Redis Cluster client included). Either way
    the store belongs to one event loop at a time.

    With *cluster*, the URL names one node of a Redis Cluster, and the store uses
    redis-py's cluster client, which routes each key to its node. With *sentinels*
    (``(host, port)`` pairs), the URL's host names the master's service, which the
    store asks the Sentinels for whenever it connects, so it follows a failover. With
    *wait_replicas*, every write is followed by ``WAIT`` on its connection, and is
    acknowledged only once that many replicas hold it; since WAIT holds the
    connection it runs on, such a store gives each request a connection of redis-py's
    pool rather than sharing one.
    """

    __slots__ = (
        "_client",
        "_cluster",
        "_errors",
        "_line",
        "_missing",
        "_owned",
        "_refused",
        "_sentinel",
        "_sentinels",
        "_shared",
        "_timeout",
        "_url",
        "_wait",
    )

    def __init__(
        self,
        keyring: Keyring,
        lifetime: Lifetime,
        *,
        url: str | None = None,
        client: Redis | RedisCluster | None = None,
        timeout: float = 2.0,
        cluster: bool = False,
        sentinels: Sequence[tuple[str, int]] = (),
        wait_replicas: int = 0,
        **options: Any,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisStore needs exactly one of url= or client=")
        if client is not None and (cluster or sentinels):
            raise ValueError("cluster= and sentinels= describe the URL's Redis; a client is made")
        if cluster and sentinels:
            raise ValueError("a Redis Cluster has no Sentinels: give cluster= or sentinels=")
        if wait_replicas < 0:
            raise ValueError("wait_replicas must be 0 or more")
        import redis.exceptions as errors

        if wait_replicas and (cluster or _is_cluster(client)):
            raise ValueError(
                "wait_replicas is not available on a Redis Cluster: WAIT must follow the "
                "writes on their own connection, which the cluster client does not offer"
            )
        super().__init__(keyring, lifetime, **options)
        self._url = url
        self._client = client
        self._owned = client is None
        self._cluster = cluster
        self._sentinels = tuple(sentinels)
        self._sentinel: Any = None
        self._wait: Call | None = None
        if wait_replicas:  # WAIT answers in half the timeout, before the socket's runs out
            self._wait = ("WAIT", wait_replicas, max(1, int(timeout * 500)))
        self._shared = self._owned and not cluster and not wait_replicas
        self._timeout = timeout
        self._errors = (
            errors.ConnectionError,
            errors.TimeoutError,
            errors.ReadOnlyError,
            errors.ClusterError,  # a cluster with slots no node serves, or changing hands
            errors.TryAgainError,
            errors.RedisClusterException,  # no node of the cluster reachable
        )
        self._missing = errors.NoScriptError
        self._refused = errors.ResponseError
        self._line = _Line(self._connection, timeout, self._errors, self._refused)

    @classmethod
    def from_settings(
        cls,
        settings: SessionSettings,
        serializer: Serializer | None = None,
        *,
        client: Redis | RedisCluster | None = None,
    ) -> RedisStore:
        """The store the settings describe, on ``redis_url``, or on *client* (a client of
        yours, which `aclose` leaves open)."""
        url = settings.redis_url
        if url is None and client is None:
            raise ValueError("redis_url is required for the redis backend")
        made = client is None
        return cls(
            Keyring.from_secrets(settings.secret_key, settings.secret_key_fallbacks),
            Lifetime.from_settings(settings),
            url=None if client is not None or url is None else url.get_secret_value(),
            client=client,
            timeout=settings.store_timeout,
            cluster=made and settings.redis_cluster,
            sentinels=[_address(s) for s in settings.redis_sentinels] if made else (),
            wait_replicas=settings.redis_wait_replicas,
            serializer=serializer,
            **cls.options(settings),
        )

    def __repr__(self) -> str:
        kind = "cluster, " if self._cluster else "sentinel, " if self._sentinels else ""
        return f"RedisStore({kind}prefix={self._prefix!r}, connected={self._client is not None})"

    @property
    def client(self) -> Redis | RedisCluster:
        """The redis client, created on first use from the URL (a cluster client, with
        ``cluster``)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError

        assert self._url is not None
        options: dict[str, Any] = {
            "socket_timeout": self._timeout,
            "socket_connect_timeout": self._timeout,
        }
        if self._cluster:
            from redis.asyncio.cluster import RedisCluster

            # it follows MOVED and ASK answers and refreshes its map of the slots itself
            return RedisCluster.from_url(self._url, **options)
        # one retry, on connection errors only: it replaces a pooled connection that
        # died with a restarted server, and never repeats a script Redis may already
        # have run (that is a timeout, which is not retried)
        options["retry"] = Retry(NoBackoff(), 1, supported_errors=(ConnectionError,))
        if not self._sentinels:
            return Redis.from_url(self._url, **options)
        from redis.asyncio.connection import SSLConnection, parse_url
        from redis.asyncio.sentinel import Sentinel

        master: dict[str, Any] = dict(parse_url(self._url))
        service = master.pop("host", None)
        if not service or "path" in master:
            raise ValueError("with sentinels, redis_url's host names the master's service")
        master.pop("port", None)
        if master.pop("connection_class", None) is SSLConnection:
            master["ssl"] = True

        class OneAtATime(Sentinel):
            """redis-py's Sentinel, asked by one request at a time: requests that
            connect at once (a failover) asking together race in its reordering of
            the Sentinels, which can drop one from the list (never asked again, and
            never closed)."""

            asking = asyncio.Lock()

            async def discover_master(self, service_name: str) -> Any:
                async with self.asking:
                    return await super().discover_master(service_name)

        # the Sentinels are asked with the same timeouts, and none of the master's
        # credentials (Sentinels have their own, or none)
        asked: Any = OneAtATime  # redis-py below 8.2 leaves its constructor untyped
        self._sentinel = asked(self._sentinels, **options)
        return self._sentinel.master_for(service, redis_class=Redis, **master)

    async def aclose(self) -> None:
        """Close the client if this store made it (a client passed in stays open)."""
        sentinel, self._sentinel = self._sentinel, None
        try:
            await self._line.close()
            if self._client is not None and self._owned:
                client, self._client = self._client, None
                await client.aclose()
        finally:
            for asked in [] if sentinel is None else sentinel.sentinels:
                await asked.aclose()

    def _unavailable(self, exc: BaseException) -> BackendUnavailable:
        return BackendUnavailable(f"the session store did not answer ({type(exc).__name__})")

    async def _fetch(self, key: str, now: int) -> Stored | None:
        [value] = await self._run([("GET", key)], strict=False)
        if isinstance(value, self._refused):
            if str(value).startswith("WRONGTYPE"):  # a key of another type: no session of ours
                return None
            raise value
        return _parse(value)

    async def _apply(self, change: StoreWrite) -> Stored | bool:
        base, key, ttl = change.base, change.key, change.ttl
        moving = change.source is not None
        version = 1 if base is None or moving else base + 1
        value = b"%d %d %d\n" % (version, change.created, change.issued) + change.body
        first: Call
        if moving:
            since = b"" if base is None else b"%d " % base
            forward = b"1" if change.forward else b"0"
            first = ("EVALSHA", MOVE_SHA, 2, key, change.source, since, value, ttl, forward)
        elif base is None:
            first = ("SET", key, value, "EX", ttl)
        else:
            first = ("EVALSHA", WRITE_SHA, 1, key, b"%d " % base, value, ttl)
        if change.index:
            calls = [first, *self._index_calls(change.index, change.now)]
            outcome = (await self._run(calls, writes=True))[0]
        else:
            outcome = (await self._run([first], writes=True))[0]
        if base is None and not moving:
            written = True  # a SET: "OK"
        elif isinstance(outcome, bytes):
            current = _parse(outcome)  # another request wrote first
            return False if current is None else current
        else:
            written = outcome == 1
        if written and change.after:
            await self._run(self._index_calls(change.after, change.now), writes=True)
        return written

    def _index_calls(self, changes: tuple[IndexChange, ...], now: int) -> list[Call]:
        calls: list[Call] = []
        for change in changes:
            expiry = "" if change.expires is None else change.expires  # "": remove the member
            calls.append(("EVALSHA", INDEX_SHA, 1, change.index, now, change.member, expiry))
        return calls

    async def _remove(self, key: str, index: tuple[IndexChange, ...], now: int) -> None:
        # a logged-in session's index is another slot: another command, the same round trip
        await self._run([("DEL", key), *self._index_calls(index, now)], writes=True)

    async def _revoke(self, index: str) -> int:
        # Read the index, end what it lists, then drop those entries: a failure on the
        # way leaves them listed for the next attempt. A session regenerated meanwhile
        # left a pointer where it was; its new record is ended in the next round.
        [listed] = await self._run([("ZRANGE", index, 0, -1)])
        if not listed:
            return 0
        ended, pending, seen = 0, list(listed), list(listed)
        while pending:
            calls: list[Call] = [("EVALSHA", END_SHA, 1, member) for member in pending]
            results = await self._run(calls, writes=True)
            pending = [r for r in results if isinstance(r, bytes)]
            seen += pending
            ended += sum(r for r in results if isinstance(r, int))
        await self._run([("ZREM", index, *seen)])
        return ended

    # -- talking to Redis ------------------------------------------------------------------

    async def _run(
        self, calls: list[Call], *, strict: bool = True, writes: bool = False
    ) -> list[Any]:
        """The replies to *calls*, sent in one round trip. Scripts Redis forgot (a restart)
        are loaded and the calls that needed them sent again (they did not run). An error
        reply is raised, or with *strict* False returned in its place. With *writes*, and
        `wait_replicas`, the round trip ends with WAIT, and raises `BackendUnavailable`
        unless enough replicas confirm what the connection wrote."""
        send = self._exchange if self._shared else self._through_client
        wait = self._wait if writes else None
        results = await send(calls if wait is None else [*calls, wait])
        confirmed = [] if wait is None else [results.pop()]
        missing = [i for i, result in enumerate(results) if isinstance(result, self._missing)]
        if missing:
            again = [calls[i] for i in missing]
            shas = {c[1] for c in again}
            if self._shared:
                await send([("SCRIPT", "LOAD", SCRIPTS[sha]) for sha in shas])
            else:  # through the client's API: a cluster client sends each to every master
                client: Any = self.client
                try:
                    for sha in shas:
                        await client.script_load(SCRIPTS[sha])
                except self._errors as exc:
                    raise self._unavailable(exc) from exc
            replies = await send(again if wait is None else [*again, wait])
            if wait is not None:
                confirmed.append(replies.pop())
            for i, result in zip(missing, replies, strict=True):
                results[i] = result
        if wait is not None:
            for count in confirmed:
                if not isinstance(count, int) or count < wait[1]:
                    raise BackendUnavailable(
                        f"the session store's replicas did not confirm a write in time "
                        f"({count!r} of {wait[1]})"
                    )
        if strict:
            for result in results:
                if isinstance(result, Exception):
                    raise result
        return results

    async def _through_client(self, calls: list[Call]) -> list[Any]:
        """*calls* through the client as redis-py runs them (a client passed in, a
        cluster's, or a store that waits for replicas): a pipeline on one connection,
        or on a cluster each command at once on its node's connections (redis-py
        8.1's cluster pipelines, run concurrently, read each other's connections)."""
        client: Any = self.client
        if len(calls) == 1 or self._cluster or _is_cluster(client):
            replies = await asyncio.gather(
                *(self._one(client, call) for call in calls), return_exceptions=True
            )
        else:
            try:
                pipe = client.pipeline(transaction=False)
                for call in calls:
                    pipe.execute_command(*call)
                replies = await pipe.execute(raise_on_error=False)
            except self._errors as exc:
                raise self._unavailable(exc) from exc
        for reply in replies:  # a reply can be a connection's error, in its place
            if isinstance(reply, self._errors):
                raise self._unavailable(reply) from reply
            if isinstance(reply, BaseException) and not isinstance(reply, self._refused):
                raise reply
        return list(replies)

    async def _one(self, client: Any, call: Call) -> Any:
        """The reply to one command, an error reply in its place."""
        try:
            return await client.execute_command(*call)
        except self._refused as exc:
            if isinstance(exc, self._errors):
                raise
            return exc

    async def _exchange(self, calls: list[Call]) -> list[Any]:
        """*calls* on the store's own line (a URL's store)."""
        try:
            return await self._line.send(calls)
        except self._errors as exc:
            raise self._unavailable(exc) from exc

    def _connection(self) -> Any:
        """A new connection made like the client's, but with no timeout of its own:
        `_Line` times the replies it waits for."""
        client: Any = self.client  # never a cluster's: its store shares no line
        pool = client.connection_pool
        return pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})


class _Line:
    """One connection every request of a store shares (multiplexed, as ioredis and
    StackExchange.Redis do): a request writes its commands at once and awaits a future;
    one reader task reads the replies, in order, and hands each request its own, for as
    long as any is owed (so none is left pending when the program ends). Under
    concurrency, replies that arrive together are read in one go, with no event-loop
    turn per reply; alone, a request costs one write and one read, as on a connection
    of its own, and a request cancelled while it waits leaves the others theirs.

    A reply not read within `timeout` (a Redis that stopped answering) fails every
    request waiting on the line with `TimeoutError`, and closes it; a line that fails
    fails them all the same way. The next request opens a new one. A request whose
    write failed, so that nothing of it reached Redis, is written once more on a new
    line (a connection that died with a restarted server).
    """

    __slots__ = (
        "_connection",
        "_errors",
        "_lock",
        "_loop",
        "_make",
        "_reader",
        "_refused",
        "_timed_out",
        "_timeout",
        "_waiting",
        "_watch",
    )

    def __init__(
        self,
        make: Callable[[], Any],
        timeout: float,
        errors: tuple[type[Exception], ...],
        refused: type[Exception],
    ) -> None:
        """*make* opens a connection; *errors* are redis-py's ConnectionError, TimeoutError
        and the others that mean Redis did not answer; *refused*, its error reply."""
        self._make = make
        self._timeout = timeout
        self._errors = errors
        self._refused = refused
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._waiting: deque[tuple[asyncio.Future[list[Any]], int, list[Any], float]] = deque()
        """Each request whose replies are owed: its future, how many, those read, and
        when they are due."""
        self._watch: asyncio.TimerHandle | None = None
        self._timed_out = False

    async def send(self, calls: list[Call]) -> list[Any]:
        """The replies to *calls* (an error reply in its place, as an exception)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a connection and its tasks belong to one event loop
            self._loop, self._connection, self._reader, self._lock = loop, None, None, None
            self._waiting, self._watch = deque(), None
        packed = b"".join([_pack(call) for call in calls])
        for attempt in (0, 1):
            connection = self._connection
            if connection is None:
                connection = await self._open(loop)
            waiter: asyncio.Future[list[Any]] = loop.create_future()
            self._waiting.append((waiter, len(calls), [], loop.time() + self._timeout))
            try:
                await connection.send_packed_command(packed, check_health=False)
            except self._errors[0] as exc:  # ConnectionError
                self._fail(connection, exc)
                waiter.exception()  # retrieved: this request raises (or writes again) itself
                if attempt:
                    raise
                continue  # none of it reached Redis: once more, on a new connection
            if self._reader is None:  # it reads until no reply is owed, then ends
                self._reader = loop.create_task(self._read(connection))
            if self._watch is None:
                self._watch = loop.call_later(self._timeout / 4, self._check)
            return await waiter
        raise AssertionError("unreachable")

    async def _open(self, loop: asyncio.AbstractEventLoop) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one request connects; the others wait for it
            if self._connection is None:
                connection = self._make()
                await connection.connect()
                self._connection, self._timed_out = connection, False
            return self._connection

    async def _read(self, connection: Any) -> None:
        waiting = self._waiting
        try:
            while waiting:
                try:
                    reply = await connection.read_response()
                except self._refused as exc:  # an error reply: a reply like any other
                    if isinstance(exc, self._errors):
                        raise
                    reply = exc
                waiter, count, replies, _ = waiting[0]
                replies.append(reply)
                if len(replies) == count:
                    waiting.popleft()
                    if not waiter.done():  # not cancelled meanwhile
                        waiter.set_result(replies)
            if self._reader is asyncio.current_task():
                self._reader = None  # nothing owed: the next request starts another
        except GeneratorExit:  # the task destroyed, unclosed, with its event loop
            raise
        except BaseException as exc:  # the line is lost: so is every reply still owed
            connection_error, timeout_error = self._errors[:2]
            if self._timed_out:
                self._fail(connection, timeout_error(f"no reply within {self._timeout:g} s"))
                return
            if not isinstance(exc, Exception):
                self._fail(connection, exc)
                raise  # cancelled: by `close`, or with its event loop
            if not isinstance(exc, self._errors):  # a reply it could not make sense of
                exc = connection_error(f"the connection failed: {exc!r}")
            self._fail(connection, exc)  # the requests raise it; the reader ends quietly

    def _fail(self, connection: Any, exc: BaseException) -> None:
        """Close the line; every request still waiting on it raises *exc*."""
        if self._connection is not connection:
            return
        self._connection = None
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()  # it closes the connection as it stops
        waiting, self._waiting = self._waiting, deque()
        for waiter, *_ in waiting:
            if not waiter.done():
                waiter.set_exception(exc)

    def _check(self) -> None:
        """Time the oldest reply owed; look again while any is."""
        self._watch = None
        if not self._waiting or self._loop is None:
            return
        if self._waiting[0][3] <= self._loop.time() and self._reader is not None:
            self._timed_out = True
            self._reader.cancel()  # it fails the waiting requests with TimeoutError
        self._watch = self._loop.call_later(self._timeout / 4, self._check)

    async def close(self) -> None:
        """Stop the reader and close the connection (requests still waiting raise)."""
        connection, reader = self._connection, self._reader
        if connection is None:
            return
        self._fail(connection, self._errors[0]("the session store was closed"))
        if self._loop is not asyncio.get_running_loop():
            return  # opened in an event loop that has ended: nothing left to close
        if reader is not None:
            await asyncio.gather(reader, return_exceptions=True)
        await connection.disconnect()


def _is_cluster(client: Any) -> bool:
    """Whether *client* is redis-py's Redis Cluster client."""
    if client is None:
        return False
    from redis.asyncio.cluster import RedisCluster

    return isinstance(client, RedisCluster)


def _address(text: str) -> tuple[str, int]:
    """``host:port`` (a bracketed IPv6 host too) as a pair; the settings checked it."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def _pack(call: Call) -> bytes:
    """One command in RESP, as redis-py packs it (text as UTF-8, integers in decimal),
    for the few kinds of argument the store sends, in a quarter of the time."""
    out = [b"*%d\r\n" % len(call)]
    for arg in call:
        if type(arg) is str:
            arg = arg.encode()
        elif type(arg) is int:
            arg = b"%d" % arg
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def _parse(value: bytes | None) -> Stored | None:
    """A stored value as `Stored`; None for no session (nothing, or a pointer)."""
    if not value or value[0] == POINTER:
        return None
    head, newline, body = value.partition(b"\n")
    fields = head.split(b" ")
    if not newline or len(fields) != 3:
        raise BadCookie("a stored record has no times")
    try:
        return body, int(fields[1]), int(fields[2]), int(fields[0])
    except ValueError:
        raise BadCookie("a stored record has no times") from None
