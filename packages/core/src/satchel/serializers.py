"""The built-in `Serializer`s: JSON by the standard library (the default) or by orjson.
No pickle, ever: a cookie is attacker input, and JSON can only ever build data."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from satchel.errors import ConfigurationError, SerializationError

if TYPE_CHECKING:
    from satchel.protocols import Serializer
    from satchel.settings import JSONLibrary

_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_NUMBER = b"0" * 19
"""orjson reads an integer beyond 64 bits as a float, silently; every such integer is a run
of 19 digits or more. Few other documents have one (a long number in a string, a float
such as 0.00012345678901234567), and those are only read more slowly."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class JSONSerializer:
    """Compact JSON that maps the same data to the same bytes, which is what lets the
    manager tell a changed session from a read-only one by comparing bytes."""

    __slots__ = ("_decoder", "_encoder")

    def __init__(self) -> None:
        self._encoder = json.JSONEncoder(
            separators=(",", ":"), allow_nan=False, check_circular=True
        )
        self._decoder = json.JSONDecoder(parse_constant=_no_constant)

    def dumps(self, data: Mapping[str, Any]) -> bytes:
        """Serialize *data* as compact ASCII JSON."""
        try:
            return self._encoder.encode(data).encode("ascii")
        except (TypeError, ValueError) as exc:
            raise SerializationError(f"session data is not JSON-serializable: {exc}") from None
        except RecursionError:
            raise SerializationError("session data is nested too deeply for JSON") from None

    def loads(self, raw: bytes) -> dict[str, Any]:
        """Deserialize a JSON object; anything else (nesting too deep for the parser
        included) raises ValueError."""
        text = raw.decode("utf-8")
        try:
            if text[:1] == "{" and text[-1:] == "}":  # what dumps writes: no whitespace
                # to skip, so no regular expression runs (decode runs two): ~0.9 µs less
                data, end = self._decoder.raw_decode(text)
                if end != len(text):
                    raise ValueError("extra data after the session's JSON object")
            else:
                data = self._decoder.decode(text)
        except RecursionError:
            raise ValueError("session data nested too deeply") from None
        if type(data) is not dict:
            raise ValueError("session data is not a JSON object")
        return data


class OrjsonSerializer:
    """Compact JSON by orjson: what `JSONSerializer` reads and writes, several times faster.

    It writes non-ASCII text as UTF-8 rather than ``\\u`` escapes, so a session holding
    such text serializes to other (shorter) bytes than under `JSONSerializer`; either
    reads the other's documents. Where orjson falls short of the standard library it
    hands over to `JSONSerializer`, so nothing a ``json`` deployment wrote is lost: data
    it cannot write (integers beyond 64 bits, unpaired surrogates, nesting past 254
    levels, keys that are `str` subclasses) and documents it would misread (an integer
    beyond 64 bits, which it reads as a float) or refuses (an escaped unpaired
    surrogate). Like `JSONSerializer` it refuses NaN and infinities (orjson alone would
    write ``null``), bytes, sets, datetimes and dataclasses; unlike it, it refuses keys
    that are no `str` (the standard library turns ``1`` into ``"1"``) and writes
    `uuid.UUID` values and plain `Enum` members, as their text and value.
    """

    __slots__ = ("_dumps", "_json", "_loads", "_option")

    def __init__(self) -> None:
        try:
            import orjson
        except ImportError:
            raise ConfigurationError(
                "json_library='orjson' needs orjson: pip install 'satchel-core[orjson]'",
                ("json_library",),
            ) from None
        self._dumps: Callable[..., bytes] = orjson.dumps
        self._loads: Callable[[bytes], Any] = orjson.loads
        self._option = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        self._json = JSONSerializer()

    def dumps(self, data: Mapping[str, Any]) -> bytes:
        """Serialize *data* as compact UTF-8 JSON."""
        try:
            raw = self._dumps(data, option=self._option)
        except TypeError:  # orjson.JSONEncodeError: the standard library may manage
            raw = self._json.dumps(data)
            _check_keys(data)
            return raw
        if b"null" in raw and not _finite(data):  # orjson writes NaN and infinities as null
            raise SerializationError(
                "session data is not JSON-serializable: NaN and infinities are not JSON"
            )
        return raw

    def loads(self, raw: bytes) -> dict[str, Any]:
        """Deserialize a JSON object; anything else raises ValueError."""
        if _LONG_NUMBER in raw.translate(_DIGITS):  # maybe an integer beyond 64 bits
            return self._json.loads(raw)
        try:
            data = self._loads(raw)
        except ValueError:  # orjson.JSONDecodeError: malformed, or an unpaired surrogate
            return self._json.loads(raw)
        if type(data) is not dict:
            raise ValueError("session data is not a JSON object")
        return data


def _finite(data: Any) -> bool:
    """Whether *data* holds no NaN or infinity anywhere orjson looks: in dicts, lists,
    tuples (subclasses included) and Enum values. Scalars are checked where they are
    met and containers stacked, which keeps a 2 KB session to a few microseconds."""
    pending: list[Any] = [(data,)]
    while pending:
        for value in pending.pop():
            cls = type(value)
            if cls is str or cls is int or cls is bool or value is None:
                continue
            if cls is dict:
                pending.append(value.values())
            elif cls is list or cls is tuple:
                pending.append(value)
            elif cls is float:
                if value - value:  # NaN for NaN and both infinities, else 0.0
                    return False
            elif isinstance(value, float):
                if not math.isfinite(value):
                    return False
            elif isinstance(value, dict):
                pending.append(dict.values(value))  # its storage, as orjson reads it
            elif isinstance(value, list):
                pending.append(list.__iter__(value))
            elif isinstance(value, tuple):
                pending.append(tuple.__iter__(value))
            elif isinstance(value, Enum):
                pending.append((value.value,))
    return True


def _check_keys(data: Any) -> None:
    """Raise `SerializationError` for a dict key anywhere in *data* that is no `str`
    (*data* is finite: the standard library has just written it)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key in dict.keys(value):
                if not isinstance(key, str):
                    raise SerializationError(
                        "session data is not JSON-serializable: keys must be str, "
                        f"not {type(key).__name__} ({key!r})"
                    )
            pending.extend(dict.values(value))
        elif isinstance(value, list | tuple):
            pending.extend(value)


_SERIALIZERS: dict[str, Callable[[], Serializer]] = {
    "json": JSONSerializer,
    "orjson": OrjsonSerializer,
}


def build_serializer(library: JSONLibrary = "json") -> Serializer:
    """The built-in serializer of JSON *library*, as setting `json_library` names it;
    `ConfigurationError` when that library is not installed."""
    try:
        factory = _SERIALIZERS[library]
    except KeyError:
        raise ConfigurationError(
            f"json_library={library!r}: must be one of {', '.join(map(repr, _SERIALIZERS))}",
            ("json_library",),
        ) from None
    return factory()
