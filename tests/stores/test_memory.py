"""What only the memory store has to prove: its bound and its lock."""

from __future__ import annotations

import asyncio
import threading

import pytest
from support import FrozenClock, Jar, make_settings

from satchel import MemoryStore, SessionManager

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
