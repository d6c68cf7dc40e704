"""The Muffin app of the cross-adapter contract (tests/contract/apps/muffin.py), every route
driven once, on a cookie and a store backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import muffin
import pytest
from contract.apps.muffin import make_app
from support import START, FrozenClock

from satchel import SessionManager

pytestmark = pytest.mark.anyio

Client = Callable[[muffin.Application], httpx.AsyncClient]


@pytest.mark.parametrize("backend", ["signed", "memory"])
async def test_contract_app_serves_every_route(
    backend: str,
    frozen_manager: Callable[..., SessionManager],
    clock: FrozenClock,
    http: Client,
) -> None:
    app = make_app(frozen_manager(backend=backend, max_age=3600))
    async with http(app) as client:
        response = await client.get("/untouched")
        assert response.json() == {"ok": True}
        assert "set-cookie" not in response.headers
        assert (await client.get("/get")).json() == {"data": {}, "is_new": True}

        assert (await client.post("/set", json={"a": 1})).json() == {"data": {"a": 1}}
        assert (await client.get("/get")).json() == {"data": {"a": 1}, "is_new": False}
        response = await client.post("/append", json={"key": "l", "value": 2})
        assert response.json() == {"data": {"a": 1, "l": [2]}}
        response = await client.post("/append", json={"key": "l", "value": 3})
        assert response.json() == {"data": {"a": 1, "l": [2, 3]}}

        before = client.cookies["session"]
        clock.advance(1)  # a regenerated session starts its lifetime again, from now
        response = await client.post("/regenerate")
        assert response.json() == {"data": {"a": 1, "l": [2, 3]}}
        assert client.cookies["session"] != before

        assert (await client.post("/flash", json={"message": "hi"})).json() == {"ok": True}
        await client.post("/flash", json={"message": "careful", "category": "warning"})
        assert (await client.get("/flashes")).json() == {
            "flashes": [["info", "hi"], ["warning", "careful"]]
        }
        assert (await client.get("/flashes")).json() == {"flashes": []}

        assert (await client.post("/login", json={"user_id": 42})).json() == {"user_id": 42}
        assert (await client.get("/whoami")).json() == {"user_id": 42}

        assert (await client.get("/model")).json() == {"cart": {"items": [], "owner": None}}
        response = await client.post("/model", json={"item": 5})
        assert response.json() == {"cart": {"items": [5], "owner": None}}
        assert (await client.get("/model")).json() == {"cart": {"items": [5], "owner": None}}

        clock.advance(10)
        await client.post("/set", json={"b": 2})
        meta = (await client.get("/metadata")).json()
        created = datetime.fromisoformat(meta["created"])
        assert created.timestamp() == START + 1
        assert datetime.fromisoformat(meta["last_seen"]).timestamp() == START + 11
        assert datetime.fromisoformat(meta["expires"]) == created + timedelta(hours=1)

        assert (await client.post("/logout")).json() == {"ok": True}
        assert (await client.get("/whoami")).json() == {"user_id": None}
        assert (await client.post("/set", json={"c": 3})).json() == {"data": {"c": 3}}
        assert (await client.post("/clear")).json() == {"data": {}}
        assert "session" not in client.cookies
        assert (await client.get("/get")).json() == {"data": {}, "is_new": True}
