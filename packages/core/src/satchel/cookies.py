"""The default `CookiePolicy`: find the session cookie, render Set-Cookie, chunk large values.

A cookie whose name and value exceed 4096 bytes is ignored by browsers
without a word, so a large session is split across numbered cookies: the
main cookie holds ``chunks-N`` and ``<name>.1`` ... ``<name>.N`` hold the parts,
in numeric order. Every request carries them all in one ``Cookie`` header and every
write sends them all as Set-Cookie, both of which servers cap, so the session's
cookies together stay within ``max_bytes`` (by default too few for chunks: see
`COOKIE_HEADER_BUDGET`). Chunk cookies a value no longer uses (stale, incomplete or
mismatched sets) are expired.
"""

from __future__ import annotations

from collections.abc import Mapping

from satchel.errors import BadCookie, SessionTooLarge
from satchel.records import CookieValue
from satchel.settings import MAX_COOKIE_AGE, SessionSettings

COOKIE_LIMIT = 4096
"""Browsers ignore a cookie whose name and value together exceed this many bytes."""

COOKIE_HEADER_BUDGET = 3072
"""The default most bytes a session's cookies take in a request's ``Cookie`` header
(names, ``=``, values and the ``; `` between them). Stock nginx 1.22 passes a Cookie
header value of up to 8,182 bytes (so does gunicorn), but answers 502 when the
response headers from the application exceed 4,096 bytes (``proxy_buffer_size``, one
memory page), every Set-Cookie included: 3,072 leaves about 750 of them for the
response's other headers."""

CHUNK_NAMES = 20
"""Chunk cookies ``<name>.1`` to ``<name>.20`` are recognised (and expired when stale)
whatever ``max_chunks`` is now, so lowering it cleans up what a larger one left."""

_CHUNKS_PREFIX = "chunks-"
_MAX_AGE_CAP = int(MAX_COOKIE_AGE.total_seconds())
_EXPIRED = "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
_OWS = " \t"
"""The only whitespace around a cookie's name and value (RFC 6265 sections 5.2 and 5.4):
``str.strip()`` would also drop U+00A0 and the like, turning a cookie no prefix rule
guarded (``\\xa0__Host-session``, settable from a sibling host) into ours."""


class _StaleChunks(BadCookie):
    """The request's session cookies are unusable as a set (a chunk missing, a chunk
    without its head, a bad count): `leftover` says what the response must expire."""

    def __init__(self, reason: str, leftover: CookieValue) -> None:
        super().__init__(reason)
        self.leftover = leftover


class DefaultCookiePolicy:
    """Cookie attributes fixed at start-up; each request only formats a value."""

    __slots__ = (
        "_attributes",
        "_chunk_index",
        "_chunk_names",
        "_max_send",
        "_ours",
        "chunking",
        "max_bytes",
        "max_chunks",
        "name",
    )

    def __init__(
        self,
        name: str = "session",
        *,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: str = "lax",
        partitioned: bool = False,
        chunking: bool = True,
        max_chunks: int = 3,
        max_bytes: int = COOKIE_HEADER_BUDGET,
    ) -> None:
        self.name = name
        self.chunking = chunking
        self.max_chunks = max_chunks
        self.max_bytes = max_bytes
        known = max(max_chunks, CHUNK_NAMES)
        self._chunk_names = tuple(f"{name}.{i}" for i in range(1, known + 1))
        self._chunk_index = {chunk: i for i, chunk in enumerate(self._chunk_names, 1)}
        self._ours = frozenset((name, *self._chunk_names))
        parts = [f"; Path={path}"]
        if domain is not None:
            parts.append(f"; Domain={domain}")
        if httponly:
            parts.append("; HttpOnly")
        if secure:
            parts.append("; Secure")
        parts.append(f"; SameSite={samesite.capitalize()}")
        if partitioned:
            parts.append("; Partitioned")
        self._attributes = "".join(parts)
        self._max_send = self._capacity()

    @classmethod
    def from_settings(cls, settings: SessionSettings) -> DefaultCookiePolicy:
        """The policy the settings describe."""
        return cls(
            settings.cookie_name,
            path=settings.cookie_path,
            domain=settings.cookie_domain,
            secure=settings.cookie_secure,
            httponly=settings.cookie_httponly,
            samesite=settings.cookie_samesite,
            partitioned=settings.cookie_partitioned,
            chunking=settings.cookie_chunking,
            max_chunks=settings.cookie_max_chunks,
            max_bytes=settings.cookie_max_bytes,
        )

    @property
    def max_value_size(self) -> int:
        """The longest cookie value this policy reads: what ``max_chunks`` chunks carry.
        It may exceed `max_send_size`, so that a session written under a larger
        ``max_bytes`` (or an earlier default) still loads."""
        if not self.chunking:
            return COOKIE_LIMIT - len(self.name)
        return sum(COOKIE_LIMIT - len(n) for n in self._chunk_names[: self.max_chunks])

    @property
    def max_send_size(self) -> int:
        """The longest cookie value this policy sends, within ``max_bytes`` of the
        Cookie header and ``max_chunks`` chunks; a longer one is `SessionTooLarge`."""
        return self._max_send

    def _capacity(self) -> int:
        name = len(self.name)
        best = max(min(COOKIE_LIMIT - name, self.max_bytes - name - 1), 0)
        if not self.chunking:
            return best
        carried = spent = 0  # value bytes the chunks hold; their names, "=" and "; "
        for count, chunk in enumerate(self._chunk_names[: self.max_chunks], 1):
            carried += COOKIE_LIMIT - len(chunk)
            spent += len(chunk) + 3
            head = name + 1 + len(_CHUNKS_PREFIX) + len(str(count))
            if count >= 2:
                best = max(best, min(carried, self.max_bytes - head - spent))
        return best

    def read(self, cookies: Mapping[str, str] | str | None) -> CookieValue | None:
        """The session cookie in *cookies*, reassembled; see `CookiePolicy.read`.

        Raises `_StaleChunks` (a `BadCookie`) for an unusable set of chunk cookies, and
        marks a usable value that came with chunk cookies it does not use as `stale`:
        either way the response expires what the request carried and does not need.
        A mapping is trusted as given: only a raw Cookie header shows a cookie sent
        twice or a name a parser trimmed.
        """
        if not cookies:
            return None
        jar: Mapping[str, str]
        if isinstance(cookies, str):
            if self.name not in cookies:
                return None
            jar = self._parse(cookies)  # only our names
        else:
            jar = cookies
        value = jar.get(self.name)
        if value is not None and len(jar) == 1:  # the common case: one cookie, no chunks
            carried = 0
        else:
            carried = max((i for n, i in self._chunk_index.items() if n in jar), default=0)
        if value is None:
            if carried:
                raise _StaleChunks("cookie chunks without their session cookie", _left(carried))
            return None
        if not value.startswith(_CHUNKS_PREFIX):
            return CookieValue(value, carried, carried > 0)
        count = value[len(_CHUNKS_PREFIX) :]
        if not (count.isascii() and count.isdigit()) or not 2 <= int(count) <= self.max_chunks:
            raise _StaleChunks("bad chunk count", _left(carried))
        parts = []
        for name in self._chunk_names[: int(count)]:
            part = jar.get(name)
            if not part:
                raise _StaleChunks("a cookie chunk is missing", _left(carried))
            parts.append(part)
        return CookieValue("".join(parts), max(carried, len(parts)), carried > len(parts))

    def _parse(self, header: str) -> dict[str, str]:
        """Our cookies from a raw Cookie header; a name sent twice is cookie tossing."""
        jar: dict[str, str] = {}
        ours = self._ours
        for pair in header.split(";"):
            name, sep, value = pair.partition("=")
            name = name.strip(_OWS)
            if not sep or name not in ours:
                continue
            if name in jar:
                raise BadCookie(f"cookie {name!r} sent twice")
            value = value.strip(_OWS)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            jar[name] = value
        return jar

    def render(
        self, value: str | None, *, max_age: int | None, previous: CookieValue | None
    ) -> list[str]:
        """Set-Cookie values for *value* (None deletes); see `CookiePolicy.render`."""
        stale = previous.chunks if previous is not None else 0
        if value is None:
            headers = [f"{self.name}={_EXPIRED}{self._attributes}"]
            headers.extend(self._expire(self._chunk_names[:stale]))
            return headers
        age = "" if max_age is None else f"; Max-Age={min(max(max_age, 0), _MAX_AGE_CAP)}"
        tail = f"{age}{self._attributes}"
        size = len(self.name) + len(value)
        if size <= COOKIE_LIMIT and size < self.max_bytes:
            headers = [f"{self.name}={value}{tail}"]
            if stale:
                headers.extend(self._expire(self._chunk_names[:stale]))
            return headers
        return self._render_chunks(value, tail, stale)

    def _render_chunks(self, value: str, tail: str, stale: int) -> list[str]:
        if len(value) > self._max_send:
            raise SessionTooLarge(len(value), self._max_send)
        headers: list[str] = []
        start = 0
        for name in self._chunk_names[: self.max_chunks]:
            if start >= len(value):
                break
            end = start + COOKIE_LIMIT - len(name)
            headers.append(f"{name}={value[start:end]}{tail}")
            start = end
        count = len(headers)
        headers.insert(0, f"{self.name}={_CHUNKS_PREFIX}{count}{tail}")
        headers.extend(self._expire(self._chunk_names[count:stale]))
        return headers

    def _expire(self, names: tuple[str, ...]) -> list[str]:
        return [f"{name}={_EXPIRED}{self._attributes}" for name in names]


def _left(carried: int) -> CookieValue:
    """What an unusable request leaves: the head and chunks 1 to *carried*, all to expire."""
    return CookieValue("", carried, True)
