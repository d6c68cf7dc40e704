"""The answers every adapter gives when it cannot serve a request's session.

Defined once here, so that a store outage or invalid settings look the same to
clients and operators whatever the framework: adapters only send them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger("satchel")


@dataclass(frozen=True)
class Answer:
    """A response that replaces the application's: status, body, headers, and the
    close code a WebSocket handshake gets instead.

    Pass your own to an adapter's ``unavailable=`` to change the store-down answer
    (a branded page, another ``Retry-After``), the same way in every adapter.
    """

    status: int
    body: bytes
    close_code: int
    """The WebSocket close code (1013 "try again later", 1011 "internal error")."""
    retry_after: int | None = None
    """Seconds in ``Retry-After``, or None to send none."""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = field(init=False, repr=False)
    """Every header of the answer; ``Cache-Control: no-store`` so no cache keeps it."""

    def __post_init__(self) -> None:
        headers = [("content-type", self.content_type), ("content-length", str(len(self.body)))]
        if self.retry_after is not None:
            headers.append(("retry-after", str(self.retry_after)))
        headers.append(("cache-control", "no-store"))
        object.__setattr__(self, "headers", tuple(headers))

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers` as ASGI takes them."""
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]


UNAVAILABLE = Answer(
    503, b"The session store is unavailable; please try again shortly.\n", 1013, retry_after=5
)
"""The answer when the session store cannot be reached (`BackendUnavailable`)."""

MISCONFIGURED = Answer(500, b"The session settings are invalid; the server's log says why.\n", 1011)
"""The answer of an application whose session settings were refused, where the
framework had no start-up step to refuse them at (``--lifespan off``)."""


def log_unavailable(error: BaseException) -> None:
    """One WARNING per request refused because the store is down: the reason only,
    never a cookie or a secret (a `BackendUnavailable` message holds neither)."""
    logger.warning("session store unavailable, request refused: %s", error)


def log_misconfigured(error: BaseException) -> None:
    """The ERROR an application logs once when its session settings are refused
    (a `ConfigurationError` message names settings, never a secret's value)."""
    logger.error("invalid session settings, refusing to serve: %s", error)
