"""A Starlette and FastAPI user's code with satchel-starlette: mypy must accept it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from satchel import Flash, Session, SessionMetadata, SessionSettings
from satchel.answers import Answer
from satchel_starlette import (
    CookieStore,
    SessionAutoloadMiddleware,
    SessionMiddleware,
    WebSocket,
    get_session,
    get_session_metadata,
)
from satchel_starlette import Request as SessionRequest
from satchel_starlette.fastapi import SessionDep, SessionModel


class Cart(BaseModel):
    items: list[int] = []


starlette_app = Starlette(
    middleware=[
        Middleware(SessionMiddleware, secret_key=Secret("x" * 32), max_age=None, same_site="lax"),
        Middleware(SessionAutoloadMiddleware, paths=["/app"]),
    ]
)
starsessions_style = Middleware(
    SessionMiddleware, store=CookieStore(secret_key="x" * 32), lifetime=timedelta(days=1)
)
from_environment = Middleware(
    SessionMiddleware, development=True, unavailable=Answer(503, b"later", 1013, retry_after=30)
)
api = FastAPI(
    middleware=[Middleware(SessionMiddleware, SessionSettings(secret_key="x" * 32), autoload=False)]
)


async def page(request: Request) -> PlainTextResponse:
    session: Session = get_session(request)
    meta: SessionMetadata = get_session_metadata(request)
    session["seen"] = meta.created.isoformat()
    return PlainTextResponse("ok")


@api.post("/cart/{item}")
async def add(
    item: int, session: SessionDep, cart: Annotated[Cart, SessionModel(Cart)]
) -> list[int]:
    session.login("alice")
    cart.items.append(item)
    return cart.items


async def login(request: SessionRequest) -> PlainTextResponse:
    """``request.session`` is a `satchel.Session` for a request annotated with satchel's."""
    request.session.login("alice")
    session = request.session
    session |= {"theme": "dark"}
    flashes: list[Flash] = session.pop_flashes()
    return PlainTextResponse(str(len(flashes)))


async def chat(websocket: WebSocket) -> None:
    session: Session = websocket.session
    await websocket.send_text(str(session.user_id))


@api.get("/me")
async def me(request: SessionRequest) -> dict[str, str | None]:
    request.session.regenerate()
    return {"user": request.session.user_id, "theme": request.session.get("theme")}
