"""Misuse of satchel-starlette that mypy must reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.middleware import Middleware

from satchel_starlette import Request, SessionMiddleware
from satchel_starlette.fastapi import SessionDep, SessionModel


class Cart(BaseModel):
    items: list[int] = []


api = FastAPI(middleware=[Middleware(SessionMiddleware, sesion_cookie="sid")])
other = Middleware(SessionMiddleware, same_site="sideways")


@api.post("/cart")
async def add(session: SessionDep, cart: Annotated[Cart, SessionModel(Cart)]) -> None:
    cart.items.append("three")
    session.regenerate(True)
    SessionModel(dict)


async def login(request: Request) -> None:
    request.session.login()
