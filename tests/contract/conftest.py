"""The contract's registry: every adapter's app factory, every backend, one client.

An adapter joins the contract by adding ``apps/<name>.py`` with
``make_app(manager: SessionManager) -> ASGI app`` serving the route table in
CONTRIBUTING.md, and its name to `ADAPTERS`. An adapter whose framework is not
installed here (Muffin on Python 3.10) is skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from support import FrozenClock, make_settings

from satchel import MemoryStore, SessionManager

Factory = Callable[[SessionManager], Any]

ADAPTERS = ("asgi", "asgi-tools", "starlette", "fastapi", "muffin")
BACKENDS = ("signed", "jwt", "fernet", "aesgcm", "base64", "memory", "redis")
"""Every backend; ``redis`` needs a real server (the ``redis_url`` fixture)."""

TRIO_ADAPTERS = ("asgi",)
"""Adapters the contract also runs under trio (every backend but redis, which is asyncio-only)."""


def _load(name: str) -> Factory | None:
    try:
        module = importlib.import_module(f"contract.apps.{name.replace('-', '_')}")
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.startswith("contract.apps."):
            return None  # that adapter has not joined yet
        return None  # its framework is not installed under this Python
    factory: Factory = module.make_app
    return factory


FACTORIES: dict[str, Factory] = {
    name: factory for name in ADAPTERS if (factory := _load(name)) is not None
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize contract tests over adapters, backends and (for some) trio."""
    if "adapter" in metafunc.fixturenames and "backend" in metafunc.fixturenames:
        combos = []
        for adapter in FACTORIES:
            for backend in BACKENDS:
                combos.append(pytest.param(adapter, backend, "asyncio", id=f"{adapter}-{backend}"))
                if adapter in TRIO_ADAPTERS and backend != "redis":
                    combos.append(
                        pytest.param(adapter, backend, "trio", id=f"{adapter}-{backend}-trio")
                    )
        metafunc.parametrize(("adapter", "backend", "anyio_backend"), combos)
    elif "pair" in metafunc.fixturenames and "backend" in metafunc.fixturenames:
        pairs = [(a, b) for a in FACTORIES for b in FACTORIES if a != b]
        metafunc.parametrize("pair", pairs, ids=[f"{a}-to-{b}" for a, b in pairs])
        metafunc.parametrize("backend", BACKENDS)


@pytest.fixture
def backend_options(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings options for *backend* (a real Redis for redis, with its own prefix)."""
    options: dict[str, Any] = {"backend": backend}
    if backend == "redis":
        options["redis_url"] = request.getfixturevalue("redis_url")
        options["store_prefix"] = request.getfixturevalue("redis_prefix")
    return options


class Apps:
    """Builds contract apps on the frozen clock; closes their managers afterwards."""

    def __init__(self, clock: FrozenClock, options: dict[str, Any]) -> None:
        self.clock = clock
        self.options = options
        self.managers: list[SessionManager] = []

    def manager(self, **overrides: Any) -> SessionManager:
        """A manager with the backend's options plus *overrides*; memory managers of
        one test share one store, as apps of one process would."""
        settings = make_settings(**{**self.options, **overrides})
        manager = SessionManager(settings, clock=self.clock)
        first = self.managers[0].backend if self.managers else None
        if isinstance(first, MemoryStore) and isinstance(manager.backend, MemoryStore):
            manager.backend._storage = first._storage  # one process, one memory
        self.managers.append(manager)
        return manager

    @asynccontextmanager
    async def client(
        self, adapter: str, manager: SessionManager | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client for *adapter*'s contract app."""
        app = FACTORIES[adapter](manager or self.manager(**overrides))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    async def close(self) -> None:
        """Close every manager's connections."""
        for manager in self.managers:
            await manager.aclose()


@pytest.fixture
async def apps(clock: FrozenClock, backend_options: dict[str, Any]) -> AsyncIterator[Apps]:
    """The contract apps of one test."""
    built = Apps(clock, backend_options)
    try:
        yield built
    finally:
        await built.close()
