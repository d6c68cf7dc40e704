"""The contract's registry: every adapter's app factory, every backend, one client.

Adapters: every ``apps/<name>.py`` is one (``asgi_tools.py`` is ``asgi-tools``),
with ``make_app(manager: SessionManager) -> ASGI app`` serving the route table in
CONTRIBUTING.md. A file whose framework is not installed under this Python
(Muffin on 3.10) shows up as skipped, with the missing module as the reason. A
module may set ``ASYNC_LIBRARIES = ("asyncio",)`` if its framework cannot run
under trio; by default every adapter runs under asyncio and trio.

Backends: `BACKENDS` is the one list. A new backend is one more name there; if it
needs a server or options beyond ``backend=<name>``, give them in
`backend_options` (redis shows how: a real server from the ``redis_url`` fixture),
and if its client is asyncio-only, add it to `ASYNCIO_ONLY_BACKENDS`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import FrozenClock, make_settings

from satchel import MemoryStore, SessionManager

Factory = Callable[[SessionManager], Any]

BACKENDS = ("signed", "jwt", "fernet", "aesgcm", "base64", "memory", "redis")
"""Every backend the contract runs on (``redis`` on a real server)."""

ASYNCIO_ONLY_BACKENDS = frozenset({"redis"})
"""Backends whose client needs asyncio (redis-py): not run under trio."""


@dataclass(frozen=True)
class Adapter:
    """One registered contract app: its factory, or why it cannot run here."""

    name: str
    factory: Factory | None
    missing: str | None = None
    libraries: tuple[str, ...] = ("asyncio", "trio")

    def marks(self) -> list[pytest.MarkDecorator]:
        """A skip mark when the adapter's framework is not installed."""
        if self.missing is None:
            return []
        version = "%d.%d" % sys.version_info[:2]
        return [pytest.mark.skip(reason=f"{self.missing} is not installed under Python {version}")]


def _adapter(module_name: str) -> Adapter:
    name = module_name.replace("_", "-")
    try:
        module = importlib.import_module(f"contract.apps.{module_name}")
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing in ("", "contract", "support"):
            raise  # a mistake in the test code, not an absent framework
        return Adapter(name, None, missing=missing)
    return Adapter(
        name, module.make_app, libraries=getattr(module, "ASYNC_LIBRARIES", ("asyncio", "trio"))
    )


ADAPTERS = [
    _adapter(path.stem)
    for path in sorted((Path(__file__).parent / "apps").glob("*.py"))
    if not path.stem.startswith("_")
]
FACTORIES: dict[str, Factory] = {a.name: a.factory for a in ADAPTERS if a.factory is not None}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize contract tests over adapters x backends x async libraries, and
    the cross-adapter ones over ordered pairs of adapters x backends."""
    if "backend" not in metafunc.fixturenames:
        return
    if "adapter" in metafunc.fixturenames:
        combos = [
            pytest.param(
                a.name, backend, library, id=f"{a.name}-{backend}-{library}", marks=a.marks()
            )
            for a in ADAPTERS
            for backend in BACKENDS
            for library in a.libraries
            if library == "asyncio" or backend not in ASYNCIO_ONLY_BACKENDS
        ]
        metafunc.parametrize(("adapter", "backend", "anyio_backend"), combos)
    elif "pair" in metafunc.fixturenames:
        pairs = [
            pytest.param((a.name, b.name), id=f"{a.name}-to-{b.name}", marks=a.marks() + b.marks())
            for a in ADAPTERS
            for b in ADAPTERS
            if a != b
        ]
        metafunc.parametrize("pair", pairs)
        metafunc.parametrize("backend", BACKENDS)


@pytest.fixture
def backend_options(backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings options for *backend*: the place to add what a new backend needs."""
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
        """A manager with the backend's options plus *overrides*.

        The memory managers of one test share one store, as the apps of one
        process would (Redis is shared by nature): a cookie issued by one app is
        then looked up in the store the other app reads, whatever its keys.
        """
        settings = make_settings(**{**self.options, **overrides})
        manager = SessionManager(settings, clock=self.clock)
        first = self.managers[0].backend if self.managers else None
        if isinstance(first, MemoryStore) and isinstance(manager.backend, MemoryStore):
            manager.backend._storage = first._storage  # no public way to share one
        self.managers.append(manager)
        return manager

    @asynccontextmanager
    async def client(
        self, adapter: str, manager: SessionManager | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client with its own cookie jar for *adapter*'s contract app."""
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
