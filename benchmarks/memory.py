"""Bytes per session in the memory store and in Redis, and the loop's peak RSS."""

from __future__ import annotations

import asyncio
import gc
import resource
import tracemalloc
from typing import Any

from contenders import SECRET

DATA = {"user_id": 12345, "cart": [1, 2, 3], "theme": "dark"}


async def _fill(manager: Any, count: int) -> None:
    for _ in range(count):
        session = await manager.load(None)
        session.update(DATA)
        await manager.commit(session)


def _manager(**options: Any) -> Any:
    from satchel import SessionManager, SessionSettings

    settings = SessionSettings.model_validate(
        {"secret_key": SECRET, "store_max_entries": 1_000_000, **options}
    )
    return SessionManager(settings)


def measure_memory(redis_url: str | None, *, quick: bool) -> list[str]:
    """Report lines: bytes per stored session (memory, redis) and peak RSS."""
    count = 2_000 if quick else 20_000
    lines = [f"Each session holds `{DATA}`; {count} sessions per store."]
    manager = _manager(backend="memory")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    asyncio.run(_fill(manager, count))
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    lines.append(f"- memory store: {(after - before) / count:,.0f} bytes per session (tracemalloc)")
    if redis_url:
        from redis import Redis

        admin = Redis.from_url(redis_url)
        admin.flushall()
        before = int(admin.info("memory")["used_memory"])

        async def fill_redis() -> None:
            store = _manager(backend="redis", redis_url=redis_url, store_prefix="mem:")
            try:
                await _fill(store, count)
            finally:
                await store.aclose()

        asyncio.run(fill_redis())
        after = int(admin.info("memory")["used_memory"])
        keys = admin.dbsize()
        admin.flushall()
        admin.close()
        lines.append(
            f"- redis store: {(after - before) / count:,.0f} bytes per session "
            f"(Redis used_memory, {keys} keys)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines.append(f"- peak RSS of the benchmark process: {peak / 1024:,.0f} MiB")
    return lines
