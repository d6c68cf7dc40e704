"""Muffin responses: muffin-session's HTML redirect page, escaped, core's answers, and
responses a session was saved into."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Generator
from typing import Any, cast
from urllib.parse import quote, urlsplit

from asgi_tools import Response, ResponseHTML
from asgi_tools.types import TASGIReceive, TASGIScope, TASGISend
from typing_extensions import Self

from satchel.answers import Answer

_PAGE = (
    '<!doctype html><html><head><meta http-equiv="refresh" content="0; url={url}"></head>'
    '<body>Please follow <a href="{url}">this link</a> if you are not redirected.</body></html>'
)


def same_origin(location: str) -> bool:
    """Whether *location* is a path on this site: ``/`` then anything but a second ``/``
    or a ``\\`` (``//evil.example/`` is another site), with no space, quote, backslash
    or control character anywhere (a browser may drop or reinterpret them)."""
    return (
        location.startswith("/")
        and location[1:2] not in ("/", "\\")
        and location.isprintable()
        and not any(c in location for c in " \\\"'<>`")
    )


def _absolute(location: str) -> bool:
    parts = urlsplit(location)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and location.isprintable()
        and not any(c in location for c in " \\\"'<>`")
    )


class ResponseHTMLRedirect(ResponseHTML, BaseException):
    """A page sending the browser on to *location* (a `Plugin` ``redirect_type`` for
    clients that drop cookies set on a 3xx). Unlike muffin-session's, the location must
    be a path on this site or an absolute http(s) URL written in the app, never a
    ``javascript:`` or scheme-relative (``//host``) one, and it is HTML-escaped."""

    def __init__(
        self,
        location: str,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        if not (same_origin(location) or _absolute(location)):
            raise ValueError("a redirect location must be a path on this site or http(s) URL")
        page = _PAGE.format(url=html.escape(location))  # quotes escaped too
        super().__init__(page, status_code=status_code, headers=headers, content_type=content_type)
        self.headers["location"] = quote(location, safe=":/?#[]@!$&'()*+,;=%~")


class ResponseAnswer(Response):
    """Core's `satchel.answers.Answer` as a Muffin response (a WebSocket gets its close code)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body, status_code=answer.status, headers=dict(answer.headers))
        self.close_code = answer.close_code

    async def __call__(self, scope: TASGIScope, receive: TASGIReceive, send: TASGISend) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": self.close_code})
        else:
            await super().__call__(scope, receive, send)


_PENDING = "_satchel_pending"


class SavedResponse(Response):
    """A response a session was saved into, as `Plugin.save_to_response`, ``login`` and
    ``logout`` return it: the very object given, its class extended by this one (so
    isinstance holds as before), and awaitable to itself, so those calls work awaited
    or not. A save a store backend still has to write is done when the response is
    awaited, or else when Muffin sends it."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, Self]:
        pending: Awaitable[Any] | None = self.__dict__.pop(_PENDING, None)
        if pending is not None:
            yield from pending.__await__()
        return self

    async def __call__(self, scope: TASGIScope, receive: TASGIReceive, send: TASGISend) -> None:
        pending: Awaitable[Any] | None = self.__dict__.pop(_PENDING, None)
        if pending is not None:
            await pending
        await super().__call__(scope, receive, send)


_SAVED: dict[type[Response], type[SavedResponse]] = {}


def saved(response: Response, pending: Awaitable[Any] | None = None) -> SavedResponse:
    """*response* itself as a `SavedResponse`, with *pending*: the save still to do."""
    if not isinstance(response, SavedResponse):
        kind = type(response)
        extended = _SAVED.get(kind)
        if extended is None:
            body = {"__slots__": (), "__module__": kind.__module__, "__doc__": kind.__doc__}
            extended = _SAVED[kind] = type(kind.__name__, (SavedResponse, kind), body)
        response.__class__ = extended
    if pending is not None:
        before = response.__dict__.get(_PENDING)
        response.__dict__[_PENDING] = pending if before is None else _both(before, pending)
    return cast("SavedResponse", response)


async def _both(first: Awaitable[Any], then: Awaitable[Any]) -> None:
    await first
    await then
