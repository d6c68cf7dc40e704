"""Moving from starsessions: its CookieStore cookies and the records of its memory and
Redis stores (issued by starsessions itself) load in satchel once, come back as
satchel's, and the old record is deleted; a store that is down is a 503, not a logout."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starsessions import CookieStore, InMemoryStore, SessionAutoloadMiddleware
from starsessions import SessionMiddleware as StarSessions
from starsessions.stores.base import SessionStore
from starsessions.stores.redis import RedisStore as StarRedisStore
from support import FrozenClock, MakeApp, Visit, make_settings

from satchel import BackendUnavailable, SessionManager, StarsessionsStore

pytestmark = pytest.mark.anyio

OLD_SECRET = "starsessions-secret"
ALICE = {"user_id": "alice", "cart": [1, 2]}


def starsessions_app(store: SessionStore, **options: Any) -> Starlette:
    """The incumbent: starsessions' middleware on *store*; POST /login logs alice in."""

    async def login(request: Request) -> JSONResponse:
        request.session.update(ALICE)
        return JSONResponse({"ok": True})

    middleware = [
        Middleware(StarSessions, store=store, cookie_https_only=False, **options),
        Middleware(SessionAutoloadMiddleware),
    ]
    return Starlette(routes=[Route("/login", login, methods=["POST"])], middleware=middleware)


async def starsessions_cookie(visit: Visit, store: SessionStore, **options: Any) -> str:
    """The session cookie starsessions issues at login."""
    reply = await visit(starsessions_app(store, **options), "/login", method="POST")
    value = reply.cookie("session")
    assert value
    return value


# -- CookieStore ---------------------------------------------------------------------


async def test_a_cookie_store_cookie_keeps_its_user_logged_in_without_its_metadata(
    visit: Visit, satchel_app: MakeApp
) -> None:
    old = await starsessions_cookie(visit, CookieStore(OLD_SECRET), lifetime=3600)
    app = satchel_app(
        legacy_formats=["starsessions"], legacy_secret_keys=[OLD_SECRET], legacy_max_age=3600
    )
    first = await visit(app, cookie=f"session={old}")
    assert first.body == {"user": "alice", "data": ALICE, "is_new": True}
    new = first.cookie("session")
    assert new is not None
    assert new != old
    second = await visit(app, cookie=f"session={new}")
    assert second.body == {"user": "alice", "data": ALICE, "is_new": False}
    assert second.set_cookies == []


@pytest.mark.parametrize(
    ("lifetime", "age", "user"),
    [
        (3600, 3500, "alice"),
        (3600, 3700, None),
        (0, 300 * 86400, "alice"),  # lifetime=0: starsessions accepts a year-old signature
        (0, 361 * 86400, None),
    ],
)
async def test_the_cookie_stores_lifetime_is_honoured(
    visit: Visit, lifetime: int, age: int, user: str | None
) -> None:
    old = await starsessions_cookie(visit, CookieStore(OLD_SECRET), lifetime=lifetime)
    options: dict[str, Any] = {
        "legacy_formats": ["starsessions"],
        "legacy_secret_keys": [OLD_SECRET],
    }
    if lifetime:
        options["legacy_max_age"] = lifetime
    manager = SessionManager(make_settings(**options), clock=FrozenClock(time.time() + age))
    assert (await manager.load(f"session={old}")).get("user_id") == user


async def test_a_cookie_store_cookie_under_another_secret_is_a_fresh_session(
    visit: Visit, satchel_app: MakeApp
) -> None:
    old = await starsessions_cookie(visit, CookieStore("someone else's"))
    app = satchel_app(legacy_formats=["starsessions"], legacy_secret_keys=[OLD_SECRET])
    reply = await visit(app, cookie=f"session={old}")
    assert reply.body == {"user": None, "data": {}, "is_new": True}
    assert reply.set_cookies == []


# -- InMemoryStore (process-local: passed to SessionManager(legacy=[...])) -----------


@pytest.mark.parametrize("backend", ["signed", "memory"])
async def test_a_memory_store_session_survives_the_switch_and_its_record_goes(
    visit: Visit, satchel_app: MakeApp, backend: str
) -> None:
    store = InMemoryStore()
    old = await starsessions_cookie(visit, store)
    assert old in store.data
    manager = SessionManager(make_settings(backend=backend), legacy=[StarsessionsStore(store)])
    assert manager.load_nowait(None) is None  # a legacy store is I/O: fetched before the handler
    app = satchel_app(manager=manager)
    first = await visit(app, cookie=f"session={old}")
    assert first.body == {"user": "alice", "data": ALICE, "is_new": True}
    assert old not in store.data  # moved: the starsessions record is deleted
    new = first.cookie("session")
    assert new is not None
    assert new != old
    assert (await visit(app, cookie=f"session={new}")).body["user"] == "alice"
    replayed = await visit(app, cookie=f"session={old}")  # the old id is dead
    assert replayed.body == {"user": None, "data": {}, "is_new": True}


async def test_an_untouched_request_leaves_the_starsessions_record_alone(
    visit: Visit, satchel_app: MakeApp
) -> None:
    store = InMemoryStore()
    old = await starsessions_cookie(visit, store)
    app = satchel_app(manager=SessionManager(make_settings(), legacy=[StarsessionsStore(store)]))
    assert (await visit(app, "/nowhere", cookie=f"session={old}")).status == 404
    assert old in store.data


def _record(data: Any, **metadata: Any) -> bytes:
    now = time.time()
    meta = {"lifetime": 0, "created": now, "last_access": now} | metadata
    return json.dumps(data | {"__metadata__": meta} if isinstance(data, dict) else data).encode()


STORED: dict[str, tuple[str, bytes]] = {
    # id in the cookie, record under it
    "a client-chosen id": ("attackerchosen123", _record(ALICE)),
    "upper-case hex": ("A" * 32, _record(ALICE)),
    "a record that is a JSON list": ("a" * 32, _record([ALICE])),
    "a record that is JSON null": ("a" * 32, b"null"),
    "a record that is not JSON": ("a" * 32, b"\x80 not json"),
    "an empty record": ("a" * 32, b""),
    "an expired record": ("a" * 32, _record(ALICE, lifetime=60, created=1, last_access=1)),
    "metadata that is no object": ("a" * 32, json.dumps(ALICE | {"__metadata__": [1]}).encode()),
    "metadata times that are no numbers": ("a" * 32, _record(ALICE, lifetime="60")),
    "an oversize record": ("a" * 32, _record({"user_id": "a" * 4096})),
}


@pytest.mark.parametrize("case", sorted(STORED))
async def test_a_record_satchel_cannot_vouch_for_yields_a_fresh_session(
    visit: Visit, satchel_app: MakeApp, case: str
) -> None:
    value, record = STORED[case]
    store = InMemoryStore()
    store.data[value] = record
    legacy = StarsessionsStore(store, max_bytes=2048)
    app = satchel_app(manager=SessionManager(make_settings(), legacy=[legacy]))
    reply = await visit(app, cookie=f"session={value}")
    assert reply.status == 200
    assert reply.body == {"user": None, "data": {}, "is_new": True}
    assert reply.set_cookies == []


async def test_an_unknown_id_yields_a_fresh_session(visit: Visit, satchel_app: MakeApp) -> None:
    app = satchel_app(
        manager=SessionManager(make_settings(), legacy=[StarsessionsStore(InMemoryStore())])
    )
    reply = await visit(app, cookie=f"session={secrets.token_hex(16)}")
    assert reply.body == {"user": None, "data": {}, "is_new": True}


class _DownStore(InMemoryStore):
    """A starsessions store whose server has gone away."""

    def __init__(self, *, reading: bool = True) -> None:
        super().__init__()
        self.reading = reading

    async def read(self, session_id: str, lifetime: int) -> bytes:
        if self.reading:
            raise ConnectionError("connection refused")
        return await super().read(session_id, lifetime)

    async def remove(self, session_id: str) -> None:
        raise ConnectionError("connection refused")


async def test_a_starsessions_store_that_is_down_is_unavailable_not_a_logout(
    visit: Visit, satchel_app: MakeApp
) -> None:
    manager = SessionManager(make_settings(), legacy=[StarsessionsStore(_DownStore())])
    with pytest.raises(BackendUnavailable):
        await manager.load(f"session={secrets.token_hex(16)}")
    reply = await visit(satchel_app(manager=manager), cookie=f"session={secrets.token_hex(16)}")
    assert reply.status == 503
    assert reply.set_cookies == []


async def test_a_record_that_cannot_be_deleted_is_left_to_its_ttl_with_a_warning(
    visit: Visit, satchel_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    store = _DownStore(reading=False)
    old = await starsessions_cookie(visit, store)
    manager = SessionManager(make_settings(), legacy=[StarsessionsStore(store)])
    with caplog.at_level(logging.WARNING, logger="satchel"):
        reply = await visit(satchel_app(manager=manager), cookie=f"session={old}")
    assert reply.body["user"] == "alice"
    assert reply.cookie("session") is not None  # the user's move is not lost
    assert "could not be deleted" in caplog.text
    assert old not in caplog.text


# -- RedisStore ----------------------------------------------------------------------


@pytest.fixture
async def starsessions_redis(redis_url: str, redis_prefix: str) -> AsyncIterator[StarRedisStore]:
    """starsessions' RedisStore on the test Redis, under its own prefix."""
    connection = Redis.from_url(redis_url)
    try:
        yield StarRedisStore(connection=connection, prefix=redis_prefix)
    finally:
        await connection.aclose()


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["signed", "redis"])
async def test_a_redis_store_session_survives_the_switch_and_its_record_goes(
    visit: Visit,
    satchel_app: MakeApp,
    starsessions_redis: StarRedisStore,
    redis_url: str,
    redis_prefix: str,
    backend: str,
) -> None:
    old = await starsessions_cookie(visit, starsessions_redis, lifetime=3600)
    assert await starsessions_redis.read(old, 3600) != b""
    options: dict[str, Any] = {"backend": backend}
    if backend == "redis":  # satchel's own records on the same server, its own prefix
        options |= {"redis_url": redis_url, "store_prefix": f"{redis_prefix}satchel:"}
    else:
        options["legacy_redis_url"] = redis_url
    manager = SessionManager(
        make_settings(
            legacy_formats=["starsessions-redis"], legacy_store_prefix=redis_prefix, **options
        )
    )
    try:
        app = satchel_app(manager=manager)
        first = await visit(app, cookie=f"session={old}")
        assert first.body == {"user": "alice", "data": ALICE, "is_new": True}
        assert await starsessions_redis.read(old, 3600) == b""  # moved, so deleted
        new = first.cookie("session")
        assert new is not None
        assert (await visit(app, cookie=f"session={new}")).body["user"] == "alice"
    finally:
        await manager.aclose()


@pytest.mark.redis
async def test_the_starsessions_prefix_is_where_records_are_read(
    visit: Visit, satchel_app: MakeApp, starsessions_redis: StarRedisStore, redis_url: str
) -> None:
    old = await starsessions_cookie(visit, starsessions_redis)
    manager = SessionManager(
        make_settings(legacy_formats=["starsessions-redis"], legacy_redis_url=redis_url)
    )  # the default prefix, "starsessions.", is not where this test's records are
    try:
        reply = await visit(satchel_app(manager=manager), cookie=f"session={old}")
        assert reply.body == {"user": None, "data": {}, "is_new": True}
    finally:
        await manager.aclose()


async def test_a_starsessions_redis_that_is_down_is_a_503_not_a_logout(
    visit: Visit, satchel_app: MakeApp, closed_port: int
) -> None:
    manager = SessionManager(
        make_settings(
            legacy_formats=["starsessions-redis"],
            legacy_redis_url=f"redis://127.0.0.1:{closed_port}/0",
            store_timeout=1,
        )
    )
    try:
        with pytest.raises(BackendUnavailable):
            await manager.load(f"session={secrets.token_hex(16)}")
        reply = await visit(satchel_app(manager=manager), cookie=f"session={secrets.token_hex(16)}")
        assert reply.status == 503
    finally:
        await manager.aclose()
