"""What only the redis store has to prove: round trips, hash tags, faults, connections.

These tests run a redis-server of their own (counting its commands, killing and
restarting it), so they never disturb a shared one.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from support import FrozenClock, Jar, RedisServer, make_settings

from satchel import BackendUnavailable, RedisStore, SessionManager

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A durable redis-server (append-only, fsync always) only these tests use."""
    if shutil.which("redis-server") is None:
        message = "no redis-server on PATH: the redis fault tests cannot run"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path_factory.mktemp("redis-private"), durable=True).start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def managed(clock: FrozenClock, url: str, **options: Any) -> AsyncIterator[SessionManager]:
    """A redis-backed manager on the frozen clock, closed afterwards."""
    settings = make_settings(backend="redis", redis_url=url, store_timeout=1.0, **options)
    manager = SessionManager(settings, clock=clock)
    try:
        yield manager
    finally:
        await manager.aclose()


@asynccontextmanager
async def admin(url: str) -> AsyncIterator[Redis]:
    """A separate client for looking at the server."""
    client = Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


# what a client sends; GET also runs inside the scripts, but only for a write another
# request raced (or a revocation), which these tests do not count
TOP_LEVEL = ("get", "evalsha", "eval", "script|load")


async def commands(client: Redis) -> int:
    """Commands clients sent, not those scripts ran inside the server."""
    info = await client.info("commandstats")
    return sum(int(info.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in TOP_LEVEL)


async def round_trips(client: Redis, action: Callable[[], Any]) -> int:
    """How many commands *action* sent to the server (none of them are pipelined here)."""
    before = await commands(client)
    await action()
    return await commands(client) - before


async def test_read_only_request_is_one_round_trip_and_modifying_one_is_one(
    clock: FrozenClock, private_redis: RedisServer, report: Callable[[str], None]
) -> None:
    async with managed(clock, private_redis.url) as manager, admin(private_redis.url) as redis:
        jar = Jar()
        session = await manager.load(None)
        session["cart"] = [1]
        jar.receive(await manager.commit(session))  # a new session: one SET
        session = await manager.load(jar.header)
        session["n"] = 1
        jar.receive(await manager.commit(session))  # the first update also loads the script

        async def read_only() -> None:
            session = await manager.load(jar.header)
            assert session["cart"] == [1]
            assert await manager.commit(session) == []

        async def modify() -> None:
            session = await manager.load(jar.header)
            session["cart"].append(2)
            jar.receive(await manager.commit(session))

        async def untouched() -> None:
            session = await manager.load(None)
            await manager.commit(session)

        reads = await round_trips(redis, read_only)
        writes = await round_trips(redis, modify)
        nothing = await round_trips(redis, untouched)
        report(f"redis: read-only request {reads} round trip, modifying request {writes - 1} more")
        assert reads == 1
        assert writes == 2  # the load (GET) and the write (one EVALSHA)
        assert nothing == 0


async def test_every_key_a_write_touches_shares_one_hash_tag(
    clock: FrozenClock, private_redis: RedisServer, redis_prefix: str
) -> None:
    async with managed(clock, private_redis.url, store_prefix=redis_prefix) as manager:
        jar = Jar()
        session = await manager.load(None)
        session["a"] = 1
        jar.receive(await manager.commit(session))
        backend = manager.backend
        assert isinstance(backend, RedisStore)
        [before] = [k async for k in backend.client.scan_iter(match=f"{redis_prefix}{{*")]
        session = await manager.load(jar.header)
        session.regenerate()
        jar.receive(await manager.commit(session))
        [after] = [k async for k in backend.client.scan_iter(match=f"{redis_prefix}{{*")]
        tag = re.compile(rb"\{([^}]*)\}")
        assert before != after
        first, second = tag.search(before), tag.search(after)
        assert first is not None
        assert second is not None
        assert first[1] == second[1]  # the old and new record: one slot, one atomic move


async def test_the_connection_opens_lazily_and_a_client_passed_in_stays_open(
    clock: FrozenClock, private_redis: RedisServer
) -> None:
    async with managed(clock, private_redis.url) as manager:
        backend = manager.backend
        assert isinstance(backend, RedisStore)
        assert "connected=False" in repr(backend)
        await manager.load(None)
        assert "connected=False" in repr(backend)
    async with admin(private_redis.url) as client:
        settings = make_settings(secret_key="s" * 40)
        from satchel.backends import Keyring, Lifetime

        store = RedisStore(Keyring(b"s" * 40), Lifetime(3600), client=client)
        manager = SessionManager(settings, backend=store, clock=clock)
        session = await manager.load(None)
        session["a"] = 1
        assert len(await manager.commit(session)) == 1
        await manager.aclose()
        assert await client.ping()


async def test_redis_down_is_backend_unavailable_never_a_fresh_session(
    clock: FrozenClock, tmp_path: Path, report: Callable[[str], None]
) -> None:
    server = RedisServer(tmp_path).start()
    async with managed(clock, server.url) as manager:
        session = await manager.load(None)
        session["user_id"] = 1
        jar = Jar().receive(await manager.commit(session))
        server.kill()
        with pytest.raises(BackendUnavailable):
            await manager.load(jar.header)
        session = await manager.load(None)
        session["user_id"] = 2
        with pytest.raises(BackendUnavailable):
            await manager.commit(session)
    refused = RedisServer(tmp_path)  # a port nothing listens on
    async with managed(clock, refused.url) as manager:
        with pytest.raises(BackendUnavailable):
            await manager.load(jar.header)
    report("redis: killed and refused server gave BackendUnavailable on 3 of 3 operations")


async def test_a_redis_that_stops_answering_times_out_into_backend_unavailable(
    clock: FrozenClock, tmp_path: Path, report: Callable[[str], None]
) -> None:
    import signal
    import time

    server = RedisServer(tmp_path).start()
    assert server.process is not None
    try:
        async with managed(clock, server.url) as manager:
            session = await manager.load(None)
            session["a"] = 1
            jar = Jar().receive(await manager.commit(session))
            os.kill(server.process.pid, signal.SIGSTOP)  # connected, but silent
            started = time.monotonic()
            with pytest.raises(BackendUnavailable, match="Timeout"):
                await manager.load(jar.header)
            waited = time.monotonic() - started
            os.kill(server.process.pid, signal.SIGCONT)
            assert (await manager.load(jar.header))["a"] == 1
            report(f"redis: a silent server gave BackendUnavailable after {waited:.1f} s")
            assert waited < 5
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


async def test_restart_mid_run_loses_no_committed_write_and_reconnects(
    clock: FrozenClock, tmp_path: Path, report: Callable[[str], None]
) -> None:
    server = RedisServer(tmp_path, durable=True).start()
    try:
        async with managed(clock, server.url) as manager:
            jars = []
            for n in range(20):
                session = await manager.load(None)
                session["n"] = n
                jars.append(Jar().receive(await manager.commit(session)))
            server.kill()
            failures = 0
            for jar in jars[:5]:
                try:
                    await manager.load(jar.header)
                except BackendUnavailable:
                    failures += 1
            server.start()
            found = [(await manager.load(jar.header)).get("n") for jar in jars]
            assert found == list(range(20))
            session = await manager.load(jars[0].header)
            session["after"] = True
            jars[0].receive(await manager.commit(session))
            assert (await manager.load(jars[0].header))["after"] is True
            report(
                f"redis: killed mid-run, {failures} of 5 requests got BackendUnavailable, "
                f"20 of 20 committed sessions intact after restart, client reconnected"
            )
            assert failures == 5
    finally:
        server.stop()


async def test_a_restart_that_forgets_scripts_does_not_break_writes(
    clock: FrozenClock, private_redis: RedisServer
) -> None:
    async with managed(clock, private_redis.url) as manager, admin(private_redis.url) as redis:
        session = await manager.load(None)
        session["a"] = 1
        session["user_id"] = 3  # a logged-in write: the script and the index in one pipeline
        jar = Jar().receive(await manager.commit(session))
        await redis.script_flush()
        session = await manager.load(jar.header)
        session["a"] = 2
        session.regenerate()
        jar.receive(await manager.commit(session))
        await redis.script_flush()
        assert await manager.revoke_user(3) == 1
        assert dict(await manager.load(jar.header)) == {}


async def test_revoke_user_reaches_sessions_indexed_before_ids_were_keyed_by_their_text(
    clock: FrozenClock, private_redis: RedisServer, redis_prefix: str
) -> None:
    import json

    async with managed(clock, private_redis.url, store_prefix=redis_prefix) as manager:
        backend = manager.backend
        assert isinstance(backend, RedisStore)
        jars = []
        for user in ("alice", "42"):
            session = await manager.load(None)
            session.login(user)
            jars.append(Jar().receive(await manager.commit(session)))
            # where the previous release listed it: the user id as JSON ('"alice"')
            index, legacy = backend._index(user), backend._index(json.dumps(user))
            await backend.client.rename(index, legacy)
        assert await manager.revoke_user("alice") == 1
        assert await manager.revoke_user(42) == 1
        for jar in jars:
            assert dict(await manager.load(jar.header)) == {}


async def test_a_session_is_stored_as_one_string_of_version_times_and_data(
    clock: FrozenClock, private_redis: RedisServer, redis_prefix: str
) -> None:
    async with (
        managed(clock, private_redis.url, store_prefix=redis_prefix) as manager,
        admin(private_redis.url) as redis,
    ):
        session = await manager.load(None)
        session["a"] = 1
        jar = Jar().receive(await manager.commit(session))
        [key] = [k async for k in redis.scan_iter(match=f"{redis_prefix}*")]
        now = int(clock.now)
        assert await redis.get(key) == b'1 %d %d\n{"a":1}' % (now, now)
        clock.advance(5)
        session = await manager.load(jar.header)
        session["a"] = 2
        jar.receive(await manager.commit(session))
        assert await redis.get(key) == b'2 %d %d\n{"a":2}' % (now, now + 5)


async def test_a_redis_that_stops_answering_mid_request_fails_every_waiting_request(
    clock: FrozenClock, tmp_path: Path, report: Callable[[str], None]
) -> None:
    import asyncio
    import signal

    server = RedisServer(tmp_path).start()
    assert server.process is not None
    try:
        async with managed(clock, server.url) as manager:
            jars = []
            for n in range(8):
                session = await manager.load(None)
                session["n"] = n
                jars.append(Jar().receive(await manager.commit(session)))
            sessions = [await manager.load(jar.header) for jar in jars]  # loaded, then...
            os.kill(server.process.pid, signal.SIGSTOP)  # ...Redis goes silent
            for session in sessions:
                session["n"] += 100

            async def commit(session: Any) -> BaseException | None:
                try:
                    await manager.commit(session)
                except BaseException as exc:
                    return exc
                return None

            outcomes = await asyncio.gather(*(commit(s) for s in sessions))
            os.kill(server.process.pid, signal.SIGCONT)
            assert all(isinstance(o, BackendUnavailable) for o in outcomes), outcomes
            # nothing half-done, nothing lost: each session holds what it held, or the write
            found = [(await manager.load(jar.header))["n"] for jar in jars]
            assert all(n in (i, i + 100) for i, n in enumerate(found))
            report(
                f"redis: went silent under {len(sessions)} writes in flight: "
                f"{len(sessions)} BackendUnavailable, 0 sessions lost"
            )
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


async def test_a_cancelled_request_leaves_the_shared_connection_to_the_others(
    clock: FrozenClock, private_redis: RedisServer
) -> None:
    import asyncio

    async with managed(clock, private_redis.url) as manager:
        jars = []
        for n in range(20):
            session = await manager.load(None)
            session["n"] = n
            jars.append(Jar().receive(await manager.commit(session)))

        async def read(jar: Jar) -> Any:
            return (await manager.load(jar.header))["n"]

        tasks = [asyncio.ensure_future(read(jar)) for jar in jars]
        await asyncio.sleep(0)  # every request has written its command
        for task in tasks[::3]:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for n, result in enumerate(results):
            if n % 3:
                assert result == n
            else:
                assert isinstance(result, asyncio.CancelledError)
        assert [await read(jar) for jar in jars] == list(range(20))


async def test_a_client_of_your_own_keeps_merges_conflicts_moves_and_revocation(
    clock: FrozenClock, private_redis: RedisServer
) -> None:
    import asyncio

    from satchel import SessionConflict

    async with admin(private_redis.url) as client:
        settings = make_settings(backend="redis", redis_url=private_redis.url, on_conflict="raise")
        store = RedisStore.from_settings(settings, client=client)
        manager = SessionManager(settings, backend=store, clock=clock)
        session = await manager.load(None)
        session.update(user_id=5, n=0)
        jar = Jar().receive(await manager.commit(session))
        await client.script_flush()
        first, second, third = [await manager.load(jar.header) for _ in range(3)]
        first["a"], second["b"], third["n"] = 1, 2, 3
        await asyncio.gather(manager.commit(first), manager.commit(second))  # both kept
        fourth = await manager.load(jar.header)
        fourth["n"] = 4
        await manager.commit(fourth)
        with pytest.raises(SessionConflict):
            await manager.commit(third)  # it read n=0: another request changed it first
        session = await manager.load(jar.header)
        assert dict(session) == {"user_id": 5, "n": 4, "a": 1, "b": 2}
        session.regenerate()
        jar.receive(await manager.commit(session))
        assert (await manager.load(jar.header))["a"] == 1
        assert await manager.revoke_user(5) == 1
        assert dict(await manager.load(jar.header)) == {}
        await manager.aclose()
        assert await client.ping()  # a client passed in stays open
