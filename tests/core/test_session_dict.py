"""A session is a dict wherever a dict is expected: every method and operator, JSON, copies
and comparisons, while a request that never touches its session still decodes nothing."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from pydantic import BaseModel
from support import SECRET, FrozenClock

from satchel import Session, SessionManager, SessionNotLoaded, SessionSettings

pytestmark = pytest.mark.anyio

DATA = {"user": "alice", "count": 1, "cart": [1, 2]}


@pytest.fixture
def manager(clock: FrozenClock) -> SessionManager:
    return SessionManager(SessionSettings(secret_key=SECRET), clock=clock)


@pytest.fixture
async def jar(manager: SessionManager) -> dict[str, str]:
    session = await manager.load(None)
    session.update(DATA)
    cookie = (await manager.commit(session))[0].split(";")[0]
    name, _, value = cookie.partition("=")
    return {name: value}


@pytest.fixture
def session(manager: SessionManager, jar: dict[str, str]) -> Session:
    loaded = manager.load_nowait(jar)
    assert loaded is not None
    return loaded


async def written(manager: SessionManager, session: Session) -> bool:
    return bool(await manager.commit(session))


async def test_a_session_is_a_dict(session: Session) -> None:
    assert isinstance(session, dict)
    assert not session.accessed  # an isinstance check decodes nothing


async def test_json_dumps_of_an_untouched_session_gives_its_data(session: Session) -> None:
    assert json.loads(json.dumps(session)) == DATA
    assert session.accessed  # and the response is marked as depending on the cookie


async def test_json_dumps_of_a_session_nested_in_a_response_body(session: Session) -> None:
    assert json.loads(json.dumps({"session": session})) == {"session": DATA}


@pytest.mark.parametrize(
    "options", [{}, {"sort_keys": True}, {"indent": 2}, {"separators": (",", ":")}]
)
async def test_json_dumps_with_any_encoder_options_gives_the_data(
    session: Session, options: dict[str, Any]
) -> None:
    assert json.loads(json.dumps(session, **options)) == DATA


async def test_json_dumps_of_an_empty_untouched_session_marks_it_accessed(
    manager: SessionManager,
) -> None:
    session = manager.load_nowait(None)
    assert session is not None
    assert json.dumps(session) == "{}"
    assert session.accessed  # so Vary: Cookie is sent with what it showed


async def test_json_dumps_of_a_prepared_session_before_load_raises(
    manager: SessionManager, jar: dict[str, str]
) -> None:
    session = manager.prepare(jar)
    with pytest.raises(SessionNotLoaded):
        json.dumps(session)
    await session.load()
    assert json.loads(json.dumps(session)) == DATA


async def test_unpacking_and_dict_construction_give_the_data(session: Session) -> None:
    def keywords(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    assert dict(session) == DATA
    assert {**session} == DATA
    assert keywords(**session) == DATA
    assert "{user} has {count}".format_map(session) == "alice has 1"


@pytest.mark.parametrize("other", [DATA, dict(reversed(DATA.items()))])
async def test_a_session_equals_a_dict_with_the_same_items_both_ways(
    session: Session, other: dict[str, Any]
) -> None:
    assert session == other
    assert other == session
    assert not session != other  # noqa: SIM202  # __ne__ itself is what is tested
    assert session != {**DATA, "count": 2}
    assert {} != session  # noqa: SIM300  # the reflected comparison is what is tested


async def test_two_untouched_sessions_with_the_same_cookie_are_equal(
    manager: SessionManager, jar: dict[str, str]
) -> None:
    assert manager.load_nowait(jar) == manager.load_nowait(jar)


async def test_union_gives_a_plain_dict_and_leaves_the_session_alone(session: Session) -> None:
    merged = session | {"count": 2, "new": True}
    assert type(merged) is dict
    assert merged == {**DATA, "count": 2, "new": True}
    assert session == DATA
    left = {"count": 5, "other": 0} | session
    assert type(left) is dict
    assert left == {"count": 1, "other": 0, "user": "alice", "cart": [1, 2]}


async def test_in_place_union_changes_the_session_and_is_written(
    manager: SessionManager, session: Session
) -> None:
    session |= {"count": 2}
    assert session["count"] == 2
    assert await written(manager, session)


async def test_union_with_something_not_a_mapping_is_a_type_error(session: Session) -> None:
    with pytest.raises(TypeError):
        session | [("a", 1)]


async def test_popitem_removes_the_newest_key_like_a_dict(
    manager: SessionManager, session: Session
) -> None:
    session["last"] = "x"
    assert session.popitem() == ("last", "x")
    assert session.popitem() == ("cart", [1, 2])
    assert list(session) == ["user", "count"]
    assert await written(manager, session)


async def test_popitem_of_an_empty_session_raises_key_error(manager: SessionManager) -> None:
    session = manager.load_nowait(None)
    assert session is not None
    with pytest.raises(KeyError):
        session.popitem()


async def test_reversed_iterates_newest_first(session: Session) -> None:
    assert list(reversed(session)) == ["cart", "count", "user"]


async def test_copy_is_a_plain_shallow_dict(session: Session) -> None:
    for duplicate in (session.copy(), copy.copy(session)):
        assert type(duplicate) is dict
        assert duplicate == DATA
    deep = copy.deepcopy(session)
    assert type(deep) is dict
    assert deep == DATA
    assert deep["cart"] is not session["cart"]


async def test_changing_a_list_reached_through_a_copy_is_written(
    manager: SessionManager, session: Session
) -> None:
    session.copy()["cart"].append(3)
    assert await written(manager, session)


async def test_changing_a_value_reached_through_items_is_written(
    manager: SessionManager, session: Session
) -> None:
    for key, value in session.items():
        if key == "cart":
            value.append(3)
    assert await written(manager, session)


async def test_reading_only_plain_values_through_views_writes_nothing(
    manager: SessionManager,
) -> None:
    session = await manager.load(None)
    session.update(user="alice", count=1)
    await manager.commit(session)
    assert sorted(session.values(), key=str) == [1, "alice"]
    assert dict(session.items()) == {"user": "alice", "count": 1}
    assert not await written(manager, session)


async def test_setdefault_inserts_once_and_is_written(
    manager: SessionManager, session: Session
) -> None:
    assert session.setdefault("count", 99) == 1
    assert not await written(manager, session)
    assert session.setdefault("theme", "dark") == "dark"
    assert session["theme"] == "dark"
    assert await written(manager, session)


async def test_setdefault_handing_out_a_list_lets_its_change_be_written(
    manager: SessionManager, session: Session
) -> None:
    session.setdefault("cart", []).append(3)
    assert await written(manager, session)


async def test_pop_of_a_missing_key_with_a_default_writes_nothing(
    manager: SessionManager, session: Session
) -> None:
    assert session.pop("missing", None) is None
    with pytest.raises(KeyError):
        session.pop("missing")
    assert not await written(manager, session)
    assert session.pop("count") == 1
    assert await written(manager, session)


async def test_an_empty_update_leaves_an_untouched_session_untouched(session: Session) -> None:
    session.update()
    session.update({})
    assert not session.accessed


async def test_pickling_keeps_the_data_as_a_plain_dict(session: Session) -> None:
    restored = pickle.loads(pickle.dumps(session))  # noqa: S301  # our own bytes
    assert type(restored) is dict
    assert restored == DATA


async def test_repr_shows_keys_never_values(session: Session) -> None:
    assert repr(session) == "<Session not loaded>"
    session["secret"] = "hunter2"
    assert "hunter2" not in repr(session)
    assert "hunter2" not in str(session)
    assert repr(session) == "<Session loaded keys=['cart', 'count', 'secret', 'user']>"


async def test_pydantic_validates_an_untouched_session_as_its_data(session: Session) -> None:
    class Visitor(BaseModel):
        user: str = ""
        count: int = 0

    assert Visitor.model_validate(session) == Visitor(user="alice", count=1)


async def test_the_placeholder_of_an_untouched_session_is_never_seen_through_methods(
    session: Session,
) -> None:
    assert len(session) == 3
    assert all(isinstance(key, str) for key in session.keys())  # noqa: SIM118
    assert object() not in session
