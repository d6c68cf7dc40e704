"""The memory and redis stores: ids, strict mode, expiry, revocation, concurrency, encryption.

Every test here runs against both stores; the redis ones use a real server.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from support import OTHER_SECRET, SECRET, FrozenClock, Jar, make_settings

from satchel import (
    MemoryStore,
    RedisStore,
    SessionConflict,
    SessionManager,
    SessionTooLarge,
)
from satchel.backends import Record, StoreBackend
from satchel.backends._store import Stored
from satchel.backends.redis import FORWARD_TTL

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
        for (body, *_), _expires, _index in backend._storage.records.values():
            blob += body
        return blob
    assert isinstance(backend, RedisStore)
    for key in await stored_keys(manager):
        if key.endswith(":sessions"):
            continue
        value: Any = await backend.client.get(key)
        blob += value or b""
    return blob


Options = dict[str, Any]


def together(count: int) -> Callable[[], Awaitable[None]]:
    """An await that returns once *count* requests have reached it, so that all of them
    read the session before any writes (a cluster client reads on separate connections,
    so one request's read may otherwise finish after another's write)."""
    arrived, everyone = [0], asyncio.Event()

    async def arrive() -> None:
        arrived[0] += 1
        if arrived[0] == count:
            everyone.set()
        await everyone.wait()

    return arrive


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
        async def _fetch(self, key: str, now: int) -> Stored | None:
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
            assert backend._storage.records[key][1] == clock.now + 600
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


async def _records(manager: SessionManager) -> list[str]:
    return sorted(k for k in await stored_keys(manager) if not k.endswith(":sessions"))


async def _move(session: Any, how: str) -> None:
    """Give *session* a new id the way *how* says (each is a move to a new record)."""
    if how == "regenerate":
        session.regenerate()
    elif how == "login again":
        session.login("alice")
    elif how == "login as another user":
        session.login("bob")
    else:
        session["user_id"] = "carol"  # a direct change of the user key moves too


MOVES = ("regenerate", "login again", "login as another user", "user key written")


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("how", MOVES)
async def test_a_write_that_regenerates_raises_on_conflict_and_keeps_the_old_record(
    clock: FrozenClock, store_options: Options, how: str, encrypt: bool
) -> None:
    options = {**store_options, "store_encrypt": encrypt}
    async with managed(clock, on_conflict="raise", **options) as manager:
        jar = await issue(manager, user_id="alice", balance=100, note="x")
        stale, fresh = await manager.load(jar.header), await manager.load(jar.header)
        fresh["balance"] = 50
        await manager.commit(fresh)
        before = await _records(manager)
        await _move(stale, how)
        stale["balance"] = 150
        with pytest.raises(SessionConflict):
            await manager.commit(stale)
        assert await _records(manager) == before  # nothing written, nothing moved
        session = await manager.load(jar.header)
        assert dict(session) == {"user_id": "alice", "balance": 50, "note": "x"}
        # (redis may have listed the new id, never issued, in the new user's index)
        assert await manager.revoke_user("bob") == await manager.revoke_user("carol") == 0
        # a move that changes only what nobody else changed goes through
        await _move(session, how)
        session["note"] = "y"
        moved = Jar().receive(await manager.commit(session))
        assert dict(await manager.load(jar.header)) == {}
        kept = None if how == "login as another user" else 50  # another user starts empty
        assert (await manager.load(moved.header)).get("balance") == kept


async def test_a_write_that_regenerates_overwrites_a_concurrent_change_by_default(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, user_id="alice", balance=100)
        stale, fresh = await manager.load(jar.header), await manager.load(jar.header)
        fresh["balance"] = 50
        await manager.commit(fresh)
        stale.regenerate()
        stale["balance"] = 150
        moved = Jar().receive(await manager.commit(stale))
        assert (await manager.load(moved.header))["balance"] == 150
        assert dict(await manager.load(jar.header)) == {}


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


async def _logged_in(manager: SessionManager, user: Any, **data: Any) -> Jar:
    """A session holding *data*, then logged in as *user* (a new id)."""
    jar = await issue(manager, **(data or {"cart": [1]}))
    session = await manager.load(jar.header)
    session.login(user)
    return jar.receive(await manager.commit(session))


async def test_revocation_ends_sessions_regenerated_written_or_logged_in_again_while_it_runs(
    clock: FrozenClock, store_options: Options, report: Callable[[str], None]
) -> None:
    rounds, per_round = 6, 40
    async with managed(clock, **store_options) as revoker, managed(clock, **store_options) as app:
        if isinstance(revoker.backend, MemoryStore):
            assert isinstance(app.backend, MemoryStore)
            app.backend._storage = revoker.backend._storage  # one process, one memory
        survivors = raced = ended = 0
        for round_ in range(rounds):
            jars = [await _logged_in(revoker, 7) for _ in range(per_round)]
            anonymous = [await issue(revoker, cart=[2]) for _ in range(per_round // 4)]

            async def request(jar: Jar, kind: int) -> tuple[Jar, bool]:
                """Regenerate, write or log in again; whether it found the session."""
                session = await app.load(jar.header)
                found = session.user_id == 7
                if kind == 0:
                    session.regenerate()
                elif kind == 1:
                    session["cart"] = [1, 2]
                else:
                    session.login(7)
                return jar.receive(await app.commit(session)), found

            async def revoke(delay: int) -> int:
                for _ in range(delay):
                    await asyncio.sleep(0)
                return await revoker.revoke_user(7)

            revoking = asyncio.ensure_future(revoke(round_ * 3))
            after = await asyncio.gather(
                *(request(jar, n % 3) for n, jar in enumerate(jars)),
                *(request(jar, 2) for jar in anonymous),  # new logins, racing too
            )
            ended += await revoking
            for jar, found in after[: len(jars)]:
                if found:  # it ran on a session that revoke_user was ending
                    raced += 1
                    survivors += (await revoker.load(jar.header)).user_id is not None
            # whatever logged in after it began (on a session already ended, or an
            # anonymous one) is a new login, and listed: the next revocation ends it
            await revoker.revoke_user(7)
            for jar, _ in after:
                assert (await revoker.load(jar.header)).user_id is None
        report(
            f"{store_options['backend']}: revoke_user raced {raced} regenerates, writes and "
            f"logins of its sessions: {survivors} survived; {ended} counted as ended"
        )
        assert raced > 0
        assert survivors == 0
        assert ended >= rounds * per_round


async def test_revoke_user_treats_an_int_id_and_its_text_as_one_user(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        as_int = await _logged_in(manager, 42)
        as_text = await _logged_in(manager, "42")
        switched = await _logged_in(manager, 42)
        session = await manager.load(switched.header)
        session["user_id"] = "42"  # the same user, written as text: the index stays
        switched.receive(await manager.commit(session))
        other = await _logged_in(manager, "042")
        assert await manager.revoke_user("42") == 3
        for jar in (as_int, as_text, switched):
            assert dict(await manager.load(jar.header)) == {}
        assert (await manager.load(other.header)).user_id == "042"
        again = await _logged_in(manager, "42")
        here = await manager.load((await _logged_in(manager, 42)).header)
        assert await manager.logout_everywhere(here) == 2
        assert dict(await manager.load(again.header)) == {}


async def test_revoke_user_refuses_an_id_that_is_neither_str_nor_int(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        await _logged_in(manager, 1)
        for wrong in (True, False, 1.0, None, b"1", [1], {"id": 1}):
            with pytest.raises(TypeError, match="str or an int"):
                await manager.revoke_user(wrong)
        assert await manager.revoke_user(1) == 1


async def test_a_conflicting_write_that_changes_the_user_leaves_the_user_index_alone(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, on_conflict="raise", **store_options) as manager:
        jar = await issue(manager, user_id=7, n=0)
        backend = manager.backend
        assert isinstance(backend, StoreBackend)
        now = int(clock.now)
        loaded = await backend.read(jar.cookies["session"], now)  # what a request read
        second = await manager.load(jar.header)
        second["n"] = 2
        await manager.commit(second)
        # the same id, another user (SessionManager moves such a write to a new id;
        # the store must hold without relying on it)
        data = {"user_id": 8, "n": 1}
        changed = Record(manager.serializer.dumps(data), loaded.created, now, loaded.id, data=data)
        with pytest.raises(SessionConflict):
            await backend.write(changed, loaded)
        assert (await manager.load(jar.header)).user_id == 7
        assert await manager.revoke_user(8) == 0
        assert await manager.revoke_user(7) == 1  # still listed under its user
        assert dict(await manager.load(jar.header)) == {}


async def test_a_session_with_thousands_of_keys_under_the_size_limit_is_written(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, on_conflict="raise", **store_options) as manager:
        many = {f"k{n}": 0 for n in range(15_000)}  # 180 KB of 256 KB
        session = await manager.load(None)
        session.update(many)
        jar = Jar().receive(await manager.commit(session))
        session = await manager.load(jar.header)
        assert dict(session) == many
        for name in many:
            session[name] = -1  # every field changed, each one checked for a conflict
        jar.receive(await manager.commit(session))
        session = await manager.load(jar.header)
        assert set(session.values()) == {-1}
        session.login(5)  # a move: every field to a new record
        jar.receive(await manager.commit(session))
        session = await manager.load(jar.header)
        assert len(session) == len(many) + 1
        for name in many:
            del session[name]  # every field removed
        jar.receive(await manager.commit(session))
        assert dict(await manager.load(jar.header)) == {"user_id": 5}


async def test_non_ascii_keys_round_trip_without_store_encryption(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        data = {"café": 1, "日本語": [2], "🎉": "x", "lone\udc80surrogate": 3, "plain": 4}
        session = await manager.load(None)
        session.update(data)
        jar = Jar().receive(await manager.commit(session))
        session = await manager.load(jar.header)
        assert dict(session) == data
        session["café"] = 10
        del session["日本語"]
        jar.receive(await manager.commit(session))
        assert dict(await manager.load(jar.header)) == {
            "café": 10,
            "🎉": "x",
            "lone\udc80surrogate": 3,
            "plain": 4,
        }


async def test_any_write_reseals_fields_left_under_a_fallback_key(
    clock: FrozenClock, store_options: Options
) -> None:
    options = {**store_options, "store_encrypt": True, "rolling": True, "max_age": 3600}
    async with managed(clock, secret_key=OTHER_SECRET, **options) as old:
        refreshed = await issue(old, a=1, b=[2])
        changed = await issue(old, a=1, b=[2])
        memory = old.backend._storage if isinstance(old.backend, MemoryStore) else None
    async with managed(
        clock, secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET], **options
    ) as rotated:
        if memory is not None:
            assert isinstance(rotated.backend, MemoryStore)
            rotated.backend._storage = memory
        clock.advance(120)  # past refresh_interval: a read re-issues the session
        session = await rotated.load(refreshed.header)
        assert session["a"] == 1
        refreshed.receive(await rotated.commit(session))  # the rolling refresh, nothing changed
        session = await rotated.load(changed.header)
        session["a"] = 5  # "b" is unchanged
        changed.receive(await rotated.commit(session))
    clock.advance(3000)  # the fallback is gone; both sessions are still within max_age
    async with managed(clock, secret_key=SECRET, **options) as current:
        if memory is not None:
            assert isinstance(current.backend, MemoryStore)
            current.backend._storage = memory
        assert dict(await current.load(refreshed.header)) == {"a": 1, "b": [2]}
        assert dict(await current.load(changed.header)) == {"a": 5, "b": [2]}


async def test_resealing_a_stale_field_never_overwrites_a_concurrent_change(
    clock: FrozenClock, store_options: Options
) -> None:
    options = {**store_options, "store_encrypt": True}
    async with managed(clock, secret_key=OTHER_SECRET, **options) as old:
        jar = await issue(old, a=1, b=1)
        memory = old.backend._storage if isinstance(old.backend, MemoryStore) else None
    async with managed(
        clock, secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET], **options
    ) as rotated:
        if memory is not None:
            assert isinstance(rotated.backend, MemoryStore)
            rotated.backend._storage = memory
        slow, fast = await rotated.load(jar.header), await rotated.load(jar.header)
        fast["b"] = 2
        await rotated.commit(fast)
        slow["a"] = 3  # its copy of "b" is stale twice over: old key, old value
        await rotated.commit(slow)
        assert dict(await rotated.load(jar.header)) == {"a": 3, "b": 2}


async def _version(manager: SessionManager, jar: Jar) -> int:
    """The version of the record *jar*'s cookie names."""
    backend = manager.backend
    assert isinstance(backend, StoreBackend)
    _, key, *_ = backend._identify(jar.cookies["session"])
    stored = await backend._fetch(key, int(manager.now()))
    assert stored is not None
    return stored[3]


async def test_a_write_on_the_current_version_skips_the_merge_and_keeps_concurrent_keys(
    clock: FrozenClock, store_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with managed(clock, **store_options) as manager:
        backend = manager.backend
        assert isinstance(backend, StoreBackend)
        merges: list[bytes] = []
        merge = StoreBackend._merge

        def counting(self: StoreBackend, base: bytes, mine: bytes, current: bytes) -> bytes:
            merges.append(current)
            return merge(self, base, mine, current)

        monkeypatch.setattr(StoreBackend, "_merge", counting)
        jar = await issue(manager, a=1, b=1)
        assert await _version(manager, jar) == 1
        first, second = await manager.load(jar.header), await manager.load(jar.header)
        first["a"] = 2
        await manager.commit(first)  # nobody wrote since it read: one compare-and-set
        assert merges == []
        assert await _version(manager, jar) == 2
        second["b"] = 2  # read at version 1: merged into version 2, key by key
        await manager.commit(second)
        assert len(merges) == 1
        assert await _version(manager, jar) == 3
        assert dict(await manager.load(jar.header)) == {"a": 2, "b": 2}


async def test_concurrent_writers_on_one_session_keep_every_key_and_one_value_of_a_shared_one(
    clock: FrozenClock, store_options: Options, report: Callable[[str], None]
) -> None:
    requests = 40
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, shared=-1)
        loaded = together(requests)

        async def request(n: int) -> None:
            session = await manager.load(jar.header)
            session[f"own{n}"] = n
            session["shared"] = n
            session.setdefault("list", []).append(n)  # a mutable value, changed in place
            await loaded()
            assert len(await manager.commit(session)) == 1

        await asyncio.gather(*(request(n) for n in range(requests)))
        data = dict(await manager.load(jar.header))
        assert all(data[f"own{n}"] == n for n in range(requests))
        assert data["shared"] in range(requests)  # the last writer's, whole
        assert len(data["list"]) == 1  # each request wrote a list of its own
        assert await _version(manager, jar) == requests + 1
        report(f"{store_options['backend']}: {requests} concurrent writers, every key kept")


async def test_many_writers_of_one_session_take_turns_rather_than_retry_against_each_other(
    clock: FrozenClock,
    store_options: Options,
    report: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requests = 60
    async with managed(clock, **store_options) as manager:
        backend: Any = manager.backend
        jar = await issue(manager, start=0)
        attempts = [0]
        apply = type(backend)._apply

        async def counted(store: Any, change: Any) -> Any:
            attempts[0] += 1
            return await apply(store, change)

        monkeypatch.setattr(type(backend), "_apply", counted)
        loaded = together(requests)

        async def request(n: int) -> None:
            session = await manager.load(jar.header)
            session[f"own{n}"] = n
            await loaded()  # every one of them writes on a record another changed
            await manager.commit(session)

        await asyncio.gather(*(request(n) for n in range(requests)))
        data = dict(await manager.load(jar.header))
        assert all(data[f"own{n}"] == n for n in range(requests))
        # each writes once, and once more after the first write; racing, they would
        # retry against each other, about requests * requests / 2 writes in all
        assert attempts[0] <= 2 * requests
        assert not backend._turns
    report(
        f"{store_options['backend']}: {requests} writers of one session took {attempts[0]} writes"
    )


async def test_concurrent_writers_of_one_key_raise_on_conflict_and_lose_nothing_else(
    clock: FrozenClock, store_options: Options, report: Callable[[str], None]
) -> None:
    requests = 20
    async with managed(clock, on_conflict="raise", **store_options) as manager:
        jar = await issue(manager, n=0)
        loaded = together(requests)

        async def request(n: int) -> bool:
            session = await manager.load(jar.header)
            session[f"own{n}"] = n
            if n % 2:
                session["n"] = n  # every odd request changes the shared key
            await loaded()
            try:
                await manager.commit(session)
            except SessionConflict:
                return False
            return True

        written = await asyncio.gather(*(request(n) for n in range(requests)))
        data = dict(await manager.load(jar.header))
        odd = [n for n in range(1, requests, 2) if written[n]]
        assert len(odd) == 1  # the first to write the shared key; the others conflict
        assert data["n"] == odd[0]
        assert all(written[n] for n in range(0, requests, 2))  # the others merge
        assert {k for k in data if k.startswith("own")} == {
            f"own{n}" for n in range(requests) if written[n]
        }
        report(
            f"{store_options['backend']}: {requests // 2} concurrent writers of one key, "
            f"{requests // 2 - 1} refused, the other {requests // 2 + 1} writes kept"
        )


async def test_a_second_commit_in_one_request_merges_with_what_the_first_wrote(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jar = await issue(manager, a=1)
        session = await manager.load(jar.header)
        session["b"] = 2
        jar.receive(await manager.commit(session))
        other = await manager.load(jar.header)
        other["c"] = 3
        await manager.commit(other)
        session["d"] = 4  # written again, on a record another request changed since
        jar.receive(await manager.commit(session))
        assert dict(await manager.load(jar.header)) == {"a": 1, "b": 2, "c": 3, "d": 4}


async def test_a_write_racing_revoke_user_ends_with_the_session_not_back(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        jars = [await _logged_in(manager, 9) for _ in range(20)]

        async def write(jar: Jar, n: int) -> list[str]:
            session = await manager.load(jar.header)
            for _ in range(n % 3):
                await asyncio.sleep(0)
            session["n"] = n
            if n % 4 == 0:
                session.regenerate()
            return await manager.commit(session)

        writes = asyncio.gather(*(write(jar, n) for n, jar in enumerate(jars)))
        headers, ended = await asyncio.gather(writes, manager.revoke_user(9))
        for jar, sent in zip(jars, headers, strict=True):
            jar.receive(sent)
        assert ended >= 1
        await manager.revoke_user(9)  # whatever was written after it began
        for jar in jars:
            assert (await manager.load(jar.header)).user_id is None
        left = [k for k in await stored_keys(manager) if not k.endswith(":sessions")]
        for key in left:  # only the pointer a regenerated session left, to nothing, expiring
            backend: Any = manager.backend
            value = await backend.client.get(key)
            assert value.startswith(b">")
            assert await backend.client.get(value[1:]) is None
            assert 0 < await backend.client.ttl(key) <= FORWARD_TTL


async def test_session_ids_are_hmac_sha256_signed_so_cookies_already_issued_still_load(
    clock: FrozenClock, store_options: Options
) -> None:
    import hashlib
    import hmac

    from satchel.backends import Keyring

    async with managed(clock, **store_options) as manager:
        backend = manager.backend
        assert isinstance(backend, StoreBackend)
        jar = await issue(manager, a=1)
        raw = base64.urlsafe_b64decode(jar.cookies["session"] + "=")[:35]
        [key] = Keyring.from_secrets(manager.settings.secret_key).derive("store/v1/id/session")
        mac = hmac.digest(key.key, raw, "sha256")[:16]
        assert jar.cookies["session"] == base64.urlsafe_b64encode(raw + mac).decode()
        assert backend._key(raw).endswith(hashlib.sha256(raw).hexdigest()[:32])
        backend._seen.clear()  # as in another process: verified from scratch
        assert (await manager.load(jar.header))["a"] == 1


async def test_only_cookie_values_whose_signature_checked_out_are_remembered(
    clock: FrozenClock, store_options: Options
) -> None:
    async with managed(clock, **store_options) as manager:
        backend = manager.backend
        assert isinstance(backend, StoreBackend)
        jar = await issue(manager, a=1)
        value = jar.cookies["session"]
        forged = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        backend._seen.clear()
        assert dict(await manager.load(f"session={forged}")) == {}
        assert list(backend._seen) == []
        assert (await manager.load(jar.header))["a"] == 1
        assert list(backend._seen) == [value]
        assert backend.session_id(value) == (await manager.load(jar.header)).id
