"""A backend of your own: three async methods, no base class; mypy checks the shape."""

import asyncio
import secrets

from satchel import Backend, BadCookie, SessionManager, SessionSettings, generate_key
from satchel.backends import Record


class DictStore:
    """Keeps sessions in a dict under random ids (a sketch of a store backend)."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}

    async def read(self, value: str, now: int) -> Record:
        record = self.records.get(value)
        if record is None:
            raise BadCookie("unknown session id")  # the manager starts a fresh session
        return record

    async def write(self, record: Record, previous: Record | None) -> str:
        if record.id is None:  # a new session, or a new identity after regenerate()
            if previous is not None and previous.id is not None:
                self.records.pop(previous.id, None)
            record = Record(record.payload, record.created, record.issued, secrets.token_urlsafe())
        assert record.id is not None
        self.records[record.id] = record
        return record.id  # the cookie value

    async def delete(self, record: Record) -> None:
        if record.id is not None:
            self.records.pop(record.id, None)


store: Backend = DictStore()  # mypy: DictStore satisfies the Backend protocol
manager = SessionManager(SessionSettings(secret_key=generate_key()), backend=store)


async def main() -> None:
    session = await manager.load(None)
    session["cart"] = [1]
    cookie = (await manager.commit(session))[0].split(";", 1)[0]
    session = await manager.load(cookie)
    assert session["cart"] == [1]


asyncio.run(main())
