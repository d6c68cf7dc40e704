"""The contract's registry: every adapter's app factory, every backend, one client.

Adapters: every ``apps/<name>.py`` is one (``asgi_tools.py`` is ``asgi-tools``),
with ``make_app(manager: SessionManager) -> ASGI app`` serving the route table in
CONTRIBUTING.md, ``build(**options) -> SessionManager`` (what the adapter builds
from options, as its users pass them) and ``ALIASES``, the adapter's alias table. A
file whose framework is not installed under this Python (Muffin on 3.10) shows up as
skipped, with the missing module as the reason. A module may set
``ASYNC_LIBRARIES = ("asyncio",)`` if its framework cannot run under trio; by default
every adapter runs under asyncio and trio.

Backends: `BACKENDS` is the one list. A new backend is one more name there; if it
needs a server or options beyond ``backend=<name>``, give them in
`backend_options` (redis shows how: a real server from the ``redis_url`` fixture),
and if it holds connections of one asyncio event loop, add it to
`ASYNCIO_ONLY_BACKENDS`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import START, SharedClock, make_settings

from satchel import MemoryStore, SessionManager

Factory = Callable[[SessionManager], Any]

BACKENDS = ("signed", "jwt", "fernet", "aesgcm", "base64", "memory", "redis")
"""Every backend the contract runs on (``redis`` on a real server)."""

ASYNCIO_ONLY_BACKENDS = frozenset({"redis"})
"""Backends whose connections need asyncio and belong to one event loop (redis-py):
not run under trio, and their managers are built per test."""


@dataclass(frozen=True)
class Adapter:
    """One registered contract app: its factory, or why it cannot run here."""

    name: str
    factory: Factory | None
    missing: str | None = None
    libraries: tuple[str, ...] = ("asyncio", "trio")
    build: Callable[..., SessionManager] | None = None
    """The manager the adapter builds from options, as its users pass them."""
    aliases: Mapping[str, Any] = field(default_factory=dict)
    """The adapter's alias table (its option names, each with satchel's)."""
    serve: Callable[[SessionManager], Any] | None = None
    """For a framework that is not ASGI (Robyn): serves the app for a manager on a real
    loopback server and returns it (``.transport()``, ``.stop()``)."""

    def marks(self) -> list[pytest.MarkDecorator]:
        """A skip mark when the adapter's framework is not installed."""
        if self.missing is None:
            return []
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
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
        name,
        module.make_app,
        libraries=getattr(module, "ASYNC_LIBRARIES", ("asyncio", "trio")),
        build=module.build,
        aliases=module.ALIASES,
        serve=getattr(module, "serve_manager", None),
    )


ADAPTERS = [
    _adapter(path.stem)
    for path in sorted((Path(__file__).parent / "apps").glob("*.py"))
    if not path.stem.startswith("_")
]
FACTORIES: dict[str, Factory] = {a.name: a.factory for a in ADAPTERS if a.factory is not None}
SERVERS = {a.name: a.serve for a in ADAPTERS if a.serve is not None}
"""Adapters whose apps are not ASGI: each manager's app runs on a real loopback server."""


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


CLOCK = SharedClock()
"""The contract's one frozen clock: every manager runs on it; each test starts it at START."""
_MANAGERS: dict[str, SessionManager] = {}
_APPS: dict[tuple[str, int], Any] = {}
_MEMORY: list[MemoryStore] = []


class Apps:
    """Contract apps on the frozen clock, built once per adapter and settings.

    Building settings and apps (FastAPI's above all) costs far more than the
    requests, so managers and apps are kept for the whole run, except a store's
    whose connections belong to one test's event loop (redis): those are built
    per test and closed after it.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        CLOCK.now = START
        self.clock = CLOCK
        self.options = options
        self.managers: list[SessionManager] = []
        self._closing: list[SessionManager] = []
        self._servers: list[Any] = []

    def manager(self, **overrides: Any) -> SessionManager:
        """A manager with the backend's options plus *overrides*.

        Every memory manager shares one store, as the apps of one process would
        (Redis is shared by nature): a cookie issued by one app is then looked up
        in the store the other app reads, whatever its keys.
        """
        options = {**self.options, **overrides}
        key = repr(sorted(options.items()))
        manager = _MANAGERS.get(key)
        if manager is None:
            manager = SessionManager(make_settings(**options), clock=CLOCK)
            if options["backend"] in ASYNCIO_ONLY_BACKENDS:
                self._closing.append(manager)
            else:
                _MANAGERS[key] = manager
                _share_memory(manager)
        self.managers.append(manager)
        return manager

    @asynccontextmanager
    async def client(
        self, adapter: str, manager: SessionManager | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client with its own cookie jar for *adapter*'s contract app."""
        manager = manager or self.manager(**overrides)
        app = _APPS.get((adapter, id(manager)))
        serve = SERVERS.get(adapter)
        if app is None:
            app = FACTORIES[adapter](manager) if serve is None else serve(manager)
            if manager not in self._closing:
                _APPS[adapter, id(manager)] = app
            elif serve is not None:
                self._servers.append(app)
        transport = httpx.ASGITransport(app=app) if serve is None else app.transport()
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    async def close(self) -> None:
        """Close the connections of the managers built for this test alone."""
        for server in self._servers:
            server.stop()
        for manager in self._closing:
            await manager.aclose()


def skip_shared_memory(options: Mapping[str, Any], *adapters: str) -> None:
    """Skip a test that needs one memory store shared by several apps when one of them
    is served by another process (Robyn): a memory store lives in one process."""
    if options["backend"] == "memory" and any(a in SERVERS for a in adapters):
        pytest.skip("a memory store lives in one process; this app is served by another")


@contextmanager
def transport_to(adapter: str, manager: SessionManager) -> Iterator[httpx.AsyncBaseTransport]:
    """A transport to a new contract app of *adapter* for *manager*: the ASGI app in
    process, or (a framework that is not ASGI) a real loopback server, stopped after."""
    serve = SERVERS.get(adapter)
    if serve is None:
        yield httpx.ASGITransport(app=FACTORIES[adapter](manager))
        return
    server = serve(manager)
    try:
        yield server.transport()
    finally:
        server.stop()


def _share_memory(manager: SessionManager) -> None:
    """Give a memory manager the first memory manager's store."""
    backend = manager.backend
    if isinstance(backend, MemoryStore):
        if _MEMORY:
            backend._storage = _MEMORY[0]._storage  # there is no public way to share one
        else:
            _MEMORY.append(backend)


@pytest.fixture
async def apps(backend_options: dict[str, Any]) -> AsyncIterator[Apps]:
    """The contract apps of one test."""
    built = Apps(backend_options)
    try:
        yield built
    finally:
        await built.close()
