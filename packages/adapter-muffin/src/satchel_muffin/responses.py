"""`ResponseHTMLRedirect`: muffin-session's HTML redirect page, with its location escaped."""

from __future__ import annotations

import html
from urllib.parse import quote, urlsplit

from asgi_tools import ResponseHTML

_PAGE = (
    "<!doctype html><html><head>"
    '<meta http-equiv="refresh" content="0; url={url}">'
    "</head><body>"
    'Please follow <a href="{url}">this link</a> if you are not redirected.'
    "</body></html>"
)
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_SCHEMES = frozenset({"", "http", "https"})


class ResponseHTMLRedirect(ResponseHTML, BaseException):
    """A page that sends the browser on to *location* with a meta refresh and a link.

    Use it as `Plugin`'s ``redirect_type`` for clients that drop cookies set on a
    3xx response. Unlike muffin-session's, the location is HTML-escaped, there is
    no script, and only relative, ``http`` and ``https`` URLs are accepted, so a
    location taken from the request cannot inject markup or a ``javascript:`` URL.
    """

    def __init__(
        self,
        location: str,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        if urlsplit(location).scheme.lower() not in _SCHEMES:
            raise ValueError("a redirect location must be relative, http or https")
        super().__init__(
            _PAGE.format(url=html.escape(location, quote=True)),
            status_code=status_code,
            headers=headers,
            content_type=content_type,
        )
        self.headers["location"] = quote(location, safe=_URL_SAFE)
