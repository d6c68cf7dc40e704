"""Logging in: a different user starts from empty data, the same user keeps it, and any
change of the user key, by `login` or a direct write, gives the session a new identity."""

from __future__ import annotations

from typing import Any

import pytest
from support import SECRET, FrozenClock

from satchel import Session, SessionManager, SessionSettings

pytestmark = pytest.mark.anyio


def manager(clock: FrozenClock, **options: Any) -> SessionManager:
    return SessionManager(
        SessionSettings(secret_key=SECRET, backend="memory", **options), clock=clock
    )


async def committed(engine: SessionManager, data: dict[str, Any]) -> dict[str, str]:
    """The cookie jar of a stored session holding *data*."""
    session = await engine.load(None)
    session.update(data)
    return jar(await engine.commit(session))


def jar(set_cookies: list[str]) -> dict[str, str]:
    name, _, value = set_cookies[0].split(";")[0].partition("=")
    return {name: value}


async def reload(engine: SessionManager, cookies: dict[str, str]) -> Session:
    return await engine.load(cookies)


async def test_login_as_a_different_user_starts_from_empty_data(clock: FrozenClock) -> None:
    engine = manager(clock)
    cookies = await committed(engine, {"user_id": "alice", "role": "admin", "mfa": True})
    session = await reload(engine, cookies)
    session.login("bob")
    assert dict(session) == {"user_id": "bob"}


async def test_login_as_the_same_user_again_keeps_the_data(clock: FrozenClock) -> None:
    engine = manager(clock)
    cookies = await committed(engine, {"user_id": 42, "cart": [1]})
    session = await reload(engine, cookies)
    session.login("42")  # the same user, by the documented rule
    assert session["cart"] == [1]


async def test_login_from_an_anonymous_session_keeps_its_data(clock: FrozenClock) -> None:
    engine = manager(clock)
    session = await reload(engine, await committed(engine, {"cart": [1, 2]}))
    session.login("alice")
    assert dict(session) == {"cart": [1, 2], "user_id": "alice"}


async def test_login_keeps_only_the_keys_named_in_login_keeps(clock: FrozenClock) -> None:
    engine = manager(clock, login_keeps="cart,theme")
    cookies = await committed(engine, {"user_id": "alice", "cart": [1], "role": "admin"})
    session = await reload(engine, cookies)
    session.login("bob")
    assert dict(session) == {"cart": [1], "user_id": "bob"}


@pytest.mark.parametrize("user_id", [True, 4.2, None, {"id": 1}, b"alice"])
async def test_login_refuses_a_user_id_that_is_not_a_str_or_an_int(
    clock: FrozenClock, user_id: Any
) -> None:
    session = await manager(clock).load(None)
    with pytest.raises(TypeError, match="a user id is a str or an int"):
        session.login(user_id)


async def test_a_direct_write_of_the_user_key_gives_a_new_identity(clock: FrozenClock) -> None:
    engine = manager(clock)
    planted = await committed(engine, {"visits": 1})  # an attacker's anonymous session
    victim = await reload(engine, planted)
    victim["user_id"] = "victim"  # the app authenticates without login()
    renewed = jar(await engine.commit(victim))
    assert renewed != planted
    attacker = await reload(engine, planted)
    assert "user_id" not in attacker
    assert attacker.is_new


@pytest.mark.parametrize(
    ("start", "write"),
    [
        ({"visits": 1}, lambda s: s.update(user_id="mallory")),
        ({"visits": 1}, lambda s: s.__ior__({"user_id": "mallory"})),
        ({"visits": 1}, lambda s: s.setdefault("user_id", "mallory")),
        ({"user_id": "alice"}, lambda s: s.pop("user_id")),
        ({"user_id": "alice"}, lambda s: s.__delitem__("user_id")),
    ],
    ids=["update", "ior", "setdefault", "pop", "del"],
)
async def test_any_change_of_the_user_key_gives_a_new_identity(
    clock: FrozenClock, start: dict[str, Any], write: Any
) -> None:
    engine = manager(clock)
    cookies = await committed(engine, {**start, "cart": [1]})
    session = await reload(engine, cookies)
    write(session)
    assert jar(await engine.commit(session)) != cookies
    assert (await reload(engine, cookies)).is_new  # the old identity is gone


async def test_writing_other_keys_keeps_the_identity(clock: FrozenClock) -> None:
    engine = manager(clock)
    cookies = await committed(engine, {"user_id": "alice"})
    session = await reload(engine, cookies)
    session["visits"] = 2
    headers = await engine.commit(session)
    assert headers == [] or jar(headers) == cookies
    assert (await reload(engine, cookies))["visits"] == 2


async def test_a_second_commit_after_login_keeps_the_new_identity(clock: FrozenClock) -> None:
    engine = manager(clock)
    session = await reload(engine, await committed(engine, {"visits": 1}))
    session.login("alice")
    await engine.commit(session)
    first = session.id
    session["visits"] = 2
    await engine.commit(session)
    assert session.id == first


@pytest.mark.parametrize("user_id", [4.2, True, ["alice"]])
async def test_a_user_id_written_directly_must_be_a_str_or_an_int(
    clock: FrozenClock, user_id: Any
) -> None:
    engine = manager(clock)
    session = await engine.load(None)
    session["user_id"] = user_id  # the index could not find it: revoke_user would miss it
    with pytest.raises(TypeError, match="a user id is a str or an int"):
        await engine.commit(session)
