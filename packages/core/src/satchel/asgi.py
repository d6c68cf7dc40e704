"""Core's answers in ASGI form, for every adapter of an ASGI framework.

What a client gets when the store is down, and what a server does with settings
that were refused, are decided once (`satchel.answers`); these functions only
send them as ASGI messages, so that satchel-asgi, satchel-starlette and
satchel-muffin cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from satchel.answers import MISCONFIGURED, Answer, log_unavailable
from satchel.errors import BackendUnavailable

Scope = MutableMapping[str, Any]
"""An ASGI connection scope."""
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
"""An ASGI receive callable."""
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
"""An ASGI send callable."""
App = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI application."""

__all__ = ["guard", "refuse", "send_answer"]

_STARTS = frozenset({"http.response.start", "websocket.accept"})


async def send_answer(answer: Answer, scope: Scope, send: Send) -> None:
    """Send *answer* in place of the application's response (a WebSocket is closed)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": answer.close_code})
        return
    await send(
        {"type": "http.response.start", "status": answer.status, "headers": answer.raw_headers}
    )
    await send({"type": "http.response.body", "body": answer.body})


async def refuse(error: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve a connection of an application whose session settings were refused.

    The lifespan start-up fails with the message (the server exits instead of
    serving), and *error* is raised as a framework's router would; without a
    lifespan, a request gets `MISCONFIGURED`. Log the error once, where it is caught.
    """
    if scope["type"] != "lifespan":
        await send_answer(MISCONFIGURED, scope, send)
        return
    await receive()  # lifespan.startup
    await send({"type": "lifespan.startup.failed", "message": f"{type(error).__name__}: {error}"})
    raise error


async def guard(app: App, answer: Answer, scope: Scope, receive: Receive, send: Send) -> None:
    """Run *app*, answering a `BackendUnavailable` it raises (a store it loads or
    revokes through) with *answer*, unless a response has started."""
    started = False

    async def watch(message: MutableMapping[str, Any]) -> None:
        nonlocal started
        started = started or message["type"] in _STARTS
        await send(message)

    try:
        await app(scope, receive, watch)
    except BackendUnavailable as error:
        if started or scope["type"] == "lifespan":
            raise
        log_unavailable(error)
        await send_answer(answer, scope, send)
