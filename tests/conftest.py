"""Fixtures shared by every test package: settings, a frozen clock, a manager."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from support import FrozenClock, make_settings

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
