"""Redis under concurrency: satchel's Redis store against starsessions' RedisStore, each
in the same Starlette app (load_apps.py) served by uvicorn with 1 and 4 workers, driven
by a load generator in another process at 1, 16 and 64 clients; requests/s, latency,
and the Redis commands a request costs. Loopback only; every process started here is
stopped on any exit."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LIBRARIES = {"satchel": "satchel_app", "starsessions": "starsessions_app"}
"""Each library and the name load_apps.py builds its app under."""
WORKERS = (1, 4)
CLIENTS = (1, 16, 64)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _stopped_on_sigterm() -> Iterator[None]:
    """SIGTERM (a CI runner stopping the job) unwinds like Ctrl-C, so every `finally`
    below stops what it started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop *process* and everything it started (its own process group)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _get(port: int) -> int:
    """The status of ``GET /`` (0 when nothing answers)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return int(conn.recv(64).split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return 0


@contextmanager
def _server(
    app: str, workers: int, redis_url: str, extra: Mapping[str, str] | None = None
) -> Iterator[int]:
    """uvicorn serving ``load_apps:<app>`` with *workers* processes, with *extra* in its
    environment (LOAD_PREFIX, LOAD_SATCHEL_SETTINGS...); yields its port."""
    port = _free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    env = {
        **inherited,
        "LOAD_REDIS_URL": redis_url,
        "LOAD_PREFIX": f"load:{port}:",
        **(extra or {}),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"load_apps:{app}",
        "--app-dir",
        str(HERE),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 30
            while _get(port) != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"uvicorn ({app}, {workers} workers) did not start:\n{tail}")
                time.sleep(0.1)
            time.sleep(0.5 * workers)  # the other workers finish importing
            yield port
        finally:
            _stop(process)


def _drive(
    port: int,
    clients: int,
    requests: int,
    seconds: float,
    generator: str = "loadgen.py",
    options: Sequence[str] = (),
) -> dict[str, float]:
    """One run of a load generator (its own process, stopped if it overruns)."""
    command = [
        sys.executable,
        str(HERE / generator),
        "--port",
        str(port),
        "--clients",
        str(clients),
        "--requests",
        str(requests),
        "--seconds",
        str(seconds),
        *options,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode:
        raise RuntimeError(f"the load generator failed: {out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(out.stdout)
    return result


def _commands(redis_url: str, action: Callable[[], object]) -> tuple[int, int]:
    """How many commands clients sent to Redis while *action* ran, and how many more ran
    inside scripts, as MONITOR shows them (it slows Redis down: never while timing)."""
    from redis import Redis

    start, end = "satchel-load-start", "satchel-load-end"
    counts = [0, 0]
    ready = threading.Event()

    def watch() -> None:
        with Redis.from_url(redis_url) as client, client.monitor() as monitor:
            counting = False
            for event in monitor.listen():
                command = str(event.get("command", ""))
                if command.endswith(start):
                    counting = True
                    ready.set()
                elif command.endswith(end):
                    return
                elif counting:
                    counts[event.get("client_type") == "lua"] += 1

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with Redis.from_url(redis_url) as admin:
        while not ready.is_set():  # MONITOR has begun once it sees this
            admin.echo(start)
            ready.wait(0.1)
        try:
            action()
        finally:
            admin.echo(end)
            watcher.join(timeout=30)
    return counts[0], counts[1]


def settings_note() -> str:
    """A sentence naming the settings LOAD_SATCHEL_SETTINGS gave satchel's app (not their
    values, which may hold a secret), or nothing."""
    from load_apps import EXTRA_SETTINGS, extra_settings

    extra = extra_settings()
    if not extra:
        return ""
    return f" satchel's app ran with {', '.join(sorted(extra))} set by {EXTRA_SETTINGS}."


def _per_request(redis_url: str, port: int) -> tuple[float, float]:
    """Commands sent and run in scripts per ``GET /`` (one client, 100 requests more in
    one run than in another, so the logins cancel out; after a first run, which loads
    the scripts)."""
    _drive(port, 1, 5, 60)
    small = _commands(redis_url, lambda: _drive(port, 1, 20, 60))
    large = _commands(redis_url, lambda: _drive(port, 1, 120, 60))
    return (large[0] - small[0]) / 100, (large[1] - small[1]) / 100


@dataclass(frozen=True)
class LoadRun:
    """The load test's report lines, and each (library, workers, clients) cell's result:
    its requests/s (``rps``), p50 and p99 (``p50_ms``, ``p99_ms``)."""

    lines: list[str]
    results: dict[tuple[str, int, int], dict[str, float]]


def load_test(redis_url: str, *, quick: bool) -> LoadRun:
    """The Redis load test: about 15 s quick, a couple of minutes full (three runs of
    each cell, the libraries taking turns to go first; the median counts)."""
    started = time.monotonic()
    runs: dict[tuple[str, int, int], list[dict[str, float]]] = {}
    commands: dict[str, tuple[float, float]] = {}
    repeats, seconds = (1, 10.0) if quick else (3, 30.0)
    with _stopped_on_sigterm():
        for workers in WORKERS:
            with (
                _server(LIBRARIES["satchel"], workers, redis_url) as mine,
                _server(LIBRARIES["starsessions"], workers, redis_url) as theirs,
            ):
                ports = {"satchel": mine, "starsessions": theirs}
                if workers == 1:
                    commands = {name: _per_request(redis_url, p) for name, p in ports.items()}
                for clients in CLIENTS:
                    requests = (300 if quick else 3000) * (1 if clients == 1 else 2)
                    for repeat in range(repeats):
                        order = list(ports)
                        if (repeat + clients) % 2:  # neither always meets a warmer machine
                            order.reverse()
                        for name in order:
                            run = _drive(ports[name], clients, requests, seconds)
                            runs.setdefault((name, workers, clients), []).append(run)
    results = {
        cell: sorted(found, key=lambda r: r["rps"])[len(found) // 2] for cell, found in runs.items()
    }
    return LoadRun(_report(results, commands, quick, time.monotonic() - started), results)


def _report(
    results: dict[tuple[str, int, int], dict[str, float]],
    commands: dict[str, tuple[float, float]],
    quick: bool,
    took: float,
) -> list[str]:
    sent = {name: commands.get(name, (0.0, 0.0)) for name in LIBRARIES}
    lines = [
        "The same Starlette app (benchmarks/load_apps.py) with satchel-starlette and "
        "satchel's Redis store, and with starsessions' SessionMiddleware and RedisStore, "
        "each served by uvicorn (1 and 4 worker processes); each client logs in (a new "
        "session id), then sends `GET /`, which counts a visit (a modifying request: one "
        "read, one write), on one keep-alive connection. The load generator "
        "(benchmarks/loadgen.py) runs in its own process; everything is on loopback, "
        "sharing the machine's CPUs with Redis. "
        f"{'Quick mode, one run' if quick else 'Full mode, the median of three runs'} per "
        f"cell; the section took {took:.0f} s.{settings_note()}",
        "",
        "| uvicorn workers | clients | satchel requests/s | starsessions requests/s | "
        "satchel ÷ starsessions | satchel p99 ms | starsessions p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workers in WORKERS:
        for clients in CLIENTS:
            mine = results["satchel", workers, clients]
            theirs = results["starsessions", workers, clients]
            lines.append(
                f"| {workers} | {clients} | {mine['rps']:,.0f} | {theirs['rps']:,.0f} | "
                f"{mine['rps'] / theirs['rps']:.2f}x | {mine['p99_ms']:.2f} | "
                f"{theirs['p99_ms']:.2f} |"
            )
    lines += [
        "",
        "Redis commands per `GET /` (counted with MONITOR on a separate, untimed run of "
        "one client): satchel sends "
        f"{sent['satchel'][0]:.2f} (a GET to read, an EVALSHA to write), which run "
        f"{sent['satchel'][1]:.2f} more inside the script; starsessions sends "
        f"{sent['starsessions'][0]:.2f} (a GET to read, a SET to write) and runs "
        f"{sent['starsessions'][1]:.2f} in scripts.",
    ]
    return lines
