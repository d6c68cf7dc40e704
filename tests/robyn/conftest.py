"""Fixtures of the Robyn adapter's tests: real Robyn servers on loopback.

Robyn runs one server per process, so each app is served by a forked process group
(`contract_app.serve`) and killed when its test ends. ``tests/robyn`` is no package
(it would shadow Robyn itself), so its helper module is loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest
from support import SharedClock

from satchel import SessionManager

if TYPE_CHECKING:
    from robyn import Robyn

Serve = Callable[..., str]
"""Serve ``factory()`` (``processes=`` how many) and return its base URL."""


def _contract_app() -> ModuleType:
    """contract_app.py, which imports Robyn for the first time. Robyn parses the process's
    arguments on import (pytest's ``--co`` would be its ``--compile-rust-path``), so it
    is imported with none."""
    spec = importlib.util.spec_from_file_location(
        "robyn_contract_app", Path(__file__).with_name("contract_app.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        spec.loader.exec_module(module)
    finally:
        sys.argv = argv
    return module


CONTRACT_APP = _contract_app()


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serve apps on free loopback ports until the test ends."""
    started: list[object] = []

    def start(factory: Callable[[], Robyn], processes: int = 1) -> str:
        running = CONTRACT_APP.serve(factory, processes)
        started.append(running)
        url: str = running.url
        return url

    yield start
    for running in started:
        running.stop()  # type: ignore[attr-defined]


@pytest.fixture
def contract_app() -> Callable[[SessionManager], Robyn]:
    """The contract's route table as a Robyn app, its sessions from a manager."""
    make_app: Callable[[SessionManager], Robyn] = CONTRACT_APP.make_app
    return make_app


@pytest.fixture
def unused_redis_url() -> str:
    """A Redis URL on a loopback port where nothing listens: a store that is down."""
    port: int = CONTRACT_APP.free_port()
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def shared_clock() -> object:
    """A frozen clock a forked server reads too (`support.SharedClock`)."""
    return SharedClock()
