"""The FastAPI dependencies: SessionDep and SessionModel."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import pytest
from pydantic import BaseModel
from starlette.middleware import Middleware
from support import SECRET

from satchel import Session
from satchel_starlette import SessionMiddleware

fastapi = pytest.importorskip("fastapi")  # the [fastapi] extra

from fastapi import FastAPI, HTTPException, WebSocket  # noqa: E402

from satchel_starlette.fastapi import SessionDep, SessionModel  # noqa: E402

if TYPE_CHECKING:
    from starlette.testclient import TestClient

pytestmark = pytest.mark.anyio
Client = Callable[..., httpx.AsyncClient]


class Cart(BaseModel):
    items: list[int] = []
    note: str = ""


CartDep = Annotated[Cart, SessionModel(Cart)]


def make_app(**options: Any) -> FastAPI:
    app = FastAPI(middleware=[Middleware(SessionMiddleware, secret_key=SECRET, **options)])

    @app.get("/session")
    async def session_view(session: SessionDep) -> dict[str, Any]:
        session["visits"] = session.get("visits", 0) + 1
        return {"type": type(session).__name__, "data": dict(session)}

    @app.get("/cart")
    async def show(cart: CartDep) -> Cart:
        return cart

    @app.post("/cart/{item}")
    async def add(item: int, cart: CartDep, again: CartDep, session: SessionDep) -> Cart:
        assert again is cart  # one model per request, however many parameters ask
        cart.items.append(item)
        session["last"] = item
        return cart

    @app.post("/cart/{item}/refused")
    async def refuse(item: int, cart: CartDep) -> Cart:
        cart.items.append(item)
        raise HTTPException(status_code=409, detail="out of stock")

    @app.websocket("/ws")
    async def socket(websocket: WebSocket, session: SessionDep) -> None:
        await websocket.accept()
        await websocket.send_json({"type": type(session).__name__, "data": dict(session)})
        await websocket.close()

    return app


async def test_session_dep_is_the_satchel_session(http: Client) -> None:
    async with http(make_app()) as client:
        assert (await client.get("/session")).json() == {"type": "Session", "data": {"visits": 1}}
        assert (await client.get("/session")).json()["data"] == {"visits": 2}


async def test_session_dep_loads_the_session_under_explicit_loading(http: Client) -> None:
    async with http(make_app(autoload=False)) as client:
        assert (await client.get("/session")).json()["data"] == {"visits": 1}
        assert (await client.get("/session")).json()["data"] == {"visits": 2}


async def test_session_model_is_validated_and_its_changes_written_back(http: Client) -> None:
    async with http(make_app()) as client:
        assert (await client.get("/cart")).json() == {"items": [], "note": ""}
        await client.post("/cart/3")
        assert (await client.post("/cart/4")).json() == {"items": [3, 4], "note": ""}
        assert (await client.get("/cart")).json()["items"] == [3, 4]
        assert (await client.get("/session")).json()["data"]["last"] == 4


async def test_a_model_only_read_sends_no_cookie(http: Client) -> None:
    async with http(make_app()) as client:
        assert "set-cookie" not in (await client.get("/cart")).headers  # not even defaults
        await client.post("/cart/1")
        assert "set-cookie" not in (await client.get("/cart")).headers


async def test_a_model_changed_by_an_endpoint_that_raises_is_not_written(http: Client) -> None:
    async with http(make_app()) as client:
        await client.post("/cart/1")
        refused = await client.post("/cart/2/refused")
        assert refused.status_code == 409
        assert "set-cookie" not in refused.headers
        assert (await client.get("/cart")).json()["items"] == [1]


def test_session_dep_serves_websocket_endpoints(testclient: type[TestClient]) -> None:
    with testclient(make_app()) as client:
        client.get("/session")
        with client.websocket_connect("/ws") as websocket:
            assert websocket.receive_json() == {"type": "Session", "data": {"visits": 1}}


def test_session_dep_annotation_is_satchels_session() -> None:
    assert SessionDep.__origin__ is Session  # type: ignore[attr-defined]


def test_plain_starlette_use_never_imports_fastapi() -> None:
    code = (
        "import sys, satchel_starlette\n"
        "assert 'fastapi' not in sys.modules\n"
        "satchel_starlette.SessionDep\n"
        "assert 'fastapi' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
