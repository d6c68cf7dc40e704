"""A raw in-process ASGI driver: build the scope, receive and send ourselves, time it.

No network and no test client: what is timed is the application and its session
middleware, called the way a server calls it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


def scope(path: str, cookie: str | None = None, method: str = "GET") -> Scope:
    """A realistic HTTP scope for *path*, with a Cookie header when given."""
    headers = [
        (b"host", b"bench.local"),
        (b"user-agent", b"satchel-bench"),
        (b"accept", b"*/*"),
    ]
    if cookie:
        headers.append((b"cookie", cookie.encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


@dataclass
class Response:
    """What the application sent."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: bytes) -> list[bytes]:
        """Every value of header *name* (lower-case)."""
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def set_cookies(self) -> list[str]:
        """The Set-Cookie values."""
        return [v.decode("latin-1") for v in self.header(b"set-cookie")]


async def call(app: ASGIApp, template: Scope) -> Response:
    """One request through *app*, keeping what it sent."""
    response = Response()

    async def receive() -> Message:
        return _REQUEST

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")

    await app(dict(template), receive, send)
    return response


async def _receive() -> Message:
    return _REQUEST


async def _send(message: Message) -> None:
    return None


async def timed(app: ASGIApp, template: Scope, count: int) -> float:
    """Seconds per request over *count* requests (the scope copied for each, as a
    server builds a new one)."""
    start = time.perf_counter()
    for _ in range(count):
        await app(dict(template), _receive, _send)
    return (time.perf_counter() - start) / count


def run(coroutine: Awaitable[Any]) -> Any:
    """Run *coroutine* on the benchmark's event loop."""
    return _loop().run_until_complete(coroutine)


_LOOP: list[asyncio.AbstractEventLoop] = []


def _loop() -> asyncio.AbstractEventLoop:
    if not _LOOP:
        _LOOP.append(asyncio.new_event_loop())
    return _LOOP[0]


def cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser sends back after these Set-Cookie values."""
    jar: dict[str, str] = {}
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].partition("=")
        lowered = header.lower()
        if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value.strip().strip('"')
    return "; ".join(f"{k}={v}" for k, v in jar.items())
