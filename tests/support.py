"""Helpers shared by every test package (importable as `support`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from satchel import SessionSettings

SECRET = "test-secret-0123456789abcdefghijklmnop"
OTHER_SECRET = "another-secret-0123456789abcdefghijkl"
COOKIE_BACKENDS = ("signed", "jwt", "fernet", "aesgcm", "base64")
START = 1_800_000_000


class Cart(BaseModel):
    """The typed session data the contract apps validate (every field has a default)."""

    items: list[int] = []
    owner: str | None = None


class SharedClock:
    """A `FrozenClock` whose time lives in memory shared with forked processes, so a
    server the test forked (the contract's Robyn apps) sees every ``advance``."""

    def __init__(self, now: float = START) -> None:
        import multiprocessing

        self._now = multiprocessing.get_context("fork").RawValue("d", now)

    @property
    def now(self) -> float:
        """The clock's time."""
        return float(self._now.value)

    @now.setter
    def now(self, value: float) -> None:
        self._now.value = value

    def __call__(self) -> float:
        return float(self._now.value)

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self._now.value += seconds


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


def run_script(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a documented script as a user would: in *cwd*, with this Python first on
    PATH, none of the caller's ``SESSION_*`` variables (only *env*'s), and fail the
    test with its output unless it exits 0."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    clean["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}"
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def make_settings(**options: Any) -> SessionSettings:
    """Settings for tests: explicit values only, never the environment's."""
    options.setdefault("secret_key", SECRET)
    if options.get("backend") == "base64":
        options.setdefault("allow_unsigned", True)
    return SessionSettings.model_validate(options)


class Jar:
    """A browser's cookie jar, reduced to what session tests need."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def receive(self, set_cookies: list[str]) -> Jar:
        """Apply Set-Cookie values as a browser would (Max-Age=0 deletes)."""
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "Max-Age=0" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return self

    @property
    def header(self) -> str:
        """The Cookie header the browser sends next."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def cookie_pairs(set_cookies: list[str]) -> str:
    """The Cookie header a fresh browser sends after these Set-Cookie values."""
    return Jar().receive(set_cookies).header


@dataclass
class Reply:
    """One response as the legacy tests (tests/legacy/) see it: status, JSON body (or
    text) and every Set-Cookie header."""

    status: int
    body: Any
    set_cookies: list[str]

    def cookie(self, name: str) -> str | None:
        """The value the response sets for cookie *name* (None: not set, or expired)."""
        return Jar().receive(self.set_cookies).cookies.get(name)

    def expires(self, name: str) -> bool:
        """Whether the response expires cookie *name*."""
        return any(h.startswith(f"{name}=;") and "Max-Age=0" in h for h in self.set_cookies)


Visit = Callable[..., Awaitable[Reply]]
"""tests/legacy's ``visit`` fixture: ``await visit(app, "/path", cookie="a=b")``."""

MakeApp = Callable[..., Any]
"""tests/legacy's ``satchel_app`` fixture: a satchel_starlette app from options."""


class RedisServer:
    """A redis-server process of the tests' own, on a free loopback port."""

    def __init__(
        self,
        directory: Path,
        *,
        durable: bool = False,
        port: int | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        """A server keeping its files in *directory*, on *port* (a free one if None),
        started with redis-server's command-line *options* added."""
        self.directory = directory
        self.durable = durable
        self.port = _free_port() if port is None else port
        self.options = options
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server (again, on the same port and data) and wait until it answers."""
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "yes" if self.durable else "no",
            "--appendfsync",
            "always",
            "--protected-mode",
            "no",
            "--loglevel",
            "verbose",
            "--logfile",
            str(self.directory / "redis.log"),  # what a failing test's server said
            *self.options,
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("redis-server did not answer within 10 s")

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        """Stop the server politely."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def skip_unless_cluster_client_works() -> None:
    """Skip a Redis Cluster test, saying why, when the installed redis-py's cluster
    client is one the settings refuse (redis-py 7.1 to 8.1, the newest on Python 3.10)."""
    import pytest

    from satchel.settings import _redis_cluster_problem

    problem = _redis_cluster_problem()
    if problem is not None:
        pytest.skip(problem.replace("{redis_cluster}", "redis_cluster"))


def _free_ports(count: int) -> list[int]:
    """*count* different free ports, held open together while chosen, so that none of
    them is handed out twice."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _free_cluster_ports(count: int) -> list[int]:
    """*count* different free ports whose cluster bus ports (10000 above) are free too."""
    for _ in range(100):
        ports = _free_ports(count)
        if all(port + 10000 < 65536 for port in ports):
            try:
                _free_ports_bound([port + 10000 for port in ports])
            except OSError:
                continue
            return ports
    raise RuntimeError("no free ports for the cluster's nodes")


def _free_ports_bound(ports: list[int]) -> None:
    """Raise OSError unless every one of *ports* can be bound."""
    sockets = [socket.socket() for _ in ports]
    try:
        for sock, port in zip(sockets, ports, strict=True):
            sock.bind(("127.0.0.1", port))
    finally:
        for sock in sockets:
            sock.close()


def _until(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    """Wait until *check* holds, or fail saying *what* did not happen."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {seconds:g} s")
        time.sleep(0.05)


class RedisClusterServers:
    """A Redis Cluster of *masters* redis-server processes on loopback ports (no
    replicas), the 16384 slots split evenly, each node in its own folder of *directory*."""

    def __init__(self, directory: Path, masters: int = 3) -> None:
        self.nodes = []
        ports = _free_cluster_ports(masters)
        for number in range(masters):
            folder = directory / f"node{number}"
            folder.mkdir(parents=True, exist_ok=True)
            options = ("--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
            server = RedisServer(folder, port=ports[number], options=options)
            self.nodes.append(server)

    @property
    def url(self) -> str:
        """The URL of one node, which is all a cluster client needs."""
        return self.nodes[0].url

    def start(self) -> RedisClusterServers:
        """Start every node, give each its slots, introduce them, and wait until every
        node says the cluster is up."""
        from redis import Redis

        for node in self.nodes:
            node.start()
        share = 16384 // len(self.nodes)
        clients: list[Any] = [Redis(port=node.port) for node in self.nodes]
        try:
            for number, client in enumerate(clients):
                last = 16383 if number == len(clients) - 1 else (number + 1) * share - 1
                client.execute_command("CLUSTER ADDSLOTSRANGE", number * share, last)
            for node in self.nodes[1:]:
                clients[0].execute_command("CLUSTER MEET", "127.0.0.1", node.port)

            def up() -> bool:  # redis-py answers both as dicts
                return all(
                    client.execute_command("CLUSTER INFO")["cluster_state"] == "ok"
                    and len(client.execute_command("CLUSTER NODES")) == len(clients)
                    for client in clients
                )

            _until(up, "the cluster did not come up")
        except BaseException:
            self.stop()
            raise
        finally:
            for client in clients:
                client.close()
        return self

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


SENTINEL_SERVICE = "satchel-test"
"""The service name the test Sentinels watch (``redis://satchel-test/0`` in settings)."""


class RedisSentinels:
    """A master, two replicas of it and three Sentinels watching them (quorum two), each
    a redis-server process on a loopback port, in *directory*. The Sentinels judge a
    master down after 400 ms without an answer, so a failover takes a second or two,
    after which the replica not promoted follows the new master."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "master").mkdir(parents=True, exist_ok=True)
        ports = _free_ports(6)
        self.sentinel_ports = ports[3:]
        self.master = RedisServer(directory / "master", port=ports[0])
        self.replicas = []
        for number, port in enumerate(ports[1:3]):
            folder = directory / f"replica{number}"
            folder.mkdir(exist_ok=True)
            follow = ("--replicaof", "127.0.0.1", str(self.master.port))
            self.replicas.append(RedisServer(folder, port=port, options=follow))
        self.sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def addresses(self) -> list[str]:
        """The Sentinels as ``host:port``, as `redis_sentinels` takes them."""
        return [f"127.0.0.1:{port}" for port in self.sentinel_ports]

    def start(self) -> RedisSentinels:
        """Start the master, the replicas and the Sentinels, and wait until the replicas
        are in sync and every Sentinel knows them and the other Sentinels."""
        from redis import Redis
        from redis.exceptions import ConnectionError

        self.master.start()
        for server in self.replicas:
            server.start()
        try:
            for port in self.sentinel_ports:
                config = self.directory / f"sentinel-{port}.conf"
                config.write_text(
                    f"port {port}\nbind 127.0.0.1\nprotected-mode no\n"
                    f"dir {self.directory}\n"
                    f"sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {self.master.port} 2\n"
                    f"sentinel down-after-milliseconds {SENTINEL_SERVICE} 400\n"
                    f"sentinel failover-timeout {SENTINEL_SERVICE} 4000\n"
                )
                command = [shutil.which("redis-server") or "redis-server", str(config)]
                self.sentinels.append(
                    subprocess.Popen(
                        [*command, "--sentinel"],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            replicas: list[Any] = [Redis(port=server.port) for server in self.replicas]
            sentinels: list[Any] = [Redis(port=port) for port in self.sentinel_ports]
            try:

                def ready() -> bool:
                    if any(process.poll() is not None for process in self.sentinels):
                        raise RuntimeError("a Sentinel exited at start (its port taken?)")
                    try:
                        for replica in replicas:
                            info = replica.info("replication")
                            if info.get("master_link_status") != "up":
                                return False
                        for sentinel in sentinels:
                            known = sentinel.execute_command(
                                "SENTINEL", "REPLICAS", SENTINEL_SERVICE
                            )
                            if len(known) < len(replicas):
                                return False
                            peers = sentinel.execute_command(
                                "SENTINEL", "SENTINELS", SENTINEL_SERVICE
                            )
                            if len(peers) < 2:
                                return False
                    except ConnectionError:  # a Sentinel still starting
                        return False
                    return True

                _until(ready, "the replicas and the Sentinels did not find each other", 30)
            finally:
                for replica in replicas:
                    replica.close()
                for sentinel in sentinels:
                    sentinel.close()
        except BaseException:
            self.stop()
            raise
        return self

    def master_port(self) -> int:
        """The port of the master the Sentinels name now."""
        from redis import Redis
        from redis.exceptions import ConnectionError

        for port in self.sentinel_ports:
            with Redis(port=port) as sentinel:
                try:
                    _, found = sentinel.execute_command(
                        "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_SERVICE
                    )
                except ConnectionError:  # the next Sentinel may answer
                    continue
                return int(found)
        raise RuntimeError("no Sentinel answered")

    def stop(self) -> None:
        """Stop the Sentinels, the replicas and the master."""
        for process in self.sentinels:
            process.terminate()
        for process in self.sentinels:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.sentinels = []
        for server in (*self.replicas, self.master):
            server.stop()
