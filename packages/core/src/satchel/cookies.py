"""The default `CookiePolicy`: find the session cookie, render Set-Cookie, chunk large values.

A cookie whose name and value exceed 4096 bytes is ignored by browsers
without a word, so a large session is split across numbered cookies: the
main cookie holds ``chunks-N`` and ``<name>.1`` ... ``<name>.N`` hold the parts,
in numeric order. Stale chunks from a larger previous session are deleted.
"""

from __future__ import annotations

from collections.abc import Mapping

from satchel.errors import BadCookie, SessionTooLarge
from satchel.records import CookieValue
from satchel.settings import MAX_COOKIE_AGE, SessionSettings

COOKIE_LIMIT = 4096
"""Browsers ignore a cookie whose name and value together exceed this many bytes."""

_CHUNKS_PREFIX = "chunks-"
_MAX_AGE_CAP = int(MAX_COOKIE_AGE.total_seconds())
_EXPIRED = "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


class DefaultCookiePolicy:
    """Cookie attributes fixed at start-up; each request only formats a value."""

    __slots__ = ("_attributes", "_chunk_names", "_ours", "chunking", "max_chunks", "name")

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
    ) -> None:
        self.name = name
        self.chunking = chunking
        self.max_chunks = max_chunks
        self._chunk_names = tuple(f"{name}.{i}" for i in range(1, max_chunks + 1))
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
        )

    @property
    def max_value_size(self) -> int:
        """The longest cookie value this policy can send, over all chunks."""
        if not self.chunking:
            return COOKIE_LIMIT - len(self.name)
        return sum(COOKIE_LIMIT - len(n) for n in self._chunk_names)

    def read(self, cookies: Mapping[str, str] | str | None) -> CookieValue | None:
        """The session cookie in *cookies*, reassembled; see `CookiePolicy.read`."""
        if not cookies:
            return None
        jar: Mapping[str, str]
        if isinstance(cookies, str):
            if self.name not in cookies:
                return None
            jar = self._parse(cookies)
        else:
            jar = cookies
        value = jar.get(self.name)
        if value is None:
            return None
        if not value.startswith(_CHUNKS_PREFIX):
            return CookieValue(value)
        count = value[len(_CHUNKS_PREFIX) :]
        if not count.isdigit() or not 2 <= int(count) <= self.max_chunks:
            raise BadCookie("bad chunk count")
        parts = []
        for name in self._chunk_names[: int(count)]:
            part = jar.get(name)
            if not part:
                raise BadCookie("a cookie chunk is missing")
            parts.append(part)
        return CookieValue("".join(parts), len(parts))

    def _parse(self, header: str) -> dict[str, str]:
        """Our cookies from a raw Cookie header; a name sent twice is cookie tossing."""
        jar: dict[str, str] = {}
        ours = self._ours
        for pair in header.split(";"):
            name, sep, value = pair.partition("=")
            name = name.strip()
            if not sep or name not in ours:
                continue
            if name in jar:
                raise BadCookie(f"cookie {name!r} sent twice")
            value = value.strip()
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
        if len(self.name) + len(value) <= COOKIE_LIMIT:
            headers = [f"{self.name}={value}{tail}"]
            if stale:
                headers.extend(self._expire(self._chunk_names[:stale]))
            return headers
        return self._render_chunks(value, tail, stale)

    def _render_chunks(self, value: str, tail: str, stale: int) -> list[str]:
        limit = self.max_value_size
        if not self.chunking or len(value) > limit:
            raise SessionTooLarge(len(value), limit)
        headers: list[str] = []
        start = 0
        for name in self._chunk_names:
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
