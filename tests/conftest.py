"""Fixtures shared by every test package: settings, a frozen clock, a manager."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import FrozenClock, RedisServer, make_settings

from satchel import SessionManager, SessionSettings


@pytest.fixture
def anyio_backend() -> str:
    """asyncio by default; adapter tests parametrize this over asyncio and trio."""
    return "asyncio"


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock starting at a fixed instant."""
    return FrozenClock()


@pytest.fixture
def settings_factory() -> Callable[..., SessionSettings]:
    """Build settings from keyword options (the environment is ignored)."""
    return make_settings


@pytest.fixture
def manager_factory(clock: FrozenClock) -> Callable[..., SessionManager]:
    """Build a manager on the frozen clock from keyword settings options."""

    def build(**options: Any) -> SessionManager:
        return SessionManager(make_settings(**options), clock=clock)

    return build


@pytest.fixture(autouse=True)
def _no_session_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's SESSION_* variables out of every test."""
    for name in list(os.environ):
        if name.upper().startswith("SESSION_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: ``SATCHEL_TEST_REDIS_URL`` if set, else a redis-server of our own.

    Without either the Redis tests skip, loudly; under CI (``CI`` set) they fail.
    """
    url = os.environ.get("SATCHEL_TEST_REDIS_URL")
    if url:
        yield url
        return
    if shutil.which("redis-server") is None:
        message = "no redis-server on PATH and no SATCHEL_TEST_REDIS_URL: Redis tests cannot run"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses."""
    return f"satchel-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(params=["memory", "redis"])
def store_options(request: pytest.FixtureRequest, redis_prefix: str) -> dict[str, Any]:
    """Settings options for each store backend (the redis one on a real server)."""
    if request.param == "memory":
        return {"backend": "memory"}
    url = request.getfixturevalue("redis_url")
    return {"backend": "redis", "redis_url": url, "store_prefix": redis_prefix}


_REPORTS: list[str] = []


@pytest.fixture
def report() -> Callable[[str], None]:
    """Record a measured figure; the terminal summary lists them all."""
    return _REPORTS.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the tests measured (lost updates, faults, round trips)."""
    if _REPORTS:
        terminalreporter.section("satchel measurements")
        for line in _REPORTS:
            terminalreporter.write_line(line)
