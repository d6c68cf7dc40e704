"""A backend whose read is synchronous and takes the wrong types: mypy must reject it."""

from __future__ import annotations

from satchel import Backend, SessionManager, SessionSettings
from satchel.backends import Record


class WrongStore:
    def read(self, value: bytes) -> Record:
        return Record(b"{}", 0, 0)

    async def write(self, record: Record, previous: Record | None) -> str:
        return ""

    async def delete(self, record: Record) -> None:
        return None


backend: Backend = WrongStore()
manager = SessionManager(SessionSettings(secret_key="x" * 32), backend=WrongStore())
