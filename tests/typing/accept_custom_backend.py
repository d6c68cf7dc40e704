"""A user's own backend and serializer: mypy must accept them without inheritance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from satchel import Backend, BadCookie, Serializer, SessionManager, SessionSettings
from satchel.backends import Record


class TupleStore:
    """Keeps records in a dict; satisfies `Backend` structurally."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}

    async def read(self, value: str, now: int) -> Record:
        try:
            return self.records[value]
        except KeyError:
            raise BadCookie("unknown") from None

    async def write(self, record: Record, previous: Record | None) -> str:
        key = record.id or str(len(self.records))
        self.records[key] = record
        return key

    async def delete(self, record: Record) -> None:
        self.records.pop(record.id or "", None)


class ReprSerializer:
    """Satisfies `Serializer` structurally."""

    def dumps(self, data: Mapping[str, Any]) -> bytes:
        return repr(sorted(data.items())).encode()

    def loads(self, raw: bytes) -> dict[str, Any]:
        return {}


backend: Backend = TupleStore()
serializer: Serializer = ReprSerializer()
manager = SessionManager(
    SessionSettings(secret_key="x" * 32), backend=TupleStore(), serializer=ReprSerializer()
)
