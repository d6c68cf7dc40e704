"""The memory and redis stores: ids, strict mode, expiry, revocation, concurrency, encryption.

Every test here runs against both stores; the redis ones use a real server.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from support import OTHER_SECRET, SECRET, FrozenClock, Jar, make_settings

from satchel import MemoryStore, RedisStore, SessionConflict, SessionManager, SessionTooLarge
from satchel.backends import StoreBackend

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def managed(clock: FrozenClock, **options: Any) -> AsyncIterator[SessionManager]:
    """A manager on the frozen clock, closed afterwards."""
    manager = SessionManager(make_settings(**options), clock=clock)
    try:
        yield manager
    finally:
        await manager.aclose()


async def issue(manager: SessionManager, jar: Jar | None = None, **data: Any) -> Jar:
    """One request that sets *data*; returns the browser's jar."""
    jar = jar or Jar()
    session = await manager.load(jar.header)
    session.update(data)
    return jar.receive(await manager.commit(session))


async def stored_keys(manager: SessionManager) -> list[str]:
    """Every key the store holds for this manager."""
    backend = manager.backend
    if isinstance(backend, MemoryStore):
        return list(backend._storage.records) + list(backend._storage.indexes)
    assert isinstance(backend, RedisStore)
    prefix = manager.settings.store_prefix
    return [k.decode() async for k in backend.client.scan_iter(match=f"{prefix}*")]


async def stored_bytes(manager: SessionManager) -> bytes:
    """Every field name and value the store holds, concatenated."""
    backend = manager.backend
    blob = b""
    if isinstance(backend, MemoryStore):
        for entry in backend._storage.records.values():
            for name, value in entry.fields.items():
                blob += name.encode() + value
        return blob
    assert isinstance(backend, RedisStore)
    for key in await stored_keys(manager):
        if key.endswith(":sessions"):
            continue
        fields: dict[Any, Any] = await backend.client.hgetall(key)
        for name, value in fields.items():
            blob += bytes(name) + bytes(value)
    return blob


Options = dict[str, Any]


async def test_cookie_holds_a_signed_256_bit_id_and_the_data_stays_on_the_server(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, card="4111-1111")
        value = jar.cookies["session"]
        raw = base64.urlsafe_b64decode(value + "==")
        assert len(raw) == 3 + 32 + 16
        assert b"4111" not in raw
        session = await manager.load(jar.header)
        assert session["card"] == "4111-1111"
        assert session.id is not None
        assert base64.urlsafe_b64decode(session.id + "=") == raw[:35]


async def test_store_keys_on_a_hash_of_the_id(clock: FrozenClock, store_options: Options) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, a=1)
        session = await manager.load(jar.header)
        assert session["a"] == 1
        assert session.id is not None
        [key] = await stored_keys(manager)
        assert session.id not in key
        assert session.id[4:20] not in key


async def test_forged_unsigned_id_is_refused_before_any_lookup(
    clock: FrozenClock, store_options: Options
) -> None:
    settings = make_settings(**store_options)
    store = type(SessionManager(settings).backend)
    fetched: list[str] = []

    class Spy(store):  # type: ignore[valid-type,misc]
        async def _fetch(self, key: str, now: int) -> dict[str, bytes] | None:
            fetched.append(key)
            return await super()._fetch(key, now)  # type: ignore[no-any-return]

    manager = SessionManager(settings, backend=Spy.from_settings(settings), clock=clock)
    try:
        jar = await issue(manager, a=1)
        assert (await manager.load(jar.header))["a"] == 1
        assert len(fetched) == 1  # the control: a real id is looked up
        forged = base64.urlsafe_b64encode(secrets.token_bytes(51)).decode().rstrip("=")
        for cookie in (forged, "", "x" * 68, forged[:-1], jar.cookies["session"][:-2] + "AA"):
            session = await manager.load(f"session={cookie}")
            assert dict(session) == {}
        assert len(fetched) == 1
    finally:
        await manager.aclose()


async def test_unknown_validly_signed_id_is_never_adopted(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        backend = manager.backend
        assert isinstance(backend, StoreBackend)
        chosen = backend._value(secrets.token_bytes(35))  # as if the secret had leaked
        session = await manager.load(f"session={chosen}")
        assert session.is_new
        session["user_id"] = 1
        jar = Jar().receive(await manager.commit(session))
        assert jar.cookies["session"] != chosen


async def test_empty_new_session_writes_nothing(clock: FrozenClock, store_options: Options) -> None:
    async with managed(clock, **store_options) as manager:
        for _ in range(20):
            session = await manager.load(None)
            assert session.get("x") is None
            assert await manager.commit(session) == []
        assert await stored_keys(manager) == []


async def test_regenerate_moves_the_data_to_a_new_id_and_deletes_the_old_record(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, cart=[1, 2])
        old_cookie = jar.header
        session = await manager.load(jar.header)
        session.login(42)
        jar.receive(await manager.commit(session))
        assert jar.header != old_cookie
        assert dict(await manager.load(jar.header)) == {"cart": [1, 2], "user_id": 42}
        assert dict(await manager.load(old_cookie)) == {}
        assert len([k for k in await stored_keys(manager) if not k.endswith("sessions")]) == 1


async def test_clear_deletes_the_record_and_expires_the_cookie(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, user_id=5)
        old = jar.header
        session = await manager.load(jar.header)
        session.clear()
        [header] = await manager.commit(session)
        assert "Max-Age=0" in header
        assert await stored_keys(manager) == []
        assert dict(await manager.load(old)) == {}


async def test_absolute_and_idle_timeouts_are_enforced_on_load(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, max_age=1000, idle_timeout=300, **store_options) as manager:
        jar = await issue(manager, a=1)
        clock.advance(299)
        assert (await manager.load(jar.header))["a"] == 1
        clock.advance(1)
        assert dict(await manager.load(jar.header)) == {}
    async with managed(clock, max_age=1000, idle_timeout=300, **store_options) as manager:
        jar = await issue(manager, a=1)
        for _ in range(3):
            clock.advance(250)
            session = await manager.load(jar.header)
            assert session["a"] == 1
            jar.receive(await manager.commit(session))  # the idle refresh
        clock.advance(249)
        assert (await manager.load(jar.header))["a"] == 1
        clock.advance(1)
        assert dict(await manager.load(jar.header)) == {}  # 1000 s after creation


async def test_stored_record_carries_a_ttl_so_storage_cleans_itself(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, max_age=600, persistent=False, **store_options) as manager:
        await issue(manager, a=1)
        [key] = await stored_keys(manager)
        backend = manager.backend
        if isinstance(backend, RedisStore):
            ttl = await backend.client.ttl(key)
            assert 590 <= ttl <= 600
        else:
            assert isinstance(backend, MemoryStore)
            assert backend._storage.records[key].expires == clock.now + 600
            clock.advance(600)
            assert await backend._fetch(key, int(clock.now)) is None
            assert len(backend) == 0


async def test_encryption_at_rest_leaves_nothing_readable_in_the_store(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, store_encrypt=True, **store_options) as manager:
        jar = await issue(manager, secret_note="launch codes", email="al@example.com")
        blob = await stored_bytes(manager)
        for text in (b"launch codes", b"secret_note", b"email", b"al@example.com"):
            assert text not in blob
        session = await manager.load(jar.header)
        assert session["secret_note"] == "launch codes"
        session["email"] = "bo@example.com"
        jar.receive(await manager.commit(session))
        assert (await manager.load(jar.header))["email"] == "bo@example.com"
    async with managed(clock, **store_options) as manager:
        await issue(manager, secret_note="launch codes")
        assert b"launch codes" in await stored_bytes(manager)  # the control: plain when off


async def test_encrypted_store_survives_key_rotation(
    clock: FrozenClock, store_options: Options
) -> None:
    options = {**store_options, "store_encrypt": True}
    async with managed(clock, secret_key=OTHER_SECRET, **options) as old:
        jar = await issue(old, a=1, b=2)
        if isinstance(old.backend, MemoryStore):
            storage = old.backend._storage
        async with managed(
            clock, secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET], **options
        ) as rotated:
            if isinstance(rotated.backend, MemoryStore):
                rotated.backend._storage = storage  # one process, one memory
            session = await rotated.load(jar.header)
            assert dict(session) == {"a": 1, "b": 2}
            session["a"] = 10
            del session["b"]
            jar.receive(await rotated.commit(session))
            assert dict(await rotated.load(jar.header)) == {"a": 10}


async def test_revoke_user_ends_every_session_of_that_user_only(
    clock: FrozenClock, store_options: Options, report: Callable[[str], None]
) -> None:
    async with managed(clock, **store_options) as manager:
        jars = []
        for _ in range(3):
            jar = await issue(manager, cart=[1])
            session = await manager.load(jar.header)
            session.login(7)
            jars.append(jar.receive(await manager.commit(session)))
        other = await issue(manager, user_id=8)
        anonymous = await issue(manager, cart=[2])
        assert await manager.revoke_user(7) == 3
        for jar in jars:
            assert dict(await manager.load(jar.header)) == {}
        assert (await manager.load(other.header))["user_id"] == 8
        assert (await manager.load(anonymous.header))["cart"] == [2]
        assert await manager.revoke_user(7) == 0
        assert len(await stored_keys(manager)) == 3  # user 8's record and index, the anonymous one
        report(f"{store_options['backend']}: revoke_user ended 3 of 3 sessions, 0 readable after")


async def test_a_request_that_outlives_a_logout_does_not_bring_the_session_back(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, user_id=1)
        slow = await manager.load(jar.header)
        slow["cart"] = [1]
        logout = await manager.load(jar.header)
        logout.logout()
        await manager.commit(logout)
        [header] = await manager.commit(slow)
        assert "Max-Age=0" in header
        assert [k for k in await stored_keys(manager) if not k.endswith(":sessions")] == []
        assert await manager.revoke_user(1) == 0  # an index entry may dangle; it ends nothing


async def test_logging_out_everywhere_then_here_with_a_message_starts_a_fresh_session(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, cart=[1])
        session = await manager.load(jar.header)
        session.login(7)
        jar.receive(await manager.commit(session))
        old = jar.cookies["session"]
        session = await manager.load(jar.header)
        assert await manager.revoke_user(session.user_id) == 1
        session.logout()
        session.flash("Logged out on every device")
        jar.receive(await manager.commit(session))
        assert jar.cookies["session"] != old
        after = await manager.load(jar.header)
        assert after.user_id is None
        assert after.pop_flashes() == [("info", "Logged out on every device")]
        assert dict(await manager.load(f"session={old}")) == {}


async def test_a_request_that_clears_and_logs_back_in_after_a_revocation_stays_logged_out(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, user_id=7)
        slow = await manager.load(jar.header)  # loaded before "log out everywhere"
        assert await manager.revoke_user(7) == 1
        user = slow.user_id
        slow.clear()
        slow.login(user)
        [header] = await manager.commit(slow)
        assert "Max-Age=0" in header
        assert await manager.revoke_user(7) == 0


async def test_a_session_over_max_session_bytes_is_refused_at_commit_and_the_old_one_kept(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, max_session_bytes=2048, **store_options) as manager:
        jar = await issue(manager, cart=["a" * 1000])
        session = await manager.load(jar.header)
        session["more"] = "b" * 1100  # 2,100-odd bytes in all
        with pytest.raises(SessionTooLarge, match="max_session_bytes allows 2048"):
            await manager.commit(session)
        assert (await manager.load(jar.header))["cart"] == ["a" * 1000]  # nothing lost
        fresh = await manager.load(None)
        fresh["big"] = "c" * 3000
        with pytest.raises(SessionTooLarge):
            await manager.commit(fresh)
        assert len(await stored_keys(manager)) == 1  # the first session's record, nothing else


async def test_concurrent_requests_changing_different_keys_lose_no_update(
    clock: FrozenClock, store_options: Options, report: Callable[[str], None]
) -> None:
    requests = 50
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, start=True)

        async def request(n: int) -> None:
            session = await manager.load(jar.header)
            session[f"key{n}"] = n
            await asyncio.sleep(0)
            assert len(await manager.commit(session)) == 1

        await asyncio.gather(*(request(n) for n in range(requests)))
        data = dict(await manager.load(jar.header))
        lost = sum(f"key{n}" not in data for n in range(requests))
        report(f"{store_options['backend']}: {requests} concurrent requests, {lost} lost updates")
        assert lost == 0


async def test_same_key_changed_by_two_requests_is_last_writer_wins_by_default(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, n=0, other="x")
        first, second = await manager.load(jar.header), await manager.load(jar.header)
        first["n"], second["n"] = 1, 2
        await manager.commit(first)
        await manager.commit(second)
        assert (await manager.load(jar.header))["n"] == 2


async def test_same_key_changed_by_two_requests_raises_with_on_conflict_raise(
    clock: FrozenClock, store_options: Options, report: Callable[[str], None]
) -> None:
    async with managed(clock, on_conflict="raise", **store_options) as manager:
        jar = await issue(manager, n=0, other="x")
        first, second, third = [await manager.load(jar.header) for _ in range(3)]
        first["n"] = 1
        second["n"] = 2
        third["other"] = "y"  # a different key still merges
        await manager.commit(first)
        with pytest.raises(SessionConflict):
            await manager.commit(second)
        await manager.commit(third)
        assert dict(await manager.load(jar.header)) == {"n": 1, "other": "y"}
        fourth = await manager.load(jar.header)
        del fourth["other"]
        fifth = await manager.load(jar.header)
        fifth["other"] = "z"
        await manager.commit(fourth)
        with pytest.raises(SessionConflict):
            await manager.commit(fifth)
        report(f"{store_options['backend']}: on_conflict='raise' refused 2 of 2 stale writes")


async def test_session_id_signed_under_a_fallback_secret_loads_and_is_signed_anew(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, secret_key=OTHER_SECRET, **store_options) as old:
        jar = await issue(old, a=1)
        memory = old.backend._storage if isinstance(old.backend, MemoryStore) else None
        async with managed(
            clock, secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET], **store_options
        ) as rotated:
            if memory is not None:
                assert isinstance(rotated.backend, MemoryStore)
                rotated.backend._storage = memory
            session = await rotated.load(jar.header)
            assert session["a"] == 1
            before = jar.cookies["session"]
            session["a"] = 2
            jar.receive(await rotated.commit(session))
            resigned = jar.cookies["session"]
            assert resigned != before  # the same id, now under the current key
            session = await rotated.load(jar.header)
            assert session.id == (await rotated.load(f"session={before}")).id
            session["a"] = 3
            jar.receive(await rotated.commit(session))
            assert jar.cookies["session"] == resigned  # current key: sent back as read
        async with managed(clock, secret_key=SECRET, **store_options) as current:
            if memory is not None:
                assert isinstance(current.backend, MemoryStore)
                current.backend._storage = memory
            assert (await current.load(jar.header))["a"] == 3  # no fallback needed now


async def test_a_session_id_is_bound_to_its_cookie_name(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as first:
        jar = await issue(first, a=1)
        async with managed(clock, cookie_name="other", **store_options) as second:
            value = jar.cookies["session"]
            assert dict(await second.load(f"other={value}")) == {}


async def test_cookie_backends_cannot_revoke(clock: FrozenClock) -> None:
    async with managed(clock) as manager:
        with pytest.raises(TypeError, match="memory or redis"):
            await manager.revoke_user(1)


def test_redis_backend_needs_a_url() -> None:
    from satchel import ConfigurationError, SessionSettings

    with pytest.raises(ConfigurationError, match="SESSION_REDIS_URL is required for backend="):
        SessionSettings(backend="redis", secret_key="k" * 32)


def test_the_stores_can_revoke_and_identify_and_redis_closes_its_connections() -> None:
    from satchel import ClosesConnections, IdentifiesSessions, RevokesSessions
    from satchel.backends import Keyring, Lifetime

    memory = MemoryStore(Keyring(SECRET.encode()), Lifetime(60))
    redis = RedisStore(Keyring(SECRET.encode()), Lifetime(60), url="redis://localhost:1")
    for store in (memory, redis):
        revokes: RevokesSessions = store
        identifies: IdentifiesSessions = store
        assert isinstance(revokes, RevokesSessions)
        assert isinstance(identifies, IdentifiesSessions)
    closes: ClosesConnections = redis
    assert isinstance(closes, ClosesConnections)
    assert not isinstance(memory, ClosesConnections)  # nothing to close
