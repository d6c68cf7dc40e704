"""SessionManager and Session: laziness, change detection, expiry, rotation, headers."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from support import COOKIE_BACKENDS, OTHER_SECRET, SECRET, FrozenClock, Jar, make_settings

from satchel import (
    Backend,
    JSONSerializer,
    SerializationError,
    Session,
    SessionManager,
    SessionTooLarge,
    SignedBackend,
)
from satchel.backends import CookieValue, Record

pytestmark = pytest.mark.anyio

Factory = Callable[..., SessionManager]


async def _issue(manager: SessionManager, **data: Any) -> Jar:
    session = await manager.load(None)
    session.update(data)
    return Jar().receive(await manager.commit(session))


class _Loose(BaseModel):
    """A model whose field keeps the session's own list (no copy on validation)."""

    cart: Any = None


class CountingBackend(SignedBackend):
    """The signed backend, counting how often it verifies or signs."""

    unsealed = 0
    sealed = 0

    def unseal(self, value: str, now: int) -> Record:
        CountingBackend.unsealed += 1
        return super().unseal(value, now)

    def seal(self, record: Record) -> str:
        CountingBackend.sealed += 1
        return super().seal(record)


@pytest.fixture
def counting(clock: FrozenClock) -> SessionManager:
    CountingBackend.unsealed = CountingBackend.sealed = 0
    settings = make_settings()
    return SessionManager(settings, backend=CountingBackend.from_settings(settings), clock=clock)


# -- laziness and write avoidance ------------------------------------------------------------


async def test_untouched_session_is_never_decoded_and_sends_nothing(
    counting: SessionManager,
) -> None:
    jar = await _issue(counting, a=1)
    session = await counting.load(jar.header)
    assert await counting.commit(session) == []
    assert await counting.commit_headers(session, [(b"x", b"y")]) == [(b"x", b"y")]
    assert CountingBackend.unsealed == 0
    assert session.accessed is False


async def test_read_only_request_sends_no_set_cookie(counting: SessionManager) -> None:
    jar = await _issue(counting, a=1, nested={"list": [1, 2]})
    session = await counting.load(jar.header)
    assert session["nested"]["list"] == [1, 2]
    assert dict(session) == {"a": 1, "nested": {"list": [1, 2]}}
    assert await counting.commit(session) == []
    assert CountingBackend.unsealed == 1
    assert CountingBackend.sealed == 1  # only the first issue


class CountingSerializer(JSONSerializer):
    """The JSON serializer, counting how often it serializes."""

    dumped = 0

    def dumps(self, data: Mapping[str, Any]) -> bytes:
        CountingSerializer.dumped += 1
        return super().dumps(data)


async def test_reading_only_immutable_values_skips_serialization(clock: FrozenClock) -> None:
    manager = SessionManager(make_settings(), serializer=CountingSerializer(), clock=clock)
    jar = await _issue(manager, user_id=7, name="al", cart=[1])
    CountingSerializer.dumped = 0
    session = await manager.load(jar.header)
    assert (session["user_id"], session.get("name"), "cart" in session, len(session)) == (
        7,
        "al",
        True,
        3,
    )
    assert await manager.commit(session) == []
    assert CountingSerializer.dumped == 0
    session = await manager.load(jar.header)
    assert session.get("cart") == [1]  # a list could have been changed in place
    assert await manager.commit(session) == []
    assert CountingSerializer.dumped == 1


async def test_a_copy_of_the_session_is_a_dict_and_changes_through_it_are_not_lost(
    manager_factory: Factory,
) -> None:
    manager = manager_factory()
    jar = await _issue(manager, cart=[1])
    session = await manager.load(jar.header)
    shallow: Any = copy.copy(session)  # typeshed says a Session; it is a dict
    assert type(shallow) is dict
    shallow["cart"].append(2)  # the same list as the session's
    deep: Any = copy.deepcopy(session)
    deep["cart"].append(3)  # a list of its own
    jar.receive(await manager.commit(session))
    assert (await manager.load(jar.header))["cart"] == [1, 2]


async def test_session_is_decoded_once_per_request(counting: SessionManager) -> None:
    jar = await _issue(counting, a=1)
    session = await counting.load(jar.header)
    for _ in range(5):
        assert session["a"] == 1
    assert "a" in session
    assert len(session) == 1
    assert CountingBackend.unsealed == 1


async def test_new_empty_session_writes_nothing(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    assert session.get("x") is None
    assert session.is_new
    assert await manager.commit(session) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.__setitem__("a", 2),
        lambda s: s.__setitem__("b", None),
        lambda s: s.update(c=3),
        lambda s: s.setdefault("d", 4),
        lambda s: s.pop("a"),
        lambda s: s.__delitem__("a"),
        lambda s: s["cart"].append(3),
        lambda s: s["cart"].clear(),
        lambda s: s["profile"].__setitem__("name", "bob"),
        lambda s: s.popitem(),
        lambda s: s.get("cart").append(3),
        lambda s: next(v for v in s.values() if isinstance(v, list)).append(3),
        lambda s: dict(s.items())["profile"].update(name="bob"),
        lambda s: s.as_model(_Loose).cart.append(3),
    ],
    ids=[
        "set",
        "set-none",
        "update",
        "setdefault",
        "pop",
        "del",
        "nested-append",
        "nested-clear",
        "nested-dict",
        "popitem",
        "nested-through-get",
        "nested-through-values",
        "nested-through-items",
        "nested-through-a-model",
    ],
)
async def test_every_kind_of_change_is_written(
    manager_factory: Factory, change: Callable[[Session], object]
) -> None:
    manager = manager_factory()
    jar = await _issue(manager, a=1, cart=[1, 2], profile={"name": "al"})
    session = await manager.load(jar.header)
    change(session)
    expected = dict(session)
    headers = await manager.commit(session)
    assert len(headers) == 1
    reloaded = await manager.load(jar.receive(headers).header)
    assert dict(reloaded) == expected


async def test_setting_a_key_to_its_current_value_is_not_a_change(
    manager_factory: Factory,
) -> None:
    manager = manager_factory()
    jar = await _issue(manager, a=1)
    session = await manager.load(jar.header)
    session["a"] = 1
    session["a"] = 1
    assert await manager.commit(session) == []


async def test_setting_a_key_twice_on_a_new_session_is_written(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session["a"] = 1
    session["a"] = 1
    assert len(await manager.commit(session)) == 1


async def test_pop_of_a_missing_key_after_clear_still_ends_the_session(
    manager_factory: Factory,
) -> None:
    manager = manager_factory()
    jar = await _issue(manager, user_id=1)
    session = await manager.load(jar.header)
    session.clear()
    session.pop("missing", None)
    [header] = await manager.commit(session)
    assert "Max-Age=0" in header
    assert not jar.receive([header]).cookies


async def test_unserializable_data_raises_at_commit_instead_of_being_lost(
    manager_factory: Factory,
) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session["when"] = object()
    with pytest.raises(SerializationError, match="not JSON-serializable"):
        await manager.commit(session)


async def test_commit_twice_sends_the_cookie_once(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session["a"] = 1
    assert len(await manager.commit(session)) == 1
    assert await manager.commit(session) == []
    session["a"] = 2
    assert len(await manager.commit(session)) == 1


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", COOKIE_BACKENDS)
@pytest.mark.parametrize(
    "cookie",
    [
        "session=garbage",
        "session=",
        'session=""',
        "session=\u00e9\u00e9\u00e9",
        "session=" + "A" * 20000,
    ],
)
async def test_bad_cookie_yields_a_fresh_session_never_an_exception(
    manager_factory: Factory, backend: str, cookie: str
) -> None:
    manager = manager_factory(backend=backend)
    session = await manager.load(cookie)
    assert dict(session) == {}
    assert session.is_new
    assert await manager.commit(session) == []


@pytest.mark.parametrize("backend", COOKIE_BACKENDS)
async def test_tampered_cookie_yields_fresh_session(manager_factory: Factory, backend: str) -> None:
    manager = manager_factory(backend=backend)
    jar = await _issue(manager, user_id=1)
    value = jar.cookies["session"]
    jar.cookies["session"] = value[:-6] + ("AAAAAA" if value[-6:] != "AAAAAA" else "BBBBBB")
    session = await manager.load(jar.header)
    assert dict(session) == {}


async def test_duplicated_session_cookie_yields_fresh_session(manager_factory: Factory) -> None:
    manager = manager_factory()
    jar = await _issue(manager, user_id=1)
    value = jar.cookies["session"]
    session = await manager.load(f"session={value}; session={value}")
    assert dict(session) == {}
    single = await manager.load(f"session={value}")
    assert dict(single) == {"user_id": 1}


async def test_a_mapping_of_cookies_also_works(manager_factory: Factory) -> None:
    manager = manager_factory()
    jar = await _issue(manager, user_id=1)
    session = await manager.load(dict(jar.cookies))
    assert session["user_id"] == 1


async def test_refusal_is_logged_at_debug_without_the_cookie_or_secret(
    manager_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    manager = manager_factory()
    jar = await _issue(manager, user_id=1)
    tampered = jar.cookies["session"][:-4] + "AAAA"
    with caplog.at_level(logging.DEBUG, logger="satchel"):
        session = await manager.load(f"session={tampered}")
        assert dict(session) == {}
    assert "bad signature" in caplog.text
    assert tampered not in caplog.text
    assert SECRET not in caplog.text


async def test_cookie_from_an_app_with_another_secret_is_foreign(manager_factory: Factory) -> None:
    other = manager_factory(secret_key=OTHER_SECRET)
    jar = await _issue(other, user_id=1)
    assert dict(await manager_factory().load(jar.header)) == {}


# -- expiry, rolling, idle -------------------------------------------------------------------


async def test_session_expires_at_max_age_on_the_server_clock(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=600)
    jar = await _issue(manager, user_id=1)
    clock.advance(599)
    assert (await manager.load(jar.header))["user_id"] == 1
    clock.advance(1)
    assert dict(await manager.load(jar.header)) == {}


async def test_max_age_counts_from_creation_even_when_data_changes(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=600)
    jar = await _issue(manager, n=0)
    for n in range(1, 6):
        clock.advance(100)
        session = await manager.load(jar.header)
        session["n"] = n
        headers = await manager.commit(session)
        assert f"Max-Age={600 - 100 * n};" in headers[0]
        jar.receive(headers)
    clock.advance(100)
    assert dict(await manager.load(jar.header)) == {}


async def test_rolling_session_refreshes_when_due_and_slides_max_age(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=600, rolling=True, refresh_interval=60)
    jar = await _issue(manager, user_id=1)
    clock.advance(30)
    session = await manager.load(jar.header)
    assert session["user_id"] == 1
    assert await manager.commit(session) == []  # not due yet
    for _ in range(20):  # 20 x 500 s, well past max_age, stays alive while active
        clock.advance(500)
        session = await manager.load(jar.header)
        assert session["user_id"] == 1
        headers = await manager.commit(session)
        assert len(headers) == 1
        assert "Max-Age=600;" in headers[0]
        jar.receive(headers)
    clock.advance(600)
    assert dict(await manager.load(jar.header)) == {}


async def test_idle_timeout_ends_an_inactive_session_and_reads_keep_it_alive(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=86400, idle_timeout=300, refresh_interval=60)
    jar = await _issue(manager, user_id=1)
    for _ in range(10):
        clock.advance(200)
        session = await manager.load(jar.header)
        assert session["user_id"] == 1
        jar.receive(await manager.commit(session))
    clock.advance(300)
    assert dict(await manager.load(jar.header)) == {}


async def test_idle_refresh_never_extends_the_absolute_lifetime(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=1000, idle_timeout=300, refresh_interval=60)
    jar = await _issue(manager, user_id=1)
    for _ in range(4):
        clock.advance(200)
        session = await manager.load(jar.header)
        assert session["user_id"] == 1
        jar.receive(await manager.commit(session))
    clock.advance(200)  # 1000 s after creation
    assert dict(await manager.load(jar.header)) == {}


async def test_browser_session_cookie_has_no_max_age_but_the_server_still_expires_it(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(persistent=False, max_age=600)
    session = await manager.load(None)
    session["a"] = 1
    [header] = await manager.commit(session)
    assert "Max-Age" not in header
    clock.advance(600)
    assert dict(await manager.load(Jar().receive([header]).header)) == {}


# -- identity ---------------------------------------------------------------------------------


async def test_clear_sends_an_expiring_cookie_for_every_chunk(manager_factory: Factory) -> None:
    manager = manager_factory(cookie_max_bytes=12288)  # chunks: past the default
    import secrets

    jar = await _issue(manager, blob=secrets.token_hex(4000))
    assert "session.2" in jar.cookies
    session = await manager.load(jar.header)
    session.clear()
    headers = await manager.commit(session)
    assert len(headers) == 3
    assert all("Max-Age=0" in h for h in headers)
    assert jar.receive(headers).cookies == {}


async def test_regenerate_issues_a_new_token_with_a_new_creation_time(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=1000)
    jar = await _issue(manager, cart=[1])
    before = jar.cookies["session"]
    clock.advance(900)
    session = await manager.load(jar.header)
    session.login("alice")
    [header] = await manager.commit(session)
    assert "Max-Age=1000;" in header
    jar.receive([header])
    assert jar.cookies["session"] != before
    clock.advance(900)
    reloaded = await manager.load(jar.header)
    assert dict(reloaded) == {"cart": [1], "user_id": "alice"}
    assert reloaded.user_id == "alice"


async def test_regenerate_without_changes_still_writes(manager_factory: Factory) -> None:
    manager = manager_factory()
    jar = await _issue(manager, a=1)
    session = await manager.load(jar.header)
    session.regenerate()
    assert len(await manager.commit(session)) == 1


async def test_logout_clears_everything(manager_factory: Factory) -> None:
    manager = manager_factory()
    jar = await _issue(manager, user_id=1, cart=[1])
    session = await manager.load(jar.header)
    session.logout()
    assert session.user_id is None
    [header] = await manager.commit(session)
    assert "Max-Age=0" in header


async def test_metadata_reports_creation_last_write_and_expiry(
    manager_factory: Factory, clock: FrozenClock
) -> None:
    manager = manager_factory(max_age=1000)
    fresh = await manager.load(None)
    assert fresh.metadata.created.timestamp() == clock.now
    jar = await _issue(manager, a=1)
    clock.advance(100)
    session = await manager.load(jar.header)
    session["a"] = 2
    jar.receive(await manager.commit(session))
    loaded = await manager.load(jar.header)
    meta = loaded.metadata
    assert meta.last_seen.timestamp() - meta.created.timestamp() == 100
    assert meta.expires.timestamp() == meta.created.timestamp() + 1000
    assert loaded.id is None  # cookie backends have no id


# -- key rotation ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["signed", "jwt", "fernet", "aesgcm"])
async def test_rotation_keeps_old_cookies_and_reissues_them_under_the_new_key(
    manager_factory: Factory, backend: str
) -> None:
    old = manager_factory(backend=backend, secret_key=OTHER_SECRET)
    jar = await _issue(old, user_id=1)
    rotated = manager_factory(
        backend=backend, secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET]
    )
    session = await rotated.load(jar.header)
    assert session["user_id"] == 1
    session["seen"] = True
    jar.receive(await rotated.commit(session))
    new_only = manager_factory(backend=backend, secret_key=SECRET)
    assert dict(await new_only.load(jar.header)) == {"user_id": 1, "seen": True}


# -- flashes and models ----------------------------------------------------------------------


async def test_flash_messages_are_shown_once(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session.flash("saved")
    session.flash("careful", category="warning")
    jar = Jar().receive(await manager.commit(session))
    session = await manager.load(jar.header)
    assert session.pop_flashes("warning") == [("warning", "careful")]
    assert [f.message for f in session.pop_flashes()] == ["saved"]
    assert session.pop_flashes() == []
    jar.receive(await manager.commit(session))
    assert (await manager.load(jar.header)).pop_flashes() == []


async def test_malformed_flash_entries_are_dropped(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session["_flashes"] = [["info", "ok"], "junk", [1, 2], ["a", "b", "c"]]
    assert session.pop_flashes() == [("info", "ok")]
    session["_flashes"] = "junk"
    assert session.pop_flashes() == []


class Cart(BaseModel):
    items: list[int] = []
    owner: str | None = None


async def test_as_model_validates_and_set_model_writes_back(manager_factory: Factory) -> None:
    manager = manager_factory()
    jar = await _issue(manager, items=[1, 2])
    session = await manager.load(jar.header)
    cart = session.as_model(Cart)
    assert cart.items == [1, 2]
    cart.items.append(3)
    session.set_model(cart)
    jar.receive(await manager.commit(session))
    assert (await manager.load(jar.header))["items"] == [1, 2, 3]


async def test_as_model_treats_invalid_data_as_a_fresh_session(manager_factory: Factory) -> None:
    manager = manager_factory()
    jar = await _issue(manager, items="not a list")
    session = await manager.load(jar.header)
    assert session.as_model(Cart) == Cart()
    [header] = await manager.commit(session)
    assert "Max-Age=0" in header


class Strict(BaseModel):
    user_id: int


async def test_data_model_refuses_invalid_stored_data_as_fresh(manager_factory: Factory) -> None:
    plain = manager_factory()
    jar = await _issue(plain, user_id="not-an-int")
    typed = manager_factory(data_model=Strict)
    assert dict(await typed.load(jar.header)) == {}
    good = await _issue(plain, user_id=5)
    assert dict(await typed.load(good.header)) == {"user_id": 5}


async def test_data_model_refuses_an_invalid_change_at_commit(manager_factory: Factory) -> None:
    manager = manager_factory(data_model=Strict)
    session = await manager.load(None)
    session["user_id"] = "x"
    with pytest.raises(ValidationError):
        await manager.commit(session)


# -- response headers ------------------------------------------------------------------------


async def test_vary_and_cache_control_are_added_when_the_session_was_read(
    manager_factory: Factory,
) -> None:
    manager = manager_factory()
    jar = await _issue(manager, a=1)
    session = await manager.load(jar.header)
    assert session["a"] == 1
    original = [(b"content-type", b"text/html")]
    headers = await manager.commit_headers(session, original)
    assert headers == [
        (b"content-type", b"text/html"),
        (b"vary", b"Cookie"),
        (b"cache-control", b"private"),
    ]
    assert original == [(b"content-type", b"text/html")]


async def test_existing_vary_and_cache_control_are_respected(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session["a"] = 1
    app = [(b"Vary", b"Accept-Encoding, cookie"), (b"Cache-Control", b"no-store")]
    headers = await manager.commit_headers(session, tuple(app))
    assert headers[:2] == app
    assert [name for name, _ in headers[2:]] == [b"set-cookie"]


async def test_vary_is_added_when_the_app_varies_on_something_else(
    manager_factory: Factory,
) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    session["a"] = 1
    headers = await manager.commit_headers(session, [(b"vary", b"Accept")])
    assert (b"vary", b"Cookie") in headers


# -- custom pieces ---------------------------------------------------------------------------


class DictStoreBackend:
    """A custom store backend that satisfies the protocol structurally."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.deleted: list[str] = []

    async def read(self, value: str, now: int) -> Record:
        from satchel import BadCookie

        try:
            return self.records[value]
        except KeyError:
            raise BadCookie("unknown id") from None

    async def write(self, record: Record, previous: Record | None) -> str:
        key = record.id or f"id{len(self.records) + len(self.deleted)}"
        if previous is not None and previous.id is not None and previous.id != key:
            self.deleted.append(previous.id)
            self.records.pop(previous.id, None)
        self.records[key] = Record(record.payload, record.created, record.issued, key)
        return key

    async def delete(self, record: Record) -> None:
        assert record.id is not None
        self.deleted.append(record.id)
        self.records.pop(record.id, None)


async def test_a_custom_store_backend_gets_ids_regeneration_and_deletion(
    clock: FrozenClock,
) -> None:
    store = DictStoreBackend()
    assert isinstance(store, Backend)
    manager = SessionManager(make_settings(), backend=store, clock=clock)
    jar = await _issue(manager, a=1)
    first = jar.cookies["session"]
    session = await manager.load(jar.header)
    assert session.id == first
    session.regenerate()
    jar.receive(await manager.commit(session))
    assert jar.cookies["session"] != first
    assert store.deleted == [first]
    session = await manager.load(jar.header)
    session.clear()
    jar.receive(await manager.commit(session))
    assert store.records == {}
    unknown = await manager.load("session=forged")
    assert dict(unknown) == {}


async def test_unexpected_backend_errors_become_a_fresh_session_and_a_warning(
    clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(SignedBackend):
        def unseal(self, value: str, now: int) -> Record:
            raise RuntimeError("bug")

    settings = make_settings()
    manager = SessionManager(settings, backend=Broken.from_settings(settings), clock=clock)
    with caplog.at_level(logging.WARNING, logger="satchel"):
        session = await manager.load("session=x")
        assert dict(session) == {}
    assert "unexpected RuntimeError" in caplog.text


async def test_session_too_large_is_raised_when_chunks_run_out(manager_factory: Factory) -> None:
    import secrets

    manager = manager_factory(cookie_max_chunks=2)
    session = await manager.load(None)
    session["blob"] = secrets.token_hex(6000)
    with pytest.raises(SessionTooLarge):
        await manager.commit(session)


async def test_repr_shows_keys_but_no_values_or_ids(manager_factory: Factory) -> None:
    manager = manager_factory()
    session = await manager.load(None)
    assert repr(session) == "<Session not loaded>"
    session["token"] = "s3cr3t"
    assert "s3cr3t" not in repr(session)
    assert "token" in repr(session)
    assert SECRET not in repr(manager)


def test_cookie_value_repr_hides_the_value() -> None:
    assert "abc" not in repr(CookieValue("abc"))


# -- explicit loading ------------------------------------------------------------------------


@pytest.mark.parametrize("store", [False, True])
async def test_prepared_session_refuses_access_until_loaded(
    manager_factory: Factory, clock: FrozenClock, store: bool
) -> None:
    from satchel import SessionNotLoaded

    manager = (
        SessionManager(make_settings(), backend=DictStoreBackend(), clock=clock)
        if store
        else manager_factory()
    )
    jar = await _issue(manager, user_id=3)
    session = manager.prepare(jar.header)
    loaded_before = session.is_loaded
    assert loaded_before is False
    assert repr(session) == "<Session pending>"
    with pytest.raises(SessionNotLoaded):
        session.get("user_id")
    with pytest.raises(SessionNotLoaded):
        session["x"] = 1
    assert await manager.commit(session) == []
    await session.load()
    await session.load()
    assert session.is_loaded
    assert session["user_id"] == 3


async def test_aclose_closes_a_backend_that_has_connections(clock: FrozenClock) -> None:
    class Closable(DictStoreBackend):
        closed = 0

        async def aclose(self) -> None:
            Closable.closed += 1

    manager = SessionManager(make_settings(), backend=Closable(), clock=clock)
    await manager.aclose()
    assert Closable.closed == 1
    await SessionManager(make_settings()).aclose()  # cookie backends have nothing to close


async def test_a_backend_that_is_falsy_when_empty_is_still_the_one_used() -> None:
    from satchel import MemoryStore

    settings = make_settings(backend="memory")
    store = MemoryStore.from_settings(settings)
    assert len(store) == 0
    manager = SessionManager(settings, backend=store)
    assert manager.backend is store
    session = await manager.load(None)
    session["a"] = 1
    await manager.commit(session)
    assert len(store) == 1


async def test_a_write_after_logout_starts_a_new_session_under_a_new_identity(
    clock: FrozenClock,
) -> None:
    store = DictStoreBackend()
    manager = SessionManager(make_settings(), backend=store, clock=clock)
    jar = await _issue(manager, user_id=1)
    old = jar.cookies["session"]
    session = await manager.load(jar.header)
    session.logout()
    session.flash("You are logged out")
    jar.receive(await manager.commit(session))
    assert jar.cookies["session"] != old
    assert store.deleted == [old]
    assert dict(await manager.load(f"session={old}")) == {}
    assert (await manager.load(jar.header)).pop_flashes() == [("info", "You are logged out")]


async def test_can_revoke_says_whether_the_backend_keeps_a_user_index() -> None:
    assert not SessionManager(make_settings()).can_revoke
    assert SessionManager(make_settings(backend="memory")).can_revoke


# -- optional abilities: decided once, when the manager is built -----------------------------


async def test_revoke_user_on_a_cookie_backend_is_a_type_error_naming_it() -> None:
    manager = SessionManager(make_settings())
    message = "SignedBackend cannot revoke sessions: use the memory or redis backend"
    with pytest.raises(TypeError) as raised:
        await manager.revoke_user(1)
    assert str(raised.value) == message


class AbleStoreBackend(DictStoreBackend):
    """A custom store with every optional ability, by structure alone."""

    revoked: list[Any]

    async def revoke_user(self, user_id: Any) -> int:
        self.revoked = [user_id]
        return 2

    def session_id(self, value: str) -> str | None:
        return f"id of {value}"


async def test_a_custom_backend_gains_an_ability_by_having_its_method(clock: FrozenClock) -> None:
    from satchel import IdentifiesSessions, RevokesSessions

    store = AbleStoreBackend()
    revokes: RevokesSessions = store
    identifies: IdentifiesSessions = store
    assert isinstance(revokes, RevokesSessions)
    assert isinstance(identifies, IdentifiesSessions)
    manager = SessionManager(make_settings(), backend=store, clock=clock)
    assert manager.can_revoke
    assert await manager.revoke_user(9) == 2
    assert store.revoked == [9]
    session = await manager.load(None)
    session["a"] = 1
    await manager.commit(session)
    assert session.id == "id of id0"  # the id the backend says its cookie value carries


class PlainCookiePolicy:
    """The default policy without `max_value_size`: no `LimitsCookieSize`."""

    def __init__(self) -> None:
        from satchel import DefaultCookiePolicy

        policy = DefaultCookiePolicy("session")
        self.read = policy.read
        self.render = policy.render


@pytest.mark.parametrize("limited", [True, False])
async def test_a_cookie_longer_than_the_policy_sends_is_refused_before_decoding(
    counting: SessionManager, caplog: pytest.LogCaptureFixture, limited: bool
) -> None:
    from satchel import DefaultCookiePolicy, LimitsCookieSize

    default = counting.cookie
    assert isinstance(default, DefaultCookiePolicy)
    cookie = default if limited else PlainCookiePolicy()
    assert isinstance(cookie, LimitsCookieSize) == limited
    limit = default.max_value_size if limited else 4096 * 20
    manager = SessionManager(counting.settings, backend=counting.backend, cookie=cookie)
    with caplog.at_level(logging.DEBUG, logger="satchel"):
        assert dict(manager.load_nowait({"session": "x" * (limit + 1)}) or {}) == {}
        assert "longer than any this application sends" in caplog.text
        caplog.clear()
        assert dict(manager.load_nowait({"session": "x" * limit}) or {}) == {}
        assert "longer than" not in caplog.text
    assert CountingBackend.unsealed == 1  # only the value within the limit was decoded


async def test_commit_replaces_the_session_state_whole(clock: FrozenClock) -> None:
    manager = SessionManager(make_settings(), clock=clock)
    session = await manager.load(None)
    session.clear()
    session["a"] = 1
    loaded = session._state
    assert (loaded.cleared, loaded.regenerate, loaded.clean) == (True, True, False)
    await manager.commit(session)
    committed = session._state
    assert committed is not loaded
    assert committed.data is loaded.data is None  # the session itself holds the data
    assert dict(session) == {"a": 1}
    assert committed.record is not None
    assert committed.incoming is not None
    assert (committed.cleared, committed.regenerate, committed.clean) == (False, False, False)


@pytest.mark.anyio
async def test_logout_everywhere_ends_the_users_other_sessions_on_a_store() -> None:
    manager = SessionManager(make_settings(backend="memory"))
    jars = []
    for _ in range(2):  # the same user logged in from two browsers
        session = await manager.load(None)
        session.login("alice")
        jars.append(Jar().receive(await manager.commit(session)))
    here = await manager.load(jars[0].header)
    assert await manager.logout_everywhere(here) == 2  # this session and the other
    assert "Max-Age=0" in (await manager.commit(here))[0]
    elsewhere = await manager.load(jars[1].header)
    assert elsewhere.user_id is None
    assert elsewhere.is_new


@pytest.mark.anyio
async def test_logout_everywhere_on_a_cookie_backend_ends_this_session_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = SessionManager(make_settings())
    session = await manager.load(None)
    session.login("alice")
    session = await manager.load(Jar().receive(await manager.commit(session)).header)
    with caplog.at_level(logging.WARNING, logger="satchel"):
        assert await manager.logout_everywhere(session) == 0
    assert session.user_id is None
    assert [r.getMessage() for r in caplog.records] == [
        "logout everywhere: SignedBackend cannot end other sessions"
    ]


@pytest.mark.anyio
async def test_commit_pairs_adds_what_commit_headers_adds_as_text() -> None:
    manager = SessionManager(make_settings())
    session = await manager.load(None)
    session["a"] = 1
    added = await manager.commit_pairs(session)
    assert [name for name, _ in added] == ["set-cookie", "vary", "cache-control"]
    assert added[1:] == [("vary", "Cookie"), ("cache-control", "private")]
    session["a"] = 2
    kept = await manager.commit_pairs(session, ["Accept, cookie"], ["no-store"])
    assert [name for name, _ in kept] == ["set-cookie"]  # the app's Vary and Cache-Control stay
    untouched = manager.load_nowait(None)
    assert untouched is not None
    assert await manager.commit_pairs(untouched) == []  # untouched: nothing


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("public, max-age=3600", "private, max-age=3600"),
        ("s-maxage=60, max-age=0", "private, max-age=0"),
        ("PUBLIC", "private"),
        ("no-cache", "private, no-cache"),
    ],
)
async def test_a_response_carrying_a_session_cookie_is_never_stored_by_a_shared_cache(
    given: str, expected: str
) -> None:
    manager = SessionManager(make_settings())
    session = await manager.load(None)
    session["a"] = 1
    headers = await manager.commit_headers(session, [(b"cache-control", given.encode())])
    assert headers[0] == (b"cache-control", expected.encode())  # rewritten where it stood
    assert [n for n, _ in headers].count(b"cache-control") == 1
    session["a"] = 2
    pairs = await manager.commit_pairs(session, (), [given])
    assert ("cache-control", expected) in pairs  # to replace the response's own


@pytest.mark.anyio
@pytest.mark.parametrize("given", ["private, max-age=60", "no-store", 'private="set-cookie"'])
async def test_a_cache_control_that_keeps_shared_caches_out_is_left_alone(given: str) -> None:
    manager = SessionManager(make_settings())
    session = await manager.load(None)
    session["a"] = 1
    headers = await manager.commit_headers(session, [(b"cache-control", given.encode())])
    assert headers[0] == (b"cache-control", given.encode())
    session["a"] = 2
    assert all(
        name != "cache-control" for name, _ in await manager.commit_pairs(session, (), [given])
    )


@pytest.mark.anyio
async def test_a_public_response_that_only_read_the_session_keeps_its_cache_control() -> None:
    manager = SessionManager(make_settings())
    session = await manager.load(None)
    session["a"] = 1
    cookie = (await manager.commit(session))[0].split(";")[0]
    reader = manager.load_nowait(cookie)
    assert reader is not None
    assert reader["a"] == 1
    headers = await manager.commit_headers(reader, [(b"cache-control", b"public, max-age=60")])
    assert headers[0] == (b"cache-control", b"public, max-age=60")  # no cookie: the app decides
    assert (b"vary", b"Cookie") in headers
