"""The load generator of the lost-update runs (lost_updates.py), run in its own process.

Each virtual client keeps one HTTP/1.1 connection and sends ``POST /hit/<its number>``,
which adds one to the session key ``hits:<its number>`` and answers with the process id
of the worker that served it, for its share of the requests or until the time limit.
With ``--shared`` one login makes the session whose cookie every client sends; without
it each client logs in to a session of its own. Once every client is done, each session
is read back (``GET /dump``): a client's updates were lost where its key holds less than
the number of 200 answers it got. Prints a JSON summary. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from loadgen import _request

TIMEOUT = 30.0
"""Seconds one request may take; a client whose request takes longer stops there."""
FAILURES = (OSError, EOFError, ValueError, asyncio.TimeoutError)
"""A request that raised one of these got no answer (its connection is then unusable)."""

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass
class Tally:
    """What one client sent and was answered."""

    sent: int = 0
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    workers: set[bytes] = field(default_factory=set)
    """The process ids of the workers that answered 200."""


def _host(port: int) -> str:
    return f"Host: 127.0.0.1:{port}\r\n"


async def _ask(connection: Connection, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.wait_for(_request(*connection, raw), TIMEOUT)


async def _login(port: int, connection: Connection, name: str) -> str:
    """A new session logged in as *name*: the Cookie header that sends it."""
    body = f"name={name}".encode()
    raw = (
        f"POST /login HTTP/1.1\r\n{_host(port)}Content-Type: application/x-www-form-urlencoded"
        f"\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    status, headers, _ = await _ask(connection, raw)
    if status != 303 or not headers["cookie"]:
        raise RuntimeError(f"login failed: {status} {headers}")
    return headers["cookie"]


async def _hits(
    port: int, connection: Connection, number: int, cookie: str, count: int, deadline: float
) -> Tally:
    """Client *number* adds one to its key, *count* times (or until *deadline*)."""
    raw = (
        f"POST /hit/{number} HTTP/1.1\r\n{_host(port)}Cookie: {cookie}\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    tally = Tally()
    while tally.sent < count and time.perf_counter() < deadline:
        tally.sent += 1
        start = time.perf_counter()
        try:
            status, _, body = await _ask(connection, raw)
        except FAILURES:
            break  # no answer: whether it was written is unknown, and it counts as not
        tally.latencies.append(time.perf_counter() - start)
        if status == 200:
            tally.ok += 1
            tally.workers.add(body.rsplit(b" ", 1)[-1])
    return tally


async def _read_back(port: int, cookies: list[str]) -> dict[str, dict[str, Any]]:
    """Each distinct session's data, by its Cookie header."""
    sessions: dict[str, dict[str, Any]] = {}
    connection = await asyncio.open_connection("127.0.0.1", port)
    try:
        for cookie in dict.fromkeys(cookies):
            raw = f"GET /dump HTTP/1.1\r\n{_host(port)}Cookie: {cookie}\r\n\r\n".encode()
            status, _, body = await _ask(connection, raw)
            if status != 200:
                raise RuntimeError(f"GET /dump answered {status} {body[:80]!r}")
            sessions[cookie] = json.loads(body)
    finally:
        connection[1].close()
    return sessions


async def main(
    port: int, clients: int, requests: int, seconds: float, shared: bool
) -> dict[str, float]:
    """Run *clients* clients sharing *requests* evenly; the summary (numbers only)."""
    each = max(requests // clients, 1)
    connections: list[Connection] = []
    try:
        for _ in range(clients):
            connections.append(await asyncio.open_connection("127.0.0.1", port))
        if shared:
            cookies = [await _login(port, connections[0], "shared")] * clients
        else:
            logins = (_login(port, c, f"client-{n}") for n, c in enumerate(connections))
            cookies = list(await asyncio.gather(*logins))
        start = time.perf_counter()
        deadline = start + seconds
        tallies = await asyncio.gather(
            *(
                _hits(port, connection, number, cookies[number], each, deadline)
                for number, connection in enumerate(connections)
            )
        )
        elapsed = time.perf_counter() - start
    finally:
        for _, writer in connections:
            writer.close()
    sessions = await _read_back(port, cookies)
    found = [int(sessions[cookies[n]].get(f"hits:{n}", 0)) for n in range(clients)]
    latencies = sorted(t for tally in tallies for t in tally.latencies)
    if not latencies:
        raise RuntimeError("no request was answered")
    return {
        "clients": clients,
        "sessions": len(sessions),
        "sent": sum(t.sent for t in tallies),
        "answered": len(latencies),
        "ok": sum(t.ok for t in tallies),
        "workers": len({pid for t in tallies for pid in t.workers}),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1e3,
        "max_ms": latencies[-1] * 1e3,
        "found": sum(found),
        "lost": sum(max(t.ok - f, 0) for t, f in zip(tallies, found, strict=True)),
        "wrong": sum(t.ok != f for t, f in zip(tallies, found, strict=True)),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--requests", type=int, required=True, help="in all, shared evenly")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--shared", action="store_true", help="one session for every client")
    args = parser.parse_args()
    summary = asyncio.run(main(args.port, args.clients, args.requests, args.seconds, args.shared))
    print(json.dumps(summary))
