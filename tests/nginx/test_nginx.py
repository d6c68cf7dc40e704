"""Session cookies every server accepts: through a real nginx with its default limits.

Measured with Debian's nginx 1.22 (defaults: ``large_client_header_buffers 4 8k``,
``proxy_buffer_size`` one 4 KB page): a request's Cookie header line may hold 8,192
bytes with its CRLF, a value of 8,182 (gunicorn's ``limit_request_field_size`` of
8,190 allows the same), else a 400; the headers of the application's response must
fit in 4,096 bytes, every Set-Cookie included, else a 502. Both happen on every
request once a session is too large, logout included. satchel's default keeps the
session's cookies within 3,072 bytes of the Cookie header, which fits both ways.
"""

from __future__ import annotations

import json

import pytest
from nginx.conftest import Proxy
from support import Jar

pytestmark = pytest.mark.slow

NGINX_COOKIE_LIMIT = 8182
"""The longest Cookie header value stock nginx passes."""
SESSION_BUDGET = 3072
"""The default ``cookie_max_bytes``."""


def _grow_to_the_limit(proxy: Proxy, jar: Jar) -> None:
    """Grow the session by ever smaller steps until one more character is refused,
    every request through nginx."""
    for step in (512, 64, 8, 1):
        while True:
            answer = proxy.browse(jar, "POST", f"/grow/{step}")
            if answer.status == 413:
                assert answer.set_cookies == []  # refused whole: the browser keeps its cookie
                break
            assert answer.status == 200, answer.body[:200]
            assert proxy.requests < 80  # bounded, whatever the compression does


def _state(proxy: Proxy, jar: Jar) -> dict[str, object]:
    answer = proxy.browse(jar, "GET", "/state")
    assert answer.status == 200, answer.body[:200]
    assert answer.set_cookies == []
    state: dict[str, object] = json.loads(answer.body)
    return state


def test_the_largest_default_session_passes_stock_nginx_both_ways_with_room_to_spare(
    proxy: Proxy,
) -> None:
    jar = Jar()
    _grow_to_the_limit(proxy, jar)
    assert list(jar.cookies) == ["session"]
    header = len(jar.header)
    assert SESSION_BUDGET - 8 < header <= SESSION_BUDGET
    state = _state(proxy, jar)
    assert state["cookie_header"] == header

    # one more character is refused with SessionTooLarge, and nothing is lost
    assert proxy.browse(jar, "POST", "/grow/1").status == 413
    assert _state(proxy, jar) == state

    # writing the largest session leaves the response room for 700 bytes of the app's
    # own headers (past nginx's 4 KB buffer, a 502 shows what is measured)
    rewritten = proxy.browse(jar, "POST", "/grow/0?pad=700")
    assert (rewritten.status, len(rewritten.set_cookies)) == (200, 1)
    assert proxy.send("POST", "/grow/0?pad=1200", jar.header).status == 502

    # the app's other cookies may take the rest of what nginx accepts, and no more
    room = NGINX_COOKIE_LIMIT - header - len("; ")
    assert room >= NGINX_COOKIE_LIMIT - SESSION_BUDGET - 2 == 5108
    other = "other=" + "o" * (room - len("other="))
    full = proxy.send("GET", "/state", f"{jar.header}; {other}")
    assert full.status == 200
    assert json.loads(full.body)["cookie_header"] == NGINX_COOKIE_LIMIT
    assert proxy.send("GET", "/state", f"{jar.header}; {other}o").status == 400

    # logout always works, and leaves no cookie behind
    assert proxy.browse(jar, "POST", "/logout").status == 200
    assert jar.cookies == {}


def test_a_client_that_drops_a_chunk_has_every_chunk_expired_and_starts_clean(
    proxy: Proxy,
) -> None:
    """curl keeps 8,190 bytes of cookies and drops what is past them: a session left
    with part of its chunks (issued under a larger cookie_max_bytes) is fresh, and the
    response expires every chunk, so no stale chunk comes back."""
    jar = Jar()
    jar.cookies = {"session": "chunks-3", "session.1": "a" * 4000, "session.2": "b" * 4000}
    answer = proxy.browse(jar, "GET", "/state")
    assert answer.status == 200
    assert json.loads(answer.body)["size"] == 0
    expired = sorted(c.split("=")[0] for c in answer.set_cookies if "Max-Age=0" in c)
    assert expired == ["session", "session.1", "session.2"]
    assert jar.cookies == {}
    assert _state(proxy, jar) == {"size": 0, "digest": _EMPTY, "cookie_header": 0}


_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
"""SHA-256 of nothing: an empty session."""
