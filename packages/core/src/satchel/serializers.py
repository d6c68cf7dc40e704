"""JSON, the default and only built-in `Serializer`: no pickle, ever."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from satchel.errors import SerializationError


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

    def loads(self, raw: bytes) -> dict[str, Any]:
        """Deserialize a JSON object; anything else (nesting too deep for the parser
        included) raises ValueError."""
        try:
            data = self._decoder.decode(raw.decode("utf-8"))
        except RecursionError:
            raise ValueError("session data nested too deeply") from None
        if type(data) is not dict:
            raise ValueError("session data is not a JSON object")
        return data
