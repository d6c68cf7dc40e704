"""Property tests: arbitrary bytes and mutated tokens never escape as exceptions."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import COOKIE_BACKENDS, START, FrozenClock, make_settings

from satchel import CookieBackend, SessionManager
from satchel.backends import Record, build_backend

MANAGERS = {
    name: SessionManager(make_settings(backend=name), clock=FrozenClock())
    for name in COOKIE_BACKENDS
}
BACKENDS = {name: build_backend(make_settings(backend=name)) for name in COOKIE_BACKENDS}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
session_data = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def _load(name: str, cookie: str) -> dict[str, object]:
    async def run() -> dict[str, object]:
        manager = MANAGERS[name]
        session = await manager.load(cookie)
        data = dict(session)
        await manager.commit(session)
        return data

    return asyncio.run(run())


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_as_a_cookie_give_a_fresh_session(name: str, raw: bytes) -> None:
    text = raw.decode("latin-1").replace(";", "")
    assert _load(name, f"session={text}") == {}


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
@settings(max_examples=150, deadline=None)
@given(header=st.text(max_size=200))
def test_arbitrary_cookie_headers_never_raise(name: str, header: str) -> None:
    assert isinstance(_load(name, header), dict)


@pytest.mark.parametrize("name", COOKIE_BACKENDS)
@settings(max_examples=100, deadline=None)
@given(data=session_data)
def test_any_json_session_round_trips(name: str, data: dict[str, object]) -> None:
    backend = BACKENDS[name]
    assert isinstance(backend, CookieBackend)
    manager = MANAGERS[name]
    payload = manager.serializer.dumps(data)
    value = backend.seal(Record(payload, START, START))
    assert manager.serializer.loads(backend.unseal(value, START).payload) == data


@pytest.mark.parametrize("name", [n for n in COOKIE_BACKENDS if n != "base64"])
@settings(max_examples=200, deadline=None)
@given(data=session_data, position=st.integers(min_value=0), flip=st.integers(1, 63))
def test_mutated_tokens_are_refused_or_decode_to_the_original(
    name: str, data: dict[str, object], position: int, flip: int
) -> None:
    backend = BACKENDS[name]
    assert isinstance(backend, CookieBackend)
    payload = MANAGERS[name].serializer.dumps(data)
    value = backend.seal(Record(payload, START, START))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = position % len(value)
    current = alphabet.find(value[index])
    replacement = alphabet[(max(current, 0) + flip) % 64]
    mutated = value[:index] + replacement + value[index + 1 :]
    loaded = _load(name, f"session={mutated}")
    assert loaded in ({}, data)
