"""Robyn: satchel-robyn against Robyn's built-in sessions, over real loopback HTTP.

Robyn is not ASGI (a Rust server that calls Python handlers), so the in-process
driver cannot call it. Each contender is the same tiny Robyn app (one process, one
worker) served by a child process in its own session on a free loopback port: Robyn
ignores SIGTERM, so the whole group is killed. A raw-socket HTTP/1.1 client keeps one
connection per timed cell, sends the cookie a first response set, and reads each
response by its Content-Length: it adds the same small cost to every contender. The
client and every server share one CPU (`_one_cpu`). Cells are interleaved round by
round as in run.py, each round keeps the fastest of its batches, and each overhead is
a cell's time minus the same round's time of the same request to the app without
sessions.

Named robyn_http, not robyn: run.py puts this folder first on ``sys.path``, where a
``robyn.py`` would shadow Robyn itself.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contenders import SECRET, act

HERE = Path(__file__).parent
HOST = "127.0.0.1"
BATCHES = 5
"""As in run.py: each round times a cell in this many batches and keeps the fastest."""
WARM_UP = 50
"""Requests sent on a cell's new connection before its batches are timed."""
STARTUP_SECONDS = 30.0
RECV_TIMEOUT = 5.0


@dataclass(frozen=True)
class Contender:
    """One Robyn app: how its sessions are configured."""

    name: str
    family: str
    kind: str
    """``base`` (no sessions), ``hooks`` (a before- and an after-request hook that do
    nothing: what any session layer built on Robyn's hooks pays), ``robyn`` (Robyn's
    own sessions), or a satchel backend."""


CONTENDERS = [
    Contender("no sessions (robyn)", "base", "base"),
    Contender("do-nothing hooks", "floor", "hooks"),
    Contender("Robyn configure_sessions", "robyn", "robyn"),
    Contender("satchel-robyn signed", "satchel", "signed"),
    Contender("satchel-robyn memory", "satchel", "memory"),
]


@dataclass(frozen=True)
class Scenario:
    """One kind of request, keyed as run.py keys the same scenario."""

    key: str
    title: str
    path: str
    expect_body: bytes
    writes: bool


SCENARIOS = [
    Scenario("b", "untouched", "/untouched", b"ok", writes=False),
    Scenario("c", "read-only", "/read", b"1", writes=False),
    Scenario("d", "modify one key", "/modify", b"1", writes=True),
]
PATHS = ("/seed", "/untouched", "/read", "/modify")


def build_app(kind: str) -> Any:
    """The tiny Robyn app, its sessions configured as *kind* says."""
    from robyn import Request, Response, Robyn

    app = Robyn(__file__)
    app.config.disable_openapi = True
    if kind == "robyn":
        app.configure_sessions(secret_key=SECRET)
    elif kind == "hooks":
        app.before_request()(lambda request: request)
        app.after_request()(lambda request, response: response)
    elif kind == "signed":
        from satchel_robyn import configure_sessions

        configure_sessions(app, secret_key=SECRET)  # the default backend: signed cookies
    elif kind == "memory":
        from satchel_robyn import configure_sessions

        configure_sessions(app, backend="memory", secret_key=SECRET)

    def route(path: str) -> Any:
        def handler(request: Request) -> Response:
            if kind in ("base", "hooks") or path == "/untouched":
                body = b"ok"
            else:
                body = act(path, request.session)
            return Response(200, {"content-type": "text/plain"}, body)

        return handler

    for path in PATHS:
        app.add_route("GET", path, route(path))
    return app


SERVER = """
import os, sys
if {cpus!r}:
    os.sched_setaffinity(0, {cpus!r})
sys.path.insert(0, {here!r})
from robyn_http import build_app
build_app({kind!r}).start(host={host!r}, port={port}, _check_port=False)
"""


def _one_cpu() -> set[int]:
    """The CPU the client and every server share (none where affinity is unknown): a
    round trip is then the CPU work of both ends, with no wake-up across cores, whose
    latency varies from round to round far more than a session layer costs."""
    if not hasattr(os, "sched_getaffinity"):
        return set()
    return {max(os.sched_getaffinity(0))}


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A contender's app, served by a child process in its own session."""

    contender: Contender
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Kill the server's process group (Robyn ignores SIGTERM) and reap it."""
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def start(contender: Contender) -> Server:
    """Serve *contender*'s app on a free loopback port; return once it answers."""
    port = free_port()
    code = SERVER.format(here=str(HERE), kind=contender.kind, host=HOST, port=port, cpus=_one_cpu())
    inherited = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--log-level", "WARN"],  # Robyn's production level
        env=inherited,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(contender, port, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{contender.name}: the server exited while starting")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise TimeoutError(f"{contender.name}: no server on port {port} within {STARTUP_SECONDS} s")


@dataclass
class Reply:
    """One parsed response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def set_cookies(self) -> list[str]:
        """The Set-Cookie values."""
        return [v for k, v in self.headers if k == "set-cookie"]


class Connection:
    """One keep-alive HTTP/1.1 connection to a loopback server."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=RECV_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = f"{HOST}:{port}"

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()

    def raw(self, path: str, cookie: str | None = None) -> bytes:
        """The bytes of a GET request for *path*, as a browser would send it."""
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}", "User-Agent: bench", "Accept: */*"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _response(self) -> tuple[bytes, bytes]:
        """One response's head and body, read by its Content-Length."""
        recv = self.sock.recv
        data = recv(65536)
        end = data.find(b"\r\n\r\n")
        while end < 0:
            more = recv(65536)
            if not more:
                raise ConnectionError("the server closed the connection")
            data += more
            end = data.find(b"\r\n\r\n")
        head = data[:end]
        start = head.lower().find(b"\r\ncontent-length:")
        if start < 0:
            raise ConnectionError("a response without Content-Length")
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + 17 : stop if stop > 0 else len(head)])
        body = data[end + 4 :]
        while len(body) < length:
            more = recv(65536)
            if not more:
                raise ConnectionError("the server closed the connection")
            body += more
        if len(body) != length:
            raise ConnectionError("more bytes than one response: pipelining is not expected")
        return head, body

    def get(self, path: str, cookie: str | None = None) -> Reply:
        """One request, its response parsed."""
        self.sock.sendall(self.raw(path, cookie))
        head, body = self._response()
        lines = head.decode("latin-1").split("\r\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        return Reply(int(lines[0].split()[1]), headers, body)

    def timed(self, raw: bytes, count: int) -> float:
        """Seconds per request over *count* requests of *raw*, one after another."""
        send, response = self.sock.sendall, self._response
        begin = time.perf_counter()
        for _ in range(count):
            send(raw)
            response()
        return (time.perf_counter() - begin) / count


def cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser sends back after these Set-Cookie values."""
    pairs = [header.split(";", 1)[0].strip() for header in set_cookies]
    return "; ".join(pair for pair in pairs if pair.partition("=")[2])


@dataclass
class Cell:
    """One contender in one scenario: its server, request and per-round timings."""

    contender: Contender
    scenario: Scenario
    port: int
    cookie: str
    rounds: list[float] = field(default_factory=list)
    sends_cookie: bool = False


class Invalid(Exception):
    """A contender answered a scenario wrongly; it is left out of the timings."""


def prepare(server: Server, scenario: Scenario) -> Cell:
    """Seed a session over a new connection and check *scenario*'s response."""
    contender = server.contender
    connection = Connection(server.port)
    try:
        seeded = connection.get("/seed")
        cookie = cookie_header(seeded.set_cookies)
        if contender.family in ("base", "floor"):
            expect, writes = b"ok", False
        elif not cookie:
            raise Invalid(f"seeding gave {seeded.status} and no cookie")
        else:
            expect, writes = scenario.expect_body, scenario.writes
        first = connection.get(scenario.path, cookie)
    finally:
        connection.close()
    if first.status != 200 or first.body != expect:
        raise Invalid(f"{scenario.path} answered {first.status} {first.body[:40]!r}")
    if writes and not first.set_cookies:
        raise Invalid(f"{scenario.path} sent no Set-Cookie")
    if contender.family == "satchel" and not writes and first.set_cookies:
        raise SystemExit(f"BUG: {contender.name} sent Set-Cookie for {scenario.title}")
    return Cell(contender, scenario, server.port, cookie, sends_cookie=bool(first.set_cookies))


def time_cell(cell: Cell, count: int) -> float:
    """The fastest of `BATCHES` batches of *cell*'s request, on a new connection (an
    idle keep-alive connection may have been closed since the cell's last turn)."""
    connection = Connection(cell.port)
    try:
        raw = connection.raw(cell.scenario.path, cell.cookie)
        connection.timed(raw, WARM_UP)
        batch = max(count // BATCHES, 1)
        return min(connection.timed(raw, batch) for _ in range(BATCHES))
    finally:
        connection.close()


@dataclass
class Result:
    """A cell's overhead over the app without sessions, in microseconds."""

    name: str
    family: str
    scenario: Scenario
    median: float
    low: float
    high: float
    sends_cookie: bool
    diffs: list[float]
    """Per round, in round order."""


def _summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else ordered * 3
    return statistics.median(ordered), quartiles[0], quartiles[-1]


@dataclass
class Ratio:
    """satchel's overhead over Robyn's in one scenario, per round, summarised."""

    scenario: Scenario
    ours: Result
    theirs: Result
    median: float
    low: float
    high: float


@dataclass
class RobynRun:
    """Everything the report's Robyn section shows."""

    header: str
    mode: str
    rounds: int
    planned: int
    count: int
    seconds: float
    base: dict[str, float]
    """Per scenario key: the median round trip without sessions, in microseconds."""
    results: list[Result]
    ratios: list[Ratio]
    skipped: list[str]


OURS, THEIRS = "satchel-robyn signed", "Robyn configure_sessions"
"""The pair the target compares."""


def measure(quick: bool, header: str, budget: float | None = None) -> RobynRun:
    """Serve every contender, check its answers, then time the cells round by round
    (at most *budget* seconds of rounds: 240 s, 60 s with *quick*)."""
    planned, count = (3, 500) if quick else (21, 3000)
    budget = budget if budget is not None else (60.0 if quick else 240.0)
    servers: list[Server] = []
    cells: list[Cell] = []
    skipped: list[str] = []
    begin = time.monotonic()
    cpus = _one_cpu()
    allowed = os.sched_getaffinity(0) if cpus else set()
    try:
        for contender in CONTENDERS:
            try:
                servers.append(start(contender))
            except (RuntimeError, TimeoutError) as exc:
                if contender.family == "base":
                    raise
                skipped.append(str(exc))
        for server in servers:
            for scenario in SCENARIOS:
                try:
                    cells.append(prepare(server, scenario))
                except (Invalid, OSError) as exc:
                    skipped.append(f"{server.contender.name} / {scenario.title}: {exc}")
        print(f"Robyn over loopback HTTP: {len(cells)} cells, up to {planned} rounds of {count}")
        if cpus:
            os.sched_setaffinity(0, cpus)
        deadline = time.monotonic() + budget
        done = 0
        for number in range(planned):
            order = cells[:]
            random.Random(number).shuffle(order)
            for cell in order:
                cell.rounds.append(time_cell(cell, count))
            done += 1
            print(f"  round {done}/{planned} done", flush=True)
            if time.monotonic() > deadline:
                break
    finally:
        if cpus:
            os.sched_setaffinity(0, allowed)
        for server in servers:
            server.stop()
    base = {c.scenario.key: c for c in cells if c.contender.family == "base"}
    results = []
    for cell in cells:
        if cell.contender.family == "base":
            continue
        reference = base[cell.scenario.key].rounds
        diffs = [(t - b) * 1e6 for t, b in zip(cell.rounds, reference, strict=True)]
        median, low, high = _summary(diffs)
        results.append(
            Result(
                cell.contender.name,
                cell.contender.family,
                cell.scenario,
                median,
                low,
                high,
                cell.sends_cookie,
                diffs,
            )
        )
    ratios = []
    for scenario in SCENARIOS:
        found = {r.name: r for r in results if r.scenario == scenario}
        if OURS in found and THEIRS in found:
            ours, theirs = found[OURS], found[THEIRS]
            per_round = [a / b for a, b in zip(ours.diffs, theirs.diffs, strict=True) if b > 0]
            if per_round:
                ratios.append(Ratio(scenario, ours, theirs, *_summary(per_round)))
    return RobynRun(
        header,
        "quick" if quick else "full",
        done,
        planned,
        count,
        time.monotonic() - begin,
        {k: statistics.median(c.rounds) * 1e6 for k, c in base.items()},
        results,
        ratios,
        skipped,
    )
