"""FastAPI dependencies: the session, and its data as a validated pydantic model.

Needs FastAPI (``pip install 'satchel-starlette[fastapi]'``)::

    async def add(item: int, session: SessionDep, cart: Annotated[Cart, SessionModel(Cart)]):
        cart.items.append(item)  # written back to the session when the endpoint returns
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from satchel import Session
from satchel_starlette.helpers import get_session

M = TypeVar("M", bound=BaseModel)


async def session_dependency(connection: HTTPConnection) -> Session:
    """Same as `get_session`, but loaded (with ``autoload=False`` too): `SessionDep`'s."""
    session = get_session(connection)
    await session.load()
    return session


SessionDep = Annotated[Session, Depends(session_dependency)]
"""The request's `satchel.Session`, loaded: ``async def view(session: SessionDep)``."""


@functools.cache
def _model_dependency(model: type[M]) -> Callable[..., AsyncIterator[M]]:
    """One dependency per model class, so that FastAPI shares its value within a request."""

    async def dependency(session: SessionDep) -> AsyncIterator[M]:
        instance = session.as_model(model)
        before = instance.model_dump(mode="json")
        yield instance
        if instance.model_dump(mode="json") != before:  # a model only read writes nothing
            session.set_model(instance)

    return dependency


def SessionModel(model: type[BaseModel]) -> Any:  # named like FastAPI's Depends
    """The session's data validated as *model* (``Annotated[Cart, SessionModel(Cart)]``),
    written back when the endpoint returns (not when it raises). Data that does not fit
    ends the session, as `satchel.Session.as_model` does: give every field a default."""
    return Depends(_model_dependency(model), scope="function")
