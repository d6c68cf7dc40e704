"""A load generator for one concurrency level, run in its own process.

Each virtual client keeps one HTTP/1.1 connection, logs in once to get a session
cookie, then sends GET / (which counts a visit: a modifying request) until the
request budget or the time limit is spent, checking that each answer counts one visit
more than the last (so a session that was not read or not written shows, rather than
being fast). Prints a JSON summary. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    cookies = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            if name == "set-cookie":
                cookies.append(value.strip().split(";", 1)[0])
            headers[name] = value.strip()
    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                break
    elif int(headers.get("content-length", "0")):
        body = await reader.readexactly(int(headers["content-length"]))
    headers["cookie"] = "; ".join(cookies)
    return status, headers, body


async def client(port: int, budget: list[int], deadline: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    host = f"Host: 127.0.0.1:{port}\r\n"
    body = b"name=bench"
    login = (
        f"POST /login HTTP/1.1\r\n{host}Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    status, headers, _ = await _request(reader, writer, login)
    cookie = headers["cookie"]
    if status != 303 or not cookie:
        raise RuntimeError(f"login failed: {status} {headers}")
    get = f"GET / HTTP/1.1\r\n{host}Cookie: {cookie}\r\n\r\n".encode()
    visits = 0
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            start = time.perf_counter()
            status, _, body = await _request(reader, writer, get)
            latencies.append(time.perf_counter() - start)
            visits += 1
            if status != 200 or body != f"visit {visits}".encode():
                raise RuntimeError(f"GET / answered {status} {body[:80]!r}, not visit {visits}")
    finally:
        writer.close()


async def main(port: int, clients: int, requests: int, seconds: float) -> dict[str, float]:
    budget = [requests]
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(client(port, budget, deadline, latencies) for _ in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1e3,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.port, args.clients, args.requests, args.seconds))))
