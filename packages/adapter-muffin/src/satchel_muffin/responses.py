"""Muffin responses: muffin-session's HTML redirect page, escaped, and core's answers."""

from __future__ import annotations

import html
from urllib.parse import quote, urlsplit

from asgi_tools import Response, ResponseHTML
from asgi_tools.types import TASGIReceive, TASGIScope, TASGISend

from satchel.answers import Answer

_PAGE = (
    '<!doctype html><html><head><meta http-equiv="refresh" content="0; url={url}"></head>'
    '<body>Please follow <a href="{url}">this link</a> if you are not redirected.</body></html>'
)


class ResponseHTMLRedirect(ResponseHTML, BaseException):
    """A page sending the browser on to *location* (a `Plugin` ``redirect_type`` for
    clients that drop cookies set on a 3xx). Unlike muffin-session's, the location is
    HTML-escaped and must be relative, http or https: no markup, no ``javascript:``."""

    def __init__(
        self,
        location: str,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        if urlsplit(location).scheme.lower() not in ("", "http", "https"):
            raise ValueError("a redirect location must be relative, http or https")
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
