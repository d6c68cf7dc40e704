"""Legacy formats: an incumbent's cookie (Robyn's built-in sessions) loads as a new session,
is re-issued in satchel's format, and hostile input of any shape is a fresh session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from support import (
    COOKIE_BACKENDS,
    OTHER_SECRET,
    SECRET,
    START,
    FrozenClock,
    cookie_pairs,
    make_settings,
)

from satchel import (
    ConfigurationError,
    LegacyFormat,
    LegacyStore,
    RobynFormat,
    SessionManager,
    SessionSettings,
)
from satchel.legacy import MAX_LEGACY_VALUE

pytestmark = pytest.mark.anyio

ROBYN_SECRET = "robyn-dev"  # Robyn takes any non-empty secret; satchel's own needs 32 bytes


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(body: str, secret: str = ROBYN_SECRET) -> str:
    key = hashlib.sha256(b"robyn.session" + secret.encode()).digest()
    return f"{body}.{_b64(hmac.digest(key, body.encode(), 'sha256'))}"


def robyn_cookie(envelope: Any, secret: str = ROBYN_SECRET, *, raw: bytes | None = None) -> str:
    """A cookie value as Robyn 0.88's ``SessionManager.dumps`` signs it."""
    return _signed(_b64(raw if raw is not None else json.dumps(envelope).encode()), secret)


def _manager(clock: FrozenClock, **options: Any) -> SessionManager:
    options.setdefault("legacy_formats", ["robyn"])
    options.setdefault("legacy_secret_keys", [ROBYN_SECRET])
    return SessionManager(make_settings(**options), clock=clock)


async def _data(manager: SessionManager, value: str) -> dict[str, Any]:
    session = await manager.load(f"session={value}")
    return dict(session)


@pytest.mark.parametrize("backend", [*COOKIE_BACKENDS, "memory"])
async def test_a_robyn_cookie_loads_and_its_next_commit_writes_satchels_cookie(
    clock: FrozenClock, backend: str
) -> None:
    manager = _manager(clock, backend=backend)
    value = robyn_cookie({"d": {"user": "bob", "cart": [1]}, "exp": START + 60})
    session = await manager.load(f"session={value}")
    assert dict(session) == {"user": "bob", "cart": [1]}
    assert session.is_new
    headers = await manager.commit(session)  # read only, yet re-issued in satchel's format
    assert len(headers) == 1
    reissued = headers[0].split(";")[0].partition("=")[2]
    assert reissued != value
    again = await manager.load(f"session={reissued}")
    assert dict(again) == {"user": "bob", "cart": [1]}
    assert not again.is_new


async def test_a_robyn_cookie_without_exp_is_read(clock: FrozenClock) -> None:
    assert await _data(_manager(clock), robyn_cookie({"d": {"a": 1}})) == {"a": 1}


async def test_without_a_legacy_secret_the_secret_key_and_its_fallbacks_are_tried(
    clock: FrozenClock,
) -> None:
    manager = _manager(
        clock, legacy_secret_keys=[], secret_key=SECRET, secret_key_fallbacks=[OTHER_SECRET]
    )
    assert await _data(manager, robyn_cookie({"d": {"a": 1}}, SECRET)) == {"a": 1}
    assert await _data(manager, robyn_cookie({"d": {"b": 2}}, OTHER_SECRET)) == {"b": 2}
    assert await _data(manager, robyn_cookie({"d": {"c": 3}})) == {}


def _tamper(value: str) -> str:
    body, _, signature = value.partition(".")
    return f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}"


HOSTILE: dict[str, Callable[[], str]] = {
    "tampered body": lambda: _tamper(robyn_cookie({"d": {"admin": True}})),
    "tampered signature": lambda: robyn_cookie({"d": {"a": 1}})[:-3] + "AAA",
    "another secret": lambda: robyn_cookie({"d": {"a": 1}}, "someone else's"),
    "expired": lambda: robyn_cookie({"d": {"a": 1}, "exp": START - 1}),
    "exp NaN": lambda: robyn_cookie(None, raw=b'{"d": {"a": 1}, "exp": NaN}'),
    "exp Infinity": lambda: robyn_cookie(None, raw=b'{"d": {"a": 1}, "exp": Infinity}'),
    "exp true": lambda: robyn_cookie({"d": {"a": 1}, "exp": True}),
    "exp string": lambda: robyn_cookie({"d": {"a": 1}, "exp": "9999999999"}),
    "d a list": lambda: robyn_cookie({"d": [1, 2], "exp": START + 60}),
    "d missing": lambda: robyn_cookie({"data": {"a": 1}}),
    "envelope a list": lambda: robyn_cookie([{"d": {"a": 1}}]),
    "not JSON": lambda: robyn_cookie(None, raw=b"\x80\x81 not json"),
    "not base64": lambda: _signed("a!!"),
    "oversize": lambda: robyn_cookie({"d": {"a": "x" * MAX_LEGACY_VALUE}}),
    "not ascii": lambda: robyn_cookie({"d": {"a": 1}}) + "é",
    "two dots": lambda: robyn_cookie({"d": {"a": 1}}) + ".x",
    "no dot": lambda: _b64(b'{"d": {"a": 1}}'),
    "empty": lambda: "",
}


@pytest.mark.parametrize("backend", ["signed", "memory"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_a_hostile_robyn_cookie_yields_a_fresh_session(
    clock: FrozenClock, backend: str, case: str
) -> None:
    manager = _manager(clock, backend=backend)
    session = await manager.load(f"session={HOSTILE[case]()}")
    assert dict(session) == {}
    assert session.is_new
    assert await manager.commit(session) == []


async def test_without_legacy_formats_a_robyn_cookie_is_a_fresh_session(
    clock: FrozenClock,
) -> None:
    manager = SessionManager(make_settings(), clock=clock)
    assert manager._legacy == ()  # decided once: the hot path never looks
    assert await _data(manager, robyn_cookie({"d": {"a": 1}}, SECRET)) == {}


class _Cart(BaseModel):
    items: list[int]


async def test_robyn_data_that_fails_the_data_model_is_a_fresh_session(
    clock: FrozenClock,
) -> None:
    manager = _manager(clock, data_model=_Cart)
    assert await _data(manager, robyn_cookie({"d": {"items": [1]}})) == {"items": [1]}
    assert await _data(manager, robyn_cookie({"d": {"items": "no"}})) == {}


class _Prefixed:
    """Another incumbent's format: ``legacy:`` then JSON (no security: a test double)."""

    def read(self, value: str, now: int) -> dict[str, Any] | None:
        if not value.startswith("legacy:"):
            raise ValueError("not this format")
        data: dict[str, Any] = json.loads(value[7:])
        return data


async def test_another_format_joins_as_a_legacy_format_and_a_raising_reader_is_skipped(
    clock: FrozenClock,
) -> None:
    other: LegacyFormat = _Prefixed()
    assert isinstance(other, LegacyFormat)
    manager = SessionManager(
        make_settings(), clock=clock, legacy=[other, RobynFormat([ROBYN_SECRET])]
    )
    assert await _data(manager, 'legacy:{"x":1}') == {"x": 1}
    assert await _data(manager, robyn_cookie({"d": {"y": 2}})) == {"y": 2}


def test_legacy_settings_come_from_session_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_LEGACY_FORMATS", "robyn")
    monkeypatch.setenv("SESSION_LEGACY_SECRET_KEYS", "old-one, old-two")
    settings = SessionSettings()
    assert settings.legacy_formats == ["robyn"]
    assert [s.get_secret_value() for s in settings.legacy_secret_keys] == ["old-one", "old-two"]
    assert "old-one" not in repr(settings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"legacy_formats": ["django"]}, "legacy_formats"),
        ({"legacy_secret_keys": ["old"]}, "given without"),
        ({"legacy_formats": ["robyn"], "legacy_secret_keys": [""]}, "empty secret"),
        ({"legacy_formats": ["robyn"], "backend": "base64", "secret_key": None}, "needs"),
    ],
)
def test_legacy_settings_that_cannot_work_are_refused(
    options: dict[str, Any], message: str
) -> None:
    options.setdefault("secret_key", SECRET)
    if options["secret_key"] is None:
        del options["secret_key"]
        options["allow_unsigned"] = True
    with pytest.raises(ConfigurationError, match=message):
        SessionSettings(**options)


# -- the seam: legacy stores (I/O, so fetched in `load`) and legacy cookie names ---------


class _Store:
    """A `LegacyStore` double: ids ``old-<n>`` hold ``{"n": n}``; it counts its calls."""

    def __init__(self) -> None:
        self.fetched: list[str] = []
        self.discarded: list[str] = []

    async def fetch(self, value: str, now: int) -> dict[str, Any] | None:
        self.fetched.append(value)
        return {"n": int(value[4:])} if value.startswith("old-") else None

    async def discard(self, value: str) -> None:
        self.discarded.append(value)


@pytest.mark.parametrize("backend", ["signed", "memory"])
async def test_a_legacy_store_is_fetched_in_load_and_its_record_discarded_by_the_first_write(
    clock: FrozenClock, backend: str
) -> None:
    store = _Store()
    assert isinstance(store, LegacyStore)
    manager = SessionManager(make_settings(backend=backend), clock=clock, legacy=[store])
    assert manager.load_nowait("session=old-1") is None  # I/O: the adapter awaits load
    session = await manager.load("session=old-1")
    assert store.fetched == ["old-1"]  # before the handler touched anything
    assert dict(session) == {"n": 1}
    assert session.is_new
    [header] = await manager.commit(session)
    assert store.discarded == ["old-1"]
    session["m"] = 2
    assert len(await manager.commit(session)) == 1
    assert store.discarded == ["old-1"]  # retired once
    again = await manager.load(cookie_pairs([header]))
    assert again["n"] == 1
    assert store.fetched == ["old-1"]


async def test_a_legacy_format_that_vouches_spares_the_legacy_stores_io(clock: FrozenClock) -> None:
    store = _Store()
    manager = SessionManager(
        make_settings(), clock=clock, legacy=[store, RobynFormat([ROBYN_SECRET])]
    )
    session = await manager.load(f"session={robyn_cookie({'d': {'a': 1}})}")
    assert dict(session) == {"a": 1}
    assert store.fetched == []


async def test_a_legacy_reader_that_is_neither_kind_is_refused() -> None:
    with pytest.raises(TypeError, match="neither a LegacyFormat nor a LegacyStore"):
        SessionManager(make_settings(), legacy=[object()])  # type: ignore[list-item]


@pytest.mark.parametrize("shape", ["header", "asgi", "mapping"])
async def test_the_incumbents_cookie_is_read_under_its_own_name_and_expired_once(
    clock: FrozenClock, shape: str
) -> None:
    manager = _manager(clock, cookie_name="sid", legacy_cookie_name="session")
    value = robyn_cookie({"d": {"a": 1}})
    cookies: Any = {
        "header": f"other=1; session={value}",
        "asgi": [
            (b"host", b"x"),
            (b"cookie", b"other=1"),
            (b"cookie", f"session={value}".encode()),
        ],
        "mapping": {"other": "1", "session": value},
    }[shape]
    session = await manager.load(cookies)
    assert dict(session) == {"a": 1}
    headers = await manager.commit(session)
    assert [h.split("=")[0] for h in headers] == ["sid", "session"]
    assert headers[1].startswith("session=; Max-Age=0;")
    session["b"] = 2
    assert [h.split("=")[0] for h in await manager.commit(session)] == ["sid"]


async def test_an_incumbents_cookie_sent_twice_is_not_read(clock: FrozenClock) -> None:
    manager = _manager(clock, cookie_name="sid", legacy_cookie_name="session")
    value = robyn_cookie({"d": {"a": 1}})
    session = await manager.load(f"session={value}; session={value}")
    assert dict(session) == {}


async def test_without_legacy_readers_the_legacy_cookie_name_is_ignored(clock: FrozenClock) -> None:
    manager = SessionManager(make_settings(cookie_name="sid", legacy_cookie_name="session"))
    assert manager.load_nowait(None) is not None
    session = await manager.load(f"session={robyn_cookie({'d': {'a': 1}})}")
    assert dict(session) == {}
    session["x"] = 1
    assert [h.split("=")[0] for h in await manager.commit(session)] == ["sid"]


async def test_closing_the_manager_closes_the_legacy_stores(clock: FrozenClock) -> None:
    class Closing(_Store):
        closed = False

        async def aclose(self) -> None:
            self.closed = True

    store = Closing()
    await SessionManager(make_settings(), legacy=[store]).aclose()
    assert store.closed


@pytest.mark.parametrize(("depth", "loads"), [(31, True), (32, False), (200, False)])
async def test_a_legacy_session_nested_deeper_than_any_incumbent_writes_is_fresh(
    clock: FrozenClock, depth: int, loads: bool
) -> None:
    """The same answer on every Python: how deep JSON parses depends on the version."""
    nested: Any = 1
    for _ in range(depth):
        nested = [nested]
    data = await _data(_manager(clock), robyn_cookie({"d": {"a": nested}}))
    assert data == ({"a": nested} if loads else {})
