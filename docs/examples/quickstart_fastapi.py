"""A FastAPI app with sessions: a typed cart, flash messages, login and logout (app.py)."""

from typing import Annotated

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from starlette.middleware import Middleware

from satchel_starlette import SessionMiddleware
from satchel_starlette.fastapi import SessionDep, SessionModel


class Cart(BaseModel):
    """The part of the session this app types (give every field a default)."""

    items: list[str] = []


CartDep = Annotated[Cart, SessionModel(Cart)]  # the session's data, validated as a Cart

# SESSION_* variables configure it, checked as the app starts (a bad one stops it);
# development=True: without SESSION_SECRET_KEY, a key is generated, with a warning.
app = FastAPI(middleware=[Middleware(SessionMiddleware, development=True)])


@app.get("/cart")
async def show_cart(cart: CartDep) -> Cart:
    return cart  # only read: nothing is written, no Set-Cookie


@app.post("/cart/{item}")
async def add_to_cart(item: str, cart: CartDep, session: SessionDep) -> Cart:
    cart.items.append(item)
    if len(cart.items) > 3:
        raise HTTPException(409, "a cart holds three items")  # nothing is written back
    session.flash(f"{item} added")
    return cart  # written back into the session as the endpoint returns


@app.get("/messages")
async def messages(session: SessionDep) -> list[str]:
    return [flash.message for flash in session.pop_flashes()]  # each shown once


@app.post("/login")
async def login(session: SessionDep) -> dict[str, str]:
    session.login("alice")  # a new session identity; the cart stays
    return {"user": session.user_id}


@app.post("/logout")
async def logout(session: SessionDep) -> dict[str, str | None]:
    session.logout()  # everything goes; the browser is told to drop the cookie
    return {"user": session.user_id}
