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

    def __init__(self, directory: Path, *, durable: bool = False) -> None:
        self.directory = directory
        self.durable = durable
        self.port = _free_port()
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
