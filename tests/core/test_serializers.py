"""The serializers: exact JSON round trips, equal bytes for equal data, nothing silently
lost, and cookies and records that every serializer reads whichever one wrote them."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import decimal
import enum
import itertools
import subprocess
import sys
import uuid
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import COOKIE_BACKENDS, SECRET, FrozenClock, Jar, make_settings

from satchel import (
    ConfigurationError,
    JSONSerializer,
    MemoryStore,
    OrjsonSerializer,
    SerializationError,
    Serializer,
    SessionManager,
    SessionSettings,
    build_serializer,
)

LIBRARIES = ("json", "orjson")
PAIRS = list(itertools.product(LIBRARIES, repeat=2))

PORTABLE: dict[str, Any] = {
    "user_id": 12345,
    "cart": [1, 2, 3],
    "theme": "dark",
    "name": "Zoë Ångström, 東京 🎉",
    "floats": [1e16, 0.1, -0.0, 1.5e-7, 5e-324, 1.7976931348623157e308],
    "nested": {"a": [[1, None], {"b": False, "c": "null"}]},
}
"""Data both libraries write natively."""

BEYOND_ORJSON: dict[str, Any] = {
    "user_id": 7,
    "big": [2**64, 10**30, -(2**63) - 1],
    "text": "lone \ud800 surrogate",
}
"""Data orjson cannot write or read by itself: integers beyond 64 bits (which it reads
as floats) and an unpaired surrogate."""


class Text(str):
    """A str subclass."""


class Number(int):
    """An int subclass."""


class Ratio(float):
    """A float subclass."""


class Table(dict[str, Any]):
    """A dict subclass."""


class Items(list[Any]):
    """A list subclass."""


class Colour(str, enum.Enum):
    """A str enum."""

    RED = "red"


class Level(enum.IntEnum):
    """An int enum."""

    HIGH = 3


class Plain(enum.Enum):
    """An enum of no JSON type."""

    A = "a"
    NAN = float("nan")


@dataclasses.dataclass
class Point:
    """A dataclass, which orjson alone would write as an object."""

    x: int = 1


def _serializer(library: str) -> Serializer:
    if library == "orjson":
        pytest.importorskip("orjson")
    return build_serializer(library)  # type: ignore[arg-type]


@pytest.fixture(params=LIBRARIES)
def serializer(request: pytest.FixtureRequest) -> Serializer:
    """Each built-in serializer."""
    return _serializer(request.param)


@pytest.fixture
def fast() -> Serializer:
    """The orjson serializer."""
    return _serializer("orjson")


def _exact(value: Any) -> str:
    """A form of *value* that tells -0.0 from 0.0, 1 from 1.0 and True from 1, and not
    one order of a dict's keys from another (a store may hand them back in its own)."""

    def keys_sorted(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: keys_sorted(v[k]) for k in sorted(v)}
        if isinstance(v, list):
            return [keys_sorted(item) for item in v]
        return v

    return repr(keys_sorted(value))


# -- the contract, for every serializer ------------------------------------------------------


def test_each_serializer_writes_compact_json_in_insertion_order(serializer: Serializer) -> None:
    data = {"user_id": 12345, "cart": [1, 2, 3], "theme": "dark"}
    assert serializer.dumps(data) == b'{"user_id":12345,"cart":[1,2,3],"theme":"dark"}'
    assert serializer.dumps({"b": 1, "a": 2}) == b'{"b":1,"a":2}'


@pytest.mark.parametrize("data", [PORTABLE, BEYOND_ORJSON], ids=["portable", "beyond-orjson"])
def test_each_serializer_round_trips_exactly_and_gives_equal_bytes_for_equal_data(
    serializer: Serializer, data: dict[str, Any]
) -> None:
    raw = serializer.dumps(data)
    loaded = serializer.loads(raw)
    assert _exact(loaded) == _exact(data)
    assert type(loaded) is dict
    assert serializer.dumps(loaded) == raw
    assert serializer.dumps(copy.deepcopy(data)) == raw


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[1]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b"", "Expecting value"),
        (b"{", "Expecting property name"),
        (b'{"a":1}x', "Extra data"),
        (b'{"a":1}{"b":2}', "[Ee]xtra data"),  # two objects, as if one
        (b'{"x":NaN}', "NaN is not JSON"),
        (b'{"x":-Infinity}', "-Infinity is not JSON"),
        (b'{"x":"\xff"}', "can't decode"),
        (b'{"x":"\xed\xa0\x80"}', "can't decode"),  # a surrogate encoded as UTF-8
        (b'{"x":"\x01"}', "Invalid control character"),
        (b"\xef\xbb\xbf{}", "Expecting value"),  # a byte order mark
        (b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ],
    ids=lambda v: repr(v[:20]) if isinstance(v, bytes) else v,
)
def test_loads_raises_value_error_for_anything_but_a_json_object(
    serializer: Serializer, raw: bytes, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        serializer.loads(raw)


def test_json_with_whitespace_around_the_object_still_reads(serializer: Serializer) -> None:
    assert serializer.loads(b' \n{"a":1} ') == {"a": 1}


def test_dumps_refuses_nesting_too_deep_with_serialization_error(serializer: Serializer) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(SerializationError):
        serializer.dumps({"a": deep})


def test_circular_data_is_refused_by_every_serializer(serializer: Serializer) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="Circular reference"):
        serializer.dumps({"loop": loop})


def test_a_duplicated_key_reads_as_its_last_value(serializer: Serializer) -> None:
    assert serializer.loads(b'{"a":1,"a":2}') == {"a": 2}


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        [1, [2, float("nan")]],
        (0.5, float("inf")),
        {"deep": {"er": [None, float("-inf")]}},
        Ratio("nan"),
        Items([float("nan")]),
        Table(x=float("inf")),
        Plain.NAN,
    ],
    ids=repr,
)
def test_nan_and_infinities_are_refused_by_every_serializer(
    serializer: Serializer, value: Any
) -> None:
    with pytest.raises(SerializationError, match="JSON"):
        serializer.dumps({"x": value, "y": None})


def test_orjson_refuses_nan_like_the_stdlib_serializer(fast: Serializer) -> None:
    with pytest.raises(SerializationError, match="NaN"):
        fast.dumps({"x": float("nan")})
    with pytest.raises(SerializationError):
        JSONSerializer().dumps({"x": float("nan")})


def test_none_and_the_text_null_are_written_as_they_are(serializer: Serializer) -> None:
    data = {"a": None, "b": "null", "null": [None], "c": 0.5}
    assert serializer.loads(serializer.dumps(data)) == data


@pytest.mark.parametrize(
    "value",
    [
        b"bytes",
        bytearray(b"x"),
        {1, 2},
        frozenset({1}),
        decimal.Decimal("1.5"),
        datetime.datetime(2024, 1, 1),
        datetime.date(2024, 1, 1),
        Point(),
        object(),
    ],
    ids=lambda v: type(v).__name__,
)
def test_values_json_cannot_hold_are_refused_by_every_serializer(
    serializer: Serializer, value: Any
) -> None:
    with pytest.raises(SerializationError, match="not JSON-serializable"):
        serializer.dumps({"x": value})


def test_subclasses_tuples_and_enums_are_written_as_the_stdlib_writes_them(
    serializer: Serializer,
) -> None:
    stdlib = JSONSerializer()
    data = {
        "text": Text("t"),
        "number": Number(5),
        "table": Table(a=1),
        "items": Items([1]),
        "tuple": (1, 2),
        "colour": Colour.RED,
        "level": Level.HIGH,
        "ordered": OrderedDict(b=1, a=2),
    }
    assert (
        serializer.dumps(data)
        == stdlib.dumps(data)
        == (
            b'{"text":"t","number":5,"table":{"a":1},"items":[1],"tuple":[1,2],'
            b'"colour":"red","level":3,"ordered":{"b":1,"a":2}}'
        )
    )
    orjson_refuses = {Colour.RED: 1, Text("key"): 2, "ratio": Ratio(1.5)}
    assert serializer.dumps(orjson_refuses) == b'{"red":1,"key":2,"ratio":1.5}'


# -- what orjson needs help with ---------------------------------------------------------------


@pytest.mark.parametrize("key", [1, 1.5, None, True, Level.HIGH], ids=repr)
def test_orjson_refuses_keys_that_are_not_strings(fast: Serializer, key: Any) -> None:
    with pytest.raises(SerializationError, match="keys must be str"):
        fast.dumps({"outer": [{key: 1}]})


def test_the_stdlib_serializer_writes_int_keys_as_text() -> None:
    assert JSONSerializer().dumps({1: "a"}) == b'{"1":"a"}'  # type: ignore[dict-item]


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**30, -(10**30)])
def test_orjson_writes_and_reads_integers_beyond_64_bits_exactly(
    fast: Serializer, value: int
) -> None:
    stdlib = JSONSerializer().dumps({"n": value})
    assert fast.dumps({"n": value}) == stdlib
    loaded = fast.loads(stdlib)
    assert loaded == {"n": value}
    assert type(loaded["n"]) is int


@pytest.mark.parametrize("value", [2**63 - 1, 2**63, 2**64 - 1, -(2**63)])
def test_orjson_writes_integers_at_the_64_bit_edges_natively(fast: Serializer, value: int) -> None:
    raw = fast.dumps({"n": value})
    assert raw == JSONSerializer().dumps({"n": value})
    assert fast.loads(raw) == {"n": value}


def test_long_digit_runs_that_are_no_big_integer_still_read_exactly(fast: Serializer) -> None:
    data = {"phone": "12345678901234567890", "small": 0.00012345678901234567, "n": 1}
    assert _exact(fast.loads(fast.dumps(data))) == _exact(data)


def test_orjson_round_trips_unpaired_surrogates_through_the_stdlib(fast: Serializer) -> None:
    data = {"x": "\ud800", "\udfff": [1]}
    raw = fast.dumps(data)
    assert raw == JSONSerializer().dumps(data)
    assert fast.loads(raw) == data


def test_orjson_writes_what_orjson_alone_cannot_nest(fast: Serializer) -> None:
    deep: list[Any] = [1]
    for _ in range(300):
        deep = [deep]
    raw = fast.dumps({"a": deep})
    assert raw == JSONSerializer().dumps({"a": deep})
    assert fast.loads(raw) == {"a": deep}


def test_orjson_writes_non_ascii_text_as_utf8_that_the_stdlib_reads(fast: Serializer) -> None:
    stdlib = JSONSerializer()
    data = {"name": "Zoë 東京 🎉", "line": "\u2028", "nul": "\x00", "del": "\x7f"}
    raw = fast.dumps(data)
    assert "Zoë 東京 🎉".encode() in raw
    assert len(raw) < len(stdlib.dumps(data))
    assert stdlib.loads(raw) == data
    assert fast.loads(stdlib.dumps(data)) == data


def test_orjson_writes_uuids_and_plain_enums_which_the_stdlib_refuses(fast: Serializer) -> None:
    data = {"id": uuid.UUID(int=1), "choice": Plain.A}
    assert fast.loads(fast.dumps(data)) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "choice": "a",
    }
    with pytest.raises(SerializationError):
        JSONSerializer().dumps(data)


@pytest.mark.parametrize("writer", LIBRARIES)
@pytest.mark.parametrize("reader", LIBRARIES)
def test_floats_cross_between_serializers_bit_for_bit(writer: str, reader: str) -> None:
    floats = [1e16, 0.1, -0.0, 1.5e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    floats += [9007199254740993.0, 1e22, 1e23, 123456.789, -2.5]
    loaded = _serializer(reader).loads(_serializer(writer).dumps({"f": floats}))
    assert [x.hex() for x in loaded["f"]] == [x.hex() for x in floats]


# -- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
session_data = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(data=session_data)
def test_any_json_session_reads_back_exactly_whichever_serializer_wrote_it(
    data: dict[str, Any],
) -> None:
    for writer, reader in PAIRS:
        raw = _serializer(writer).dumps(data)
        assert _exact(_serializer(reader).loads(raw)) == _exact(data), (writer, reader)


@settings(max_examples=300, deadline=None)
@given(data=session_data)
def test_equal_data_always_serializes_to_equal_bytes(data: dict[str, Any]) -> None:
    for library in LIBRARIES:
        serializer = _serializer(library)
        raw = serializer.dumps(data)
        assert serializer.dumps(copy.deepcopy(data)) == raw
        assert serializer.dumps(serializer.loads(raw)) == raw


# -- the setting -------------------------------------------------------------------------------


def test_the_standard_library_is_the_default_json_library() -> None:
    assert make_settings().json_library == "json"
    assert type(SessionManager(make_settings()).serializer) is JSONSerializer


def test_json_library_orjson_gives_the_manager_and_its_backend_the_orjson_serializer() -> None:
    pytest.importorskip("orjson")
    manager = SessionManager(make_settings(backend="memory", json_library="orjson"))
    assert type(manager.serializer) is OrjsonSerializer
    assert manager.backend._serializer is manager.serializer  # type: ignore[attr-defined]


def test_json_library_is_read_from_session_json_library(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("orjson")
    monkeypatch.setenv("SESSION_JSON_LIBRARY", "orjson")
    assert SessionSettings(secret_key=SECRET).json_library == "orjson"


def test_an_explicit_serializer_wins_over_the_setting() -> None:
    pytest.importorskip("orjson")
    mine = JSONSerializer()
    assert SessionManager(make_settings(json_library="orjson"), serializer=mine).serializer is mine


def test_an_unknown_json_library_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError) as info:
        SessionSettings(secret_key=SECRET, json_library="pickle")  # type: ignore[arg-type]
    assert "json_library='pickle': must be 'json' or 'orjson'" in str(info.value)
    assert info.value.fields == ("json_library",)
    with pytest.raises(ConfigurationError, match="json_library='pickle'"):
        build_serializer("pickle")  # type: ignore[arg-type]


def test_a_json_library_that_is_not_installed_fails_at_start_up_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # as if orjson were not installed
    fix = "needs orjson: pip install 'satchel-core[orjson]'"
    with pytest.raises(ConfigurationError) as info:
        SessionSettings(secret_key=SECRET, json_library="orjson")
    assert str(info.value) == f"json_library='orjson' {fix}"
    assert info.value.fields == ("json_library",)
    monkeypatch.setenv("SESSION_JSON_LIBRARY", "orjson")
    with pytest.raises(ConfigurationError) as info:
        SessionSettings(secret_key=SECRET)
    assert str(info.value) == f"SESSION_JSON_LIBRARY='orjson' {fix}"
    with pytest.raises(ConfigurationError, match="pip install 'satchel-core\\[orjson\\]'"):
        OrjsonSerializer()


def test_orjson_is_imported_only_when_chosen() -> None:
    code = (
        "import sys, satchel\n"
        "s = satchel.SessionSettings(secret_key='x' * 32)\n"
        "satchel.SessionManager(s)\n"
        "print('orjson' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# -- across backends ---------------------------------------------------------------------------


def _manager(clock: FrozenClock, library: str, **options: Any) -> SessionManager:
    _serializer(library)
    return SessionManager(make_settings(json_library=library, **options), clock=clock)


async def _issue(manager: SessionManager, data: dict[str, Any], jar: Jar | None = None) -> Jar:
    jar = jar or Jar()
    session = await manager.load(jar.header)
    session.update(data)
    return jar.receive(await manager.commit(session))


@pytest.mark.anyio
@pytest.mark.parametrize("backend", COOKIE_BACKENDS)
@pytest.mark.parametrize(("writer", "reader"), PAIRS)
@pytest.mark.parametrize("data", [PORTABLE, BEYOND_ORJSON], ids=["portable", "beyond-orjson"])
async def test_cookies_written_by_each_serializer_read_with_every_other(
    clock: FrozenClock, backend: str, writer: str, reader: str, data: dict[str, Any]
) -> None:
    write = _manager(clock, writer, backend=backend)
    read = _manager(clock, reader, backend=backend)
    jar = await _issue(write, data)

    session = await read.load(jar.header)
    assert session["user_id"] == data["user_id"]  # an int: nothing to compare at commit
    assert await read.commit(session) == []  # read-only: nothing is re-sent

    session = await read.load(jar.header)
    assert _exact(dict(session)) == _exact(data)
    jar.receive(await read.commit(session))  # at most one rewrite, in the reader's bytes
    session = await read.load(jar.header)
    assert _exact(dict(session)) == _exact(data)
    assert await read.commit(session) == []

    session = await write.load(jar.header)
    assert _exact(dict(session)) == _exact(data)


@pytest.mark.anyio
@pytest.mark.parametrize(("writer", "reader"), PAIRS)
@pytest.mark.parametrize("data", [PORTABLE, BEYOND_ORJSON], ids=["portable", "beyond-orjson"])
async def test_store_records_written_by_each_serializer_read_with_every_other(
    clock: FrozenClock,
    store_options: dict[str, Any],
    writer: str,
    reader: str,
    data: dict[str, Any],
) -> None:
    write = _manager(clock, writer, **store_options)
    read = _manager(clock, reader, **store_options)
    if isinstance(read.backend, MemoryStore):  # one store, as a restarted app shares Redis
        read.backend._storage = write.backend._storage  # type: ignore[attr-defined]
    try:
        jar = await _issue(write, data)
        session = await read.load(jar.header)
        assert session["user_id"] == data["user_id"]
        assert await read.commit(session) == []  # read-only: nothing is written
        session = await read.load(jar.header)
        assert _exact(dict(session)) == _exact(data)
        jar.receive(await read.commit(session))  # at most one rewrite, in the reader's bytes
        session = await read.load(jar.header)
        assert _exact(dict(session)) == _exact(data)
        assert await read.commit(session) == []
        jar = await _issue(read, {"visits": 1}, jar)
        session = await write.load(jar.header)
        assert _exact(dict(session)) == _exact({**data, "visits": 1})
    finally:
        await write.aclose()
        await read.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["signed", "fernet", "aesgcm", "base64"])
async def test_a_stdlib_cookie_holding_non_ascii_text_is_rewritten_once_under_orjson(
    clock: FrozenClock, backend: str
) -> None:
    jar = await _issue(_manager(clock, "json", backend=backend), {"name": "Zoë", "cart": [1]})
    fast = _manager(clock, "orjson", backend=backend)
    rewrites = []
    for _ in range(3):
        session = await fast.load(jar.header)
        session["cart"]  # a mutable value: the commit compares bytes
        headers = await fast.commit(session)
        jar.receive(headers)
        rewrites.append(len(headers))
    assert rewrites == [1, 0, 0]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["signed", "fernet", "aesgcm", "base64"])
async def test_a_stdlib_cookie_of_ascii_text_and_integers_is_never_rewritten_under_orjson(
    clock: FrozenClock, backend: str
) -> None:
    data = {"user_id": 12345, "cart": [1, 2, 3], "theme": "dark"}
    jar = await _issue(_manager(clock, "json", backend=backend), data)
    fast = _manager(clock, "orjson", backend=backend)
    session = await fast.load(jar.header)
    assert dict(session) == data
    assert await fast.commit(session) == []
