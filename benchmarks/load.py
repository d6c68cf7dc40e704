"""Redis under concurrency: the demo app served by uvicorn, a load generator in a
second process, at 1, 16 and 64 clients; requests/s, latency and round trips."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from contenders import SECRET

HERE = Path(__file__).parent
ROOT = HERE.parent
SERVER = """
import runpy
import uvicorn
app = runpy.run_path({example!r})["app"]
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _round_trips(redis_url: str) -> int:
    from redis import Redis

    with Redis.from_url(redis_url) as admin:
        info = admin.info("commandstats")
    return sum(
        int(info.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("hgetall", "evalsha", "eval")
    )


def load_test(redis_url: str, *, quick: bool) -> list[str]:
    """Report lines for the Redis load test."""
    port = _free_port()
    code = SERVER.format(example=str(ROOT / "examples" / "asgi" / "app.py"), port=port)
    settings = {
        "SESSION_BACKEND": "redis",
        "SESSION_REDIS_URL": redis_url,
        "SESSION_SECRET_KEY": SECRET,
        "SESSION_STORE_PREFIX": "load:",
    }
    inherited = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    server = subprocess.Popen([sys.executable, "-c", code], env={**inherited, **settings})
    lines = [
        "The bare ASGI example shop (examples/asgi/app.py, redis backend) under uvicorn, "
        "one worker; "
        "each client logs in, then sends `GET /`, which counts a visit (a modifying request: "
        "one read, one write). The load generator runs in a second process.",
        "",
        "| clients | requests | requests/s | p50 ms | p99 ms | Redis commands per request |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        for clients in (1, 16, 64):
            requests = (300 if quick else 3000) * (1 if clients == 1 else 2)
            before = _round_trips(redis_url)
            out = subprocess.run(
                [
                    sys.executable,
                    str(HERE / "loadgen.py"),
                    "--port",
                    str(port),
                    "--clients",
                    str(clients),
                    "--requests",
                    str(requests),
                    "--seconds",
                    "30",
                ],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            result = json.loads(out.stdout)
            used = _round_trips(redis_url) - before
            per_request = (used - 2 * clients) / result["requests"]  # minus each login's load+write
            lines.append(
                f"| {clients} | {result['requests']} | {result['rps']:,.0f} | "
                f"{result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {per_request:.2f} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return lines
