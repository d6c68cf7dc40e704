"""Fixtures of the Muffin adapter's tests.

Muffin needs Python 3.11+, and satchel-muffin is installed only there, so on
older Pythons nothing here is collected; the fixtures import Muffin lazily so
this file itself loads everywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from support import SECRET, FrozenClock, make_settings

from satchel import SessionManager

if TYPE_CHECKING:
    import muffin

    from satchel_muffin import Plugin

if sys.version_info < (3, 11):
    collect_ignore_glob = ["*.py"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every Muffin test runs under asyncio and trio."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_muffin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's MUFFIN_* variables (app and plugin options) out."""
    for name in list(os.environ):
        if name.upper().startswith("MUFFIN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def frozen_manager(clock: FrozenClock) -> Callable[..., SessionManager]:
    """A manager on the frozen clock, from test settings options."""

    def build(**options: Any) -> SessionManager:
        return SessionManager(make_settings(**options), clock=clock)

    return build


@pytest.fixture
def session_app() -> Callable[..., tuple[muffin.Application, Plugin]]:
    """A Muffin app with the plugin set up from keyword options (the test secret unless
    settings or a manager is given, none for ``secret_key=None``; auto-managed unless
    told otherwise) and
    five JSON routes: GET /get, POST /set, POST /login, POST /logout, GET /whoami."""
    import muffin

    from satchel_muffin import Plugin

    def build(
        app: muffin.Application | None = None, **options: Any
    ) -> tuple[muffin.Application, Plugin]:
        app = app or muffin.Application()
        secret = options.pop("secret_key", SECRET)
        if secret is not None and not {"manager", "settings"} & set(options):
            options["secret_key"] = secret
        options.setdefault("auto_manage", True)
        plugin = Plugin(app, **options)

        @app.route("/get")
        async def get(request: muffin.Request) -> dict[str, Any]:
            session = await plugin.load_from_request(request)
            return {"data": dict(session), "is_new": session.is_new}

        @app.route("/set", methods="POST")
        async def set_(request: muffin.Request) -> dict[str, Any]:
            session = await plugin.load_from_request(request)
            body = await request.json()
            assert isinstance(body, dict)
            session.update(body)
            return {"data": dict(session)}

        @app.route("/login", methods="POST")
        async def login(request: muffin.Request) -> dict[str, Any]:
            body = await request.json()
            assert isinstance(body, dict)
            user_id = body["user_id"]
            await plugin.login(request, user_id)
            return {"user_id": user_id}

        @app.route("/logout", methods="POST")
        async def logout(request: muffin.Request) -> dict[str, Any]:
            everywhere = request.url.query.get("everywhere") == "1"
            await plugin.logout(request, everywhere=everywhere)
            return {"ok": True}

        @app.route("/whoami")
        async def whoami(request: muffin.Request) -> dict[str, Any]:
            return {"user": await plugin.load_user(request)}

        return app, plugin

    return build


@pytest.fixture
def http() -> Callable[[muffin.Application], httpx.AsyncClient]:
    """An httpx client (a browser's cookie jar) talking to an app in-process."""

    def open_client(app: muffin.Application) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # receive's Mapping
        return httpx.AsyncClient(transport=transport, base_url="http://muffin.test")

    return open_client
