"""The redis store scaled out: Redis Cluster, Sentinel failover, and WAIT for replicas.

Every server here is a redis-server process of the tests' own, on loopback: a cluster of
three masters (the `redis_cluster_url` fixture; tests/stores/test_stores.py also runs
every store test on it), and, per test, a master with two replicas watched by three
Sentinels (`redis_sentinels`), which a test may kill.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis as SyncRedis
from redis.asyncio.cluster import RedisCluster
from redis.cluster import RedisCluster as SyncRedisCluster
from support import (
    SECRET,
    SENTINEL_SERVICE,
    Jar,
    RedisClusterServers,
    RedisSentinels,
    make_settings,
    skip_unless_cluster_client_works,
)

from satchel import BackendUnavailable, RedisStore, SessionManager
from satchel.backends import Keyring, Lifetime
from satchel_asgi import SessionMiddleware

pytestmark = pytest.mark.anyio

Report = Callable[[str], None]


@asynccontextmanager
async def managed(**options: Any) -> AsyncIterator[SessionManager]:
    """A redis-backed manager on the real clock, closed afterwards."""
    manager = SessionManager(make_settings(backend="redis", **options))
    try:
        yield manager
    finally:
        await manager.aclose()


def cluster_options(url: str, prefix: str) -> dict[str, Any]:
    """Settings options for the store on the cluster whose node *url* names."""
    return {"redis_url": url, "redis_cluster": True, "store_prefix": prefix}


def sentinel_options(group: RedisSentinels, prefix: str, **more: Any) -> dict[str, Any]:
    """Settings options for the store on *group*'s master, found through its Sentinels."""
    return {
        "redis_url": f"redis://{SENTINEL_SERVICE}/0",
        "redis_sentinels": group.addresses,
        "store_prefix": prefix,
        "store_timeout": 1.0,
        **more,
    }


def keys_per_node(url: str, prefix: str) -> dict[int, list[bytes]]:
    """The keys under *prefix* on each master of the cluster, by port."""
    found: dict[int, list[bytes]] = {}
    with SyncRedisCluster.from_url(url) as cluster:
        masters = [(node.host, node.port) for node in cluster.get_primaries()]
    for host, port in masters:
        with SyncRedis(host=host, port=port) as node:
            found[port] = list(node.scan_iter(match=f"{prefix}*"))
    return found


async def visit(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app counting the visits of a session (or of one key, ``?key=``)."""
    key = scope["query_string"].decode().partition("=")[2] or "visits"
    session = scope["session"]
    session[key] = session.get(key, 0) + 1
    body = str(session[key]).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


# -- Redis Cluster -------------------------------------------------------------------------


async def test_sessions_spread_over_every_master_and_each_session_lives_on_one(
    redis_cluster_url: str, redis_prefix: str, report: Report
) -> None:
    async with managed(**cluster_options(redis_cluster_url, redis_prefix)) as manager:
        jars = []
        for number in range(60):
            session = await manager.load(None)
            session["n"] = number
            jars.append(Jar().receive(await manager.commit(session)))
        for number, jar in enumerate(jars):
            assert (await manager.load(jar.header))["n"] == number
    found = keys_per_node(redis_cluster_url, redis_prefix)
    assert len(found) == 3
    assert all(found.values()), found  # every master holds some
    assert sum(len(keys) for keys in found.values()) == 60
    report(f"redis cluster: 60 sessions over 3 masters, {sorted(map(len, found.values()))}")


async def test_revoke_user_on_a_cluster_ends_the_sessions_on_every_master(
    redis_cluster_url: str, redis_prefix: str, report: Report
) -> None:
    async with managed(**cluster_options(redis_cluster_url, redis_prefix)) as manager:
        jars = []
        for _ in range(15):
            session = await manager.load(None)
            session.login("alice")
            jars.append(Jar().receive(await manager.commit(session)))
        other = await manager.load(None)
        other.login("bob")
        bob = Jar().receive(await manager.commit(other))
        holding = [p for p, keys in keys_per_node(redis_cluster_url, redis_prefix).items() if keys]
        assert len(holding) >= 2  # the sessions and the index live on several masters
        assert await manager.revoke_user("alice") == 15
        for jar in jars:
            assert (await manager.load(jar.header)).is_new
        assert (await manager.load(bob.header)).user_id == "bob"
    report(f"redis cluster: revoke_user ended 15 of 15 sessions across {len(holding)} masters")


async def test_a_cluster_under_load_loses_no_update_on_many_sessions_or_one_shared(
    redis_cluster_url: str, redis_prefix: str, report: Report
) -> None:
    clients, requests = 32, 15
    async with managed(**cluster_options(redis_cluster_url, redis_prefix)) as manager:
        transport = httpx.ASGITransport(app=SessionMiddleware(visit, manager=manager))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as first:
            assert (await first.get("/?key=start")).status_code == 200
            shared = {"cookie": f"{manager.settings.cookie_name}={first.cookies['session']}"}
        answered: Counter[str] = Counter()

        async def own_session() -> None:
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                for expected in range(1, requests + 1):
                    response = await http.get("/")
                    answered[str(response.status_code)] += 1
                    assert response.text == str(expected)  # nothing read stale, none lost

        async def shared_session(number: int) -> None:
            # the Cookie header every tab of one browser sends (it wins over httpx's jar)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                for _ in range(requests):
                    response = await http.get(f"/?key=c{number}", headers=shared)
                    answered[str(response.status_code)] += 1

        started = time.monotonic()
        await asyncio.gather(
            *(own_session() for _ in range(clients)),
            *(shared_session(number) for number in range(clients)),
        )
        took = time.monotonic() - started
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            assert (await http.get("/?key=start", headers=shared)).text == "2"
        final = await manager.load(shared["cookie"])
        lost = sum(requests - final.get(f"c{number}", 0) for number in range(clients))
    assert answered == {"200": 2 * clients * requests}
    assert lost == 0
    report(
        f"redis cluster: {2 * clients * requests} requests from {2 * clients} clients "
        f"({clients} on one shared session) in {took:.1f} s, {lost} updates lost"
    )


async def test_a_cluster_master_down_is_backend_unavailable_never_a_fresh_session(
    tmp_path: Path, redis_prefix: str, report: Report
) -> None:
    skip_unless_cluster_client_works()
    cluster = RedisClusterServers(tmp_path).start()
    try:
        async with managed(**cluster_options(cluster.url, redis_prefix), store_timeout=1.0) as m:
            jars = []
            for number in range(12):
                session = await m.load(None)
                session["n"] = number
                jars.append(Jar().receive(await m.commit(session)))
            cluster.nodes[2].kill()
            outcomes: Counter[str] = Counter()
            for number, jar in enumerate(jars):
                try:
                    session = await m.load(jar.header)
                except BackendUnavailable:
                    outcomes["unavailable"] += 1
                    continue
                assert session["n"] == number  # a session of a live master, never a fresh one
                outcomes["read"] += 1
            assert outcomes["unavailable"] >= 1
    finally:
        cluster.stop()
    report(f"redis cluster: one master of 3 killed: {dict(outcomes)} of 12 sessions")


async def test_a_cluster_client_passed_in_is_used_through_its_own_api(
    redis_cluster_url: str, redis_prefix: str
) -> None:
    client = RedisCluster.from_url(redis_cluster_url)
    settings = make_settings(
        backend="redis", redis_url=redis_cluster_url, store_prefix=redis_prefix
    )
    store = RedisStore.from_settings(settings, client=client)
    manager = SessionManager(settings, backend=store)
    try:
        session = await manager.load(None)
        session.login(3)
        jar = Jar().receive(await manager.commit(session))
        assert (await manager.load(jar.header)).user_id == 3
        assert await manager.revoke_user(3) == 1
    finally:
        await manager.aclose()
        await client.aclose()


def test_wait_replicas_is_refused_on_a_cluster() -> None:
    with pytest.raises(ValueError, match="redis_wait_replicas"):
        make_settings(
            backend="redis", redis_url="redis://h:1", redis_cluster=True, redis_wait_replicas=1
        )
    with pytest.raises(ValueError, match="not available on a Redis Cluster"):
        RedisStore(
            Keyring(SECRET.encode()), Lifetime(60), url="redis://h:1", cluster=True, wait_replicas=1
        )
    client = RedisCluster(host="127.0.0.1", port=1)
    with pytest.raises(ValueError, match="not available on a Redis Cluster"):
        RedisStore(Keyring(SECRET.encode()), Lifetime(60), client=client, wait_replicas=1)


# -- settings ------------------------------------------------------------------------------


def test_sentinels_are_read_as_a_list_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from satchel import SessionSettings

    monkeypatch.setenv("SESSION_REDIS_SENTINELS", "10.0.0.1:26379, [::1]:26380")
    monkeypatch.setenv("SESSION_REDIS_WAIT_REPLICAS", "1")
    options: dict[str, Any] = {
        "backend": "redis",
        "secret_key": SECRET,
        "redis_url": "redis://mymaster",
    }
    settings = SessionSettings(**options)
    assert settings.redis_sentinels == ["10.0.0.1:26379", "[::1]:26380"]
    assert settings.redis_wait_replicas == 1
    monkeypatch.setenv("SESSION_REDIS_SENTINELS", '["s1:26379"]')
    assert SessionSettings(**options).redis_sentinels == ["s1:26379"]


@pytest.mark.parametrize("address", ["s1", "s1:", ":26379", "s1:port", "s1:70000", "s1:0"])
def test_a_sentinel_that_is_not_host_and_port_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="is not host:port"):
        make_settings(backend="redis", redis_url="redis://m", redis_sentinels=[address])


@pytest.mark.parametrize("url", ["unix:///run/redis.sock", "redis:///0", "http://mymaster"])
def test_with_sentinels_the_url_must_name_the_masters_service(url: str) -> None:
    with pytest.raises(ValueError, match="the master's service as its host") as raised:
        make_settings(backend="redis", redis_url=url, redis_sentinels=["s:26379"])
    assert url not in str(raised.value)  # it may hold a password


@pytest.mark.parametrize(
    ("installed", "refused"), [("7.0.1", False), ("7.1.0", True), ("8.1.0", True), ("8.2.0", False)]
)
def test_a_cluster_is_refused_with_the_redis_py_releases_whose_cluster_client_fails(
    monkeypatch: pytest.MonkeyPatch, installed: str, refused: bool
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: installed)
    options = {"backend": "redis", "redis_url": "redis://h:1", "redis_cluster": True}
    if refused:
        with pytest.raises(ValueError, match=f"needs redis-py 8.2 or newer.*redis-py {installed}"):
            make_settings(**options)
    else:
        assert make_settings(**options).redis_cluster


def test_a_cluster_with_sentinels_is_refused() -> None:
    with pytest.raises(ValueError, match="exclude each other"):
        make_settings(
            backend="redis", redis_url="redis://m", redis_cluster=True, redis_sentinels=["s:1"]
        )


# -- Sentinel ------------------------------------------------------------------------------


async def test_the_store_finds_the_master_through_the_sentinels(
    redis_sentinels: RedisSentinels, redis_prefix: str
) -> None:
    async with managed(**sentinel_options(redis_sentinels, redis_prefix)) as manager:
        session = await manager.load(None)
        session["cart"] = [1, 2]
        jar = Jar().receive(await manager.commit(session))
        assert (await manager.load(jar.header))["cart"] == [1, 2]
        assert "sentinel" in repr(manager.backend)
    with SyncRedis(port=redis_sentinels.master.port) as master:
        assert list(master.scan_iter(match=f"{redis_prefix}*"))


async def test_a_write_no_replica_confirms_in_time_is_backend_unavailable(
    redis_sentinels: RedisSentinels, redis_prefix: str, report: Report
) -> None:
    options = sentinel_options(redis_sentinels, redis_prefix, redis_wait_replicas=1)
    async with managed(**options) as manager:
        session = await manager.load(None)
        session["a"] = 1
        jar = Jar().receive(await manager.commit(session))
        stopped = [server.process.pid for server in redis_sentinels.replicas if server.process]
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)  # connected, but they confirm nothing
        try:
            session = await manager.load(jar.header)  # reads need no replica
            assert session["a"] == 1
            session["a"] = 2
            started = time.monotonic()
            with pytest.raises(BackendUnavailable, match="replicas did not confirm"):
                await manager.commit(session)
            waited = time.monotonic() - started
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
        session = await manager.load(jar.header)
        session["a"] = 3
        jar.receive(await manager.commit(session))  # confirmed again once they are back
        assert (await manager.load(jar.header))["a"] == 3
    report(f"redis sentinel: wait_replicas=1 with the replicas stopped: 503 after {waited:.2f} s")


async def test_without_wait_a_write_is_acknowledged_before_any_replica_holds_it(
    redis_sentinels: RedisSentinels, redis_prefix: str
) -> None:
    # what redis_wait_replicas=0 means: the master alone has the write when it is answered
    async with managed(**sentinel_options(redis_sentinels, redis_prefix)) as manager:
        stopped = [server.process.pid for server in redis_sentinels.replicas if server.process]
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            session = await manager.load(None)
            session["a"] = 1
            jar = Jar().receive(await manager.commit(session))
            assert (await manager.load(jar.header))["a"] == 1
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)


async def test_a_write_acknowledged_with_wait_survives_the_master_being_killed(
    redis_sentinels: RedisSentinels, redis_prefix: str, report: Report
) -> None:
    options = sentinel_options(redis_sentinels, redis_prefix, redis_wait_replicas=1)
    async with managed(**options) as manager:
        jars = []
        for number in range(50):
            session = await manager.load(None)
            session["n"] = number
            jars.append(Jar().receive(await manager.commit(session)))
        killed = redis_sentinels.master.port
        redis_sentinels.master.kill()  # at once, after the last acknowledgement
        started = time.monotonic()
        while redis_sentinels.master_port() == killed:
            assert time.monotonic() - started < 30, "no failover within 30 s"
            await asyncio.sleep(0.1)
        promoted = time.monotonic() - started
        found = 0
        for number, jar in enumerate(jars):
            while True:
                try:
                    session = await manager.load(jar.header)
                    break
                except BackendUnavailable:  # the store reconnecting to the new master
                    assert time.monotonic() - started < 30
                    await asyncio.sleep(0.05)
            found += session.get("n") == number
    assert found == 50
    report(
        f"redis sentinel: master killed after 50 writes acknowledged with WAIT 1: "
        f"{found} of 50 read from the replica promoted after {promoted:.1f} s"
    )


@pytest.mark.parametrize("wait", [0, 1])
async def test_killing_the_master_under_load_gives_503s_then_the_new_master_answers(
    redis_sentinels: RedisSentinels, redis_prefix: str, report: Report, wait: int
) -> None:
    options = sentinel_options(redis_sentinels, redis_prefix, redis_wait_replicas=wait)
    clients, recovered_after = 8, 20
    statuses: Counter[int] = Counter()
    lost = 0
    warmed, killed = asyncio.Event(), asyncio.Event()
    async with managed(**options) as manager:
        transport = httpx.ASGITransport(app=SessionMiddleware(visit, manager=manager))
        started = time.monotonic()

        async def client() -> None:
            nonlocal lost
            last, streak = 0, 0
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                while not killed.is_set() or streak < recovered_after:
                    assert time.monotonic() - started < 40, "no recovery within 40 s"
                    response = await http.get("/")
                    statuses[response.status_code] += 1
                    if statuses.total() >= clients * 10:
                        warmed.set()
                    if response.status_code == 503:
                        assert response.headers["retry-after"]
                        streak = 0
                        await asyncio.sleep(0.02)
                        continue
                    count = int(response.text)
                    lost += max(0, last + 1 - count)  # an acknowledged visit the store forgot
                    last = count
                    streak += killed.is_set()

        async def failover() -> None:
            await warmed.wait()
            redis_sentinels.master.kill()
            killed.set()

        await asyncio.gather(failover(), *(client() for _ in range(clients)))
        took = time.monotonic() - started
        store: Any = manager.backend
        if store._sentinel is not None:  # requests that connected at once asked each in turn
            assert len({id(asked) for asked in store._sentinel.sentinels}) == 3
    assert set(statuses) <= {200, 503}, statuses  # the typed 503, never a 500
    assert statuses[503] >= 1
    if wait:
        assert lost == 0
    report(
        f"redis sentinel, wait_replicas={wait}: master killed under {clients} clients: "
        f"{statuses[200]} answered, {statuses[503]} 503s, every client then {recovered_after} "
        f"answers in a row ({took:.1f} s in all); acknowledged visits lost: {lost}"
    )
