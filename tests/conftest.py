"""Fixtures shared by every test package: settings, a frozen clock, a manager."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import (
    FrozenClock,
    RedisClusterServers,
    RedisSentinels,
    RedisServer,
    make_settings,
    skip_unless_cluster_client_works,
)

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
    folder = tmp_path_factory.mktemp("redis")
    yield from _given_or_own("SATCHEL_TEST_REDIS_URL", "Redis", lambda: RedisServer(folder))


def _given_or_own(
    variable: str, what: str, make: Callable[[], RedisServer | RedisClusterServers]
) -> Iterator[str]:
    """The URL *variable* holds if set, else that of the servers *make* gives, started
    for the tests and stopped after them."""
    url = os.environ.get(variable)
    if url:
        yield url
        return
    _need_redis_server(f"no {variable}: {what} tests cannot run")
    servers = make().start()
    try:
        yield servers.url
    finally:
        servers.stop()


def _need_redis_server(why: str) -> None:
    """Skip, loudly, without redis-server on PATH; under CI (``CI`` set), fail."""
    if shutil.which("redis-server") is None:
        message = f"no redis-server on PATH and {why}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis Cluster of three masters (redis-server processes of our own) and the
    URL of one node; ``SATCHEL_TEST_REDIS_CLUSTER_URL`` names one of yours instead."""
    skip_unless_cluster_client_works()
    folder = tmp_path_factory.mktemp("redis-cluster")
    variable = "SATCHEL_TEST_REDIS_CLUSTER_URL"
    yield from _given_or_own(variable, "Redis Cluster", lambda: RedisClusterServers(folder))


@pytest.fixture
def redis_sentinels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinels]:
    """A master, two replicas and three Sentinels of our own, for one test (a test may
    kill the master)."""
    _need_redis_server("Redis Sentinel tests cannot run")
    group = RedisSentinels(tmp_path_factory.mktemp("redis-sentinel")).start()
    try:
        yield group
    finally:
        group.stop()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses."""
    return f"satchel-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(params=["memory", "redis", "redis-cluster"])
def store_options(request: pytest.FixtureRequest, redis_prefix: str) -> dict[str, Any]:
    """Settings options for each store backend (the redis one on a real server, and on
    a real Redis Cluster)."""
    if request.param == "memory":
        return {"backend": "memory"}
    if request.param == "redis-cluster":
        url = request.getfixturevalue("redis_cluster_url")
        return {
            "backend": "redis",
            "redis_url": url,
            "redis_cluster": True,
            "store_prefix": redis_prefix,
        }
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
