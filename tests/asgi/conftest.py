"""Fixtures and helpers of satchel-asgi's tests: every test runs under asyncio and trio."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from satchel import BackendUnavailable, BadCookie
from satchel.records import Record
from satchel_asgi import ASGIApp, Message, Receive, Scope, Send


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every test here runs under asyncio and trio."""
    return str(request.param)


def client(app: Any) -> httpx.AsyncClient:
    """An HTTP client (with its own cookie jar) for *app*."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def http_scope(*headers: tuple[bytes, bytes]) -> Scope:
    """A minimal HTTP request scope with these headers."""
    return {"type": "http", "method": "GET", "path": "/", "headers": list(headers)}


class Exchange:
    """Calls an ASGI app directly: feeds it *inbox*, records every message it sends,
    also when it raises."""

    def __init__(self, *inbox: Message) -> None:
        self.inbox = list(inbox)
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        """The next inbox message, then ``http.disconnect``."""
        return self.inbox.pop(0) if self.inbox else {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """Record *message*."""
        self.sent.append(message)

    async def __call__(self, app: ASGIApp, scope: Scope) -> list[Message]:
        """Run *app* on *scope*; what it sent."""
        await app(scope, self.receive, self.send)
        return self.sent


async def counter(scope: Scope, receive: Receive, send: Send) -> None:
    """Counts visits; sends its headers as a tuple (the ASGI spec allows any iterable)."""
    session = scope["session"]
    session["n"] = session.get("n", 0) + 1
    headers = ((b"content-type", b"text/plain"),)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": str(session["n"]).encode()})


class Store:
    """A store backend of the tests' own: counts closes and can be taken down, as the
    Redis store is when its server is unreachable."""

    def __init__(self) -> None:
        self.closed = 0
        self.down = False
        self.records: dict[str, Record] = {}

    async def read(self, value: str, now: int) -> Record:
        """The record named *value*; `BackendUnavailable` while down."""
        if self.down:
            raise BackendUnavailable("down")
        if value not in self.records:
            raise BadCookie("unknown")
        return self.records[value]

    async def write(self, record: Record, previous: Record | None) -> str:
        """Keep *record* under a new id; `BackendUnavailable` while down."""
        if self.down:
            raise BackendUnavailable("down")
        key = f"id{len(self.records)}"
        self.records[key] = Record(record.payload, record.created, record.issued, key)
        return key

    async def delete(self, record: Record) -> None:
        """Nothing to forget here."""

    async def revoke_user(self, user_id: object) -> int:
        """Nothing to revoke; `BackendUnavailable` while down."""
        if self.down:
            raise BackendUnavailable("down")
        return 0

    async def aclose(self) -> None:
        """Count the close."""
        self.closed += 1
