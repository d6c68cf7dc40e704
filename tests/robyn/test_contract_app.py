"""The Robyn app of the cross-adapter contract (tests/robyn/contract_app.py), every route
driven once over real HTTP, on a cookie and a store backend, on a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from robyn import Robyn
from support import START, FrozenClock, make_settings

from satchel import SessionManager


@pytest.mark.parametrize("backend", ["signed", "memory"])
def test_contract_app_serves_every_route_on_a_real_server(
    backend: str,
    serve: Callable[..., str],
    contract_app: Callable[[SessionManager], Robyn],
    shared_clock: Any,
) -> None:
    clock: FrozenClock = shared_clock  # the same interface, in shared memory
    manager = SessionManager(make_settings(backend=backend, max_age=3600), clock=clock)
    with httpx.Client(base_url=serve(lambda: contract_app(manager)), timeout=10) as client:
        response = client.get("/untouched")
        assert response.json() == {"ok": True}
        assert "set-cookie" not in response.headers
        assert client.get("/get").json() == {"data": {}, "is_new": True}

        assert client.post("/set", json={"a": 1}).json() == {"data": {"a": 1}}
        assert client.get("/get").json() == {"data": {"a": 1}, "is_new": False}
        response = client.post("/append", json={"key": "l", "value": 2})
        assert response.json() == {"data": {"a": 1, "l": [2]}}

        before = client.cookies["session"]
        clock.advance(1)  # the server's clock moves too
        assert client.post("/regenerate").json() == {"data": {"a": 1, "l": [2]}}
        assert client.cookies["session"] != before

        client.post("/flash", json={"message": "hi"})
        client.post("/flash", json={"message": "careful", "category": "warning"})
        flashes = client.get("/flashes").json()
        assert flashes == {"flashes": [["info", "hi"], ["warning", "careful"]]}
        assert client.get("/flashes").json() == {"flashes": []}

        assert client.post("/login", json={"user_id": 42}).json() == {"user_id": 42}
        assert client.get("/whoami").json() == {"user_id": 42}
        response = client.post("/model", json={"item": 5})
        assert response.json() == {"cart": {"items": [5], "owner": None}}
        assert client.get("/model").json() == {"cart": {"items": [5], "owner": None}}

        clock.advance(10)
        client.post("/set", json={"b": 2})
        meta = client.get("/metadata").json()
        created = datetime.fromisoformat(meta["created"])
        assert created.timestamp() == START + 1
        assert datetime.fromisoformat(meta["last_seen"]).timestamp() == START + 11
        assert datetime.fromisoformat(meta["expires"]) == created + timedelta(hours=1)

        assert client.post("/logout").json() == {"ok": True}
        assert client.get("/whoami").json() == {"user_id": None}
        client.post("/set", json={"c": 3})
        assert client.post("/clear").json() == {"data": {}}
        assert "session" not in client.cookies

        client.post("/set", json={"d": 4})
        clock.advance(3600)  # past max_age: the server, on the shared clock, refuses it
        assert client.get("/get").json() == {"data": {}, "is_new": True}
