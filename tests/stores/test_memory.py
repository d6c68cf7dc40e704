"""What only the memory store has to prove: its bounds, its eviction order and its lock."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable

import pytest
from support import FrozenClock, Jar, make_settings

from satchel import BackendUnavailable, MemoryStore, SessionManager

pytestmark = pytest.mark.anyio


def _manager(clock: FrozenClock, **options: object) -> SessionManager:
    return SessionManager(make_settings(backend="memory", **options), clock=clock)


async def _issue(manager: SessionManager, **data: object) -> Jar:
    session = await manager.load(None)
    session.update(data)
    return Jar().receive(await manager.commit(session))


async def test_memory_store_is_bounded_and_evicts_expired_sessions_first(
    clock: FrozenClock,
) -> None:
    manager = _manager(clock, store_max_entries=3, max_age=100)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    oldest = await _issue(manager, n=0)
    clock.advance(50)
    keep = [await _issue(manager, n=n) for n in (1, 2)]
    clock.advance(60)  # the first session has expired (100 s), the others have not
    newest = await _issue(manager, n=3)
    assert len(store) == 3
    assert dict(await manager.load(oldest.header)) == {}
    assert [(await manager.load(j.header))["n"] for j in (*keep, newest)] == [1, 2, 3]
    another = await _issue(manager, n=4)  # full of live sessions: the least recently written goes
    assert len(store) == 3
    assert dict(await manager.load(keep[0].header)) == {}
    assert [(await manager.load(j.header))["n"] for j in (keep[1], newest, another)] == [2, 3, 4]


async def test_memory_store_is_safe_under_concurrent_threads(clock: FrozenClock) -> None:
    manager = _manager(clock)
    jar = await _issue(manager, start=True)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        async def request() -> None:
            session = await manager.load(jar.header)
            session[f"t{n}"] = n
            await manager.commit(session)

        try:
            for _ in range(20):
                asyncio.run(request())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    data = dict(await manager.load(jar.header))
    assert {k: v for k, v in data.items() if k.startswith("t")} == {f"t{n}": n for n in range(8)}


async def test_memory_store_keeps_bytes_not_live_objects(clock: FrozenClock) -> None:
    manager = _manager(clock)
    session = await manager.load(None)
    cart: list[int] = [1]
    session["cart"] = cart
    jar = Jar().receive(await manager.commit(session))
    cart.append(2)  # a later change to the object must not reach the store
    assert (await manager.load(jar.header))["cart"] == [1]


async def _login(manager: SessionManager, user: str | int, jar: Jar | None = None) -> Jar:
    jar = jar or Jar()
    session = await manager.load(jar.header)
    session.login(user)
    return jar.receive(await manager.commit(session))


async def _flash(manager: SessionManager) -> Jar:
    session = await manager.load(None)
    session.flash("hello")
    return Jar().receive(await manager.commit(session))


def _indexed(store: MemoryStore) -> int:
    return sum(len(members) for members in store._storage.indexes.values())


async def test_anonymous_sessions_never_evict_logged_in_ones(clock: FrozenClock) -> None:
    manager = _manager(clock, store_max_entries=20)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    users = [await _login(manager, n) for n in range(5)]
    flooded = [await _flash(manager) for _ in range(1000)]
    assert len(store) == 20
    assert [(await manager.load(jar.header)).user_id for jar in users] == list(range(5))
    assert (await manager.load(flooded[-1].header)).pop_flashes() == [("info", "hello")]
    assert dict(await manager.load(flooded[0].header)) == {}  # anonymous: least recent went


async def test_an_anonymous_write_is_refused_when_every_user_in_a_full_store_holds_one_session(
    clock: FrozenClock,
) -> None:
    manager = _manager(clock, store_max_entries=3)
    users = [await _login(manager, n) for n in range(3)]
    session = await manager.load(None)
    session.flash("hello")
    with pytest.raises(BackendUnavailable, match="store_max_entries"):
        await manager.commit(session)
    assert [(await manager.load(jar.header)).user_id for jar in users] == [0, 1, 2]
    clock.advance(14 * 24 * 3600)  # all expired: room again
    assert len(await manager.commit(session)) == 1


async def test_an_anonymous_write_to_a_full_store_evicts_from_the_user_holding_most(
    clock: FrozenClock,
) -> None:
    manager = _manager(clock, store_max_entries=4)
    others = [await _login(manager, n) for n in (1, 2)]
    mine = [await _login(manager, "me") for _ in range(2)]
    flash = await _flash(manager)  # full of logged-in sessions, "me" holds two
    assert (await manager.load(flash.header)).pop_flashes() == [("info", "hello")]
    assert dict(await manager.load(mine[0].header)) == {}
    assert [(await manager.load(j.header)).user_id for j in (*others, mine[1])] == [1, 2, "me"]


async def test_a_full_store_evicts_the_logging_in_users_own_oldest_session_first(
    clock: FrozenClock,
) -> None:
    manager = _manager(clock, store_max_entries=4)
    others = [await _login(manager, n) for n in (1, 2)]
    mine = [await _login(manager, "me") for _ in range(2)]
    newest = await _login(manager, "me")  # full: my own oldest session goes, nobody else's
    assert [(await manager.load(jar.header)).user_id for jar in others] == [1, 2]
    assert dict(await manager.load(mine[0].header)) == {}
    assert [(await manager.load(j.header)).user_id for j in (mine[1], newest)] == ["me", "me"]
    third = await _login(manager, 3)  # no session of its own: the user holding most loses one
    assert dict(await manager.load(mine[1].header)) == {}
    assert [(await manager.load(j.header)).user_id for j in (*others, newest)] == [1, 2, "me"]
    fourth = await _login(manager, 4)  # one session each: the least recently written goes
    assert dict(await manager.load(others[0].header)) == {}
    assert [(await manager.load(j.header)).user_id for j in (third, fourth)] == [3, 4]


async def test_one_account_logging_in_over_and_over_never_crowds_out_other_sessions(
    clock: FrozenClock, report: Callable[[str], None]
) -> None:
    manager = _manager(clock, store_max_entries=100)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    alice = await _login(manager, "alice")
    for _ in range(300):
        await _login(manager, "mallory")  # fills the store, then only evicts her own
    refused = 0
    flashes = []
    for _ in range(50):
        try:
            flashes.append(await _flash(manager))
        except BackendUnavailable:
            refused += 1
    for _ in range(100):
        await _login(manager, "mallory")  # beyond her share of a full store: her own go
    carol = await _login(manager, "carol")
    kept = sum([(await manager.load(j.header)).pop_flashes() != [] for j in flashes])
    report(
        f"memory: 400 logins of one account, then 50 anonymous writes: {refused} refused, "
        f"{kept} kept"
    )
    assert (refused, kept) == (0, 50)
    assert [(await manager.load(j.header)).user_id for j in (alice, carol)] == ["alice", "carol"]
    assert len(store) == 100


async def test_evicted_and_expired_sessions_leave_their_users_index(clock: FrozenClock) -> None:
    manager = _manager(clock, store_max_entries=50, max_age=100)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    for n in range(500):
        await _login(manager, n % 7)
    assert len(store) == 50
    assert _indexed(store) == 50
    assert len(store._storage.indexes) == 7
    jar = await _login(manager, "late")  # full: with no session of its own, the least recent goes
    clock.advance(100)
    assert dict(await manager.load(jar.header)) == {}  # expired, noticed on read
    assert (len(store), _indexed(store)) == (49, 49)
    await _login(manager, "after")
    await _login(manager, "after")  # full again: a sweep ends every expired session
    assert (len(store), _indexed(store), len(store._storage.indexes)) == (2, 2, 1)


async def test_a_users_index_never_outgrows_the_store(
    clock: FrozenClock, report: Callable[[str], None]
) -> None:
    manager = _manager(clock, store_max_entries=300)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    timings = []
    for _ in range(4):
        started = time.perf_counter()
        for _ in range(1500):
            await _login(manager, 1)
        timings.append(time.perf_counter() - started)
        assert _indexed(store) <= 300
    report(
        "memory: 6,000 logins of one user in 4 batches, "
        + ", ".join(f"{t * 1000:.0f} ms" for t in timings)
    )


def _check_bookkeeping(store: MemoryStore) -> None:
    storage = store._storage
    listed = {key: index for index, members in storage.indexes.items() for key in members}
    assert set(storage.records) == set(storage.anonymous) | set(listed)
    assert not set(storage.anonymous) & set(listed)
    assert all(storage.records[key][2] == index for key, index in listed.items())
    assert all(members for members in storage.indexes.values())
    bucketed = {index: n for n, bucket in storage.buckets.items() for index in bucket}
    assert all(storage.buckets.values())
    assert bucketed == {index: len(members) for index, members in storage.indexes.items()}
    assert storage.heaviest == max(map(len, storage.indexes.values()), default=0)
    assert len(storage.records) <= store._max_entries


async def test_eviction_bookkeeping_stays_exact_under_random_traffic(clock: FrozenClock) -> None:
    rng = random.Random(1729)
    manager = _manager(clock, store_max_entries=40, max_age=600)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    jars: list[Jar] = []
    for _ in range(3000):  # about a third of the writes find the store full
        action = rng.random()
        jar = rng.choice(jars) if jars else None
        if action < 0.35:
            jars.append(await _login(manager, rng.choice(["heavy"] * 6 + list(range(30)))))
        elif action < 0.55:
            single = all(len(m) == 1 for m in store._storage.indexes.values())
            try:
                jars.append(await _flash(manager))
            except BackendUnavailable:  # only when every session is its user's only one
                assert single
                assert (len(store), len(store._storage.anonymous)) == (40, 0)
        elif action < 0.75 and jar is not None:
            session = await manager.load(jar.header)
            session["n"] = rng.random()
            if rng.random() < 0.3:
                session.regenerate()
            jar.receive(await manager.commit(session))
        elif action < 0.85 and jar is not None:
            session = await manager.load(jar.header)
            session.logout()
            jar.receive(await manager.commit(session))
        elif action < 0.9:
            await manager.revoke_user(rng.choice(["heavy", *range(30)]))
        else:
            clock.advance(rng.choice([1, 30, 200]))
        _check_bookkeeping(store)
        jars = jars[-200:]


async def test_stored_sessions_add_nothing_to_the_garbage_collectors_work(
    clock: FrozenClock,
) -> None:
    import gc

    manager = _manager(clock)
    store = manager.backend
    assert isinstance(store, MemoryStore)
    for n in range(30):
        await _issue(manager, n=n, cart=[n])
        await _login(manager, n % 7)
    gc.collect()
    gc.collect()  # a record is a tuple of tuples: untracked from the inside out
    assert not any(gc.is_tracked(entry) for entry in store._storage.records.values())
