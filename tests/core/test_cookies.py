"""The default cookie policy: attributes, deletion, chunking and reading."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support import Jar, make_settings

from satchel import BadCookie, DefaultCookiePolicy, SessionManager, SessionTooLarge
from satchel.backends import COOKIE_LIMIT, CookieValue


def _policy(**options: object) -> DefaultCookiePolicy:
    return DefaultCookiePolicy.from_settings(make_settings(**options))


def test_set_cookie_carries_every_configured_attribute() -> None:
    policy = _policy(
        cookie_name="__Secure-sid",
        cookie_domain="example.com",
        cookie_path="/app",
        cookie_secure=True,
        cookie_samesite="strict",
        cookie_partitioned=True,
    )
    [header] = policy.render("abc", max_age=60, previous=None)
    assert header == (
        "__Secure-sid=abc; Max-Age=60; Path=/app; Domain=example.com; HttpOnly; Secure; "
        "SameSite=Strict; Partitioned"
    )


def test_default_cookie_is_httponly_lax_and_host_only() -> None:
    [header] = _policy().render("v", max_age=10, previous=None)
    assert header == "session=v; Max-Age=10; Path=/; HttpOnly; SameSite=Lax"
    assert "Domain" not in header


def test_max_age_is_a_number_or_absent_never_none() -> None:
    [header] = _policy().render("v", max_age=None, previous=None)
    assert "Max-Age" not in header
    [negative] = _policy().render("v", max_age=-5, previous=None)
    assert "Max-Age=0;" in negative


def test_max_age_is_capped_at_400_days() -> None:
    [header] = _policy().render("v", max_age=10**9, previous=None)
    assert f"Max-Age={400 * 86400};" in header


def test_deletion_matches_path_domain_and_expires_in_the_past() -> None:
    policy = _policy(cookie_domain="example.com", cookie_path="/p")
    [header] = policy.render(None, max_age=None, previous=CookieValue("x"))
    assert header.startswith("session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert "Path=/p" in header
    assert "Domain=example.com" in header


def test_value_at_the_limit_fits_in_one_cookie() -> None:
    policy = _policy(cookie_max_bytes=12288)  # past the default 3 KB of cookies
    value = "a" * (COOKIE_LIMIT - len("session"))
    [header] = policy.render(value, max_age=1, previous=None)
    assert header.startswith(f"session={value};")


def test_large_value_is_split_into_numbered_chunks_with_a_count() -> None:
    policy = _policy(cookie_max_chunks=3, cookie_max_bytes=12288)
    value = "".join(chr(ord("a") + i % 26) for i in range(9000))
    headers = policy.render(value, max_age=1, previous=None)
    names = [h.split("=", 1)[0] for h in headers]
    assert names == ["session", "session.1", "session.2", "session.3"]
    assert headers[0].startswith("session=chunks-3;")
    for header in headers:
        name, _, rest = header.partition("=")
        assert len(name) + len(rest.split(";")[0]) <= COOKIE_LIMIT
    jar = "; ".join(h.split(";")[0] for h in headers)
    assert policy.read(jar) == CookieValue(value, 3)


def test_chunks_reassemble_in_numeric_order_whatever_the_header_order() -> None:
    policy = _policy(cookie_max_chunks=12, cookie_max_bytes=20 * 4096)
    value = "x" * 4000 + "y" * 4000 + "z" * 4000 + "w" * 4000 + "v" * 30000
    headers = policy.render(value, max_age=1, previous=None)
    pairs = [h.split(";")[0] for h in headers]
    assert len(pairs) == 13
    shuffled = "; ".join(sorted(pairs))  # lexical: session.10 before session.2
    assert policy.read(shuffled) == CookieValue(value, 12)


def test_stale_chunks_from_a_larger_session_are_deleted() -> None:
    policy = _policy()
    headers = policy.render("small", max_age=1, previous=CookieValue("x" * 9000, 3))
    assert headers[0].startswith("session=small;")
    deleted = [h.split("=")[0] for h in headers[1:]]
    assert deleted == ["session.1", "session.2", "session.3"]
    assert all("Max-Age=0" in h for h in headers[1:])


def test_shrinking_from_three_chunks_to_two_deletes_the_third() -> None:
    policy = _policy(cookie_max_bytes=12288)
    headers = policy.render("y" * 6000, max_age=1, previous=CookieValue("x" * 9000, 3))
    assert [h.split("=")[0] for h in headers] == ["session", "session.1", "session.2", "session.3"]
    assert "Max-Age=0" in headers[3]


def test_deleting_a_chunked_session_expires_every_chunk() -> None:
    headers = _policy().render(None, max_age=None, previous=CookieValue("x" * 9000, 3))
    assert len(headers) == 4
    assert all("Max-Age=0" in h for h in headers)


def test_over_the_chunk_cap_is_refused_with_the_size() -> None:
    policy = _policy(cookie_max_chunks=2)
    with pytest.raises(SessionTooLarge) as info:
        policy.render("z" * 9000, max_age=1, previous=None)
    assert info.value.size == 9000
    assert "9000" in str(info.value)


def test_without_chunking_an_oversize_cookie_is_refused() -> None:
    policy = _policy(cookie_chunking=False, cookie_max_bytes=12288)
    with pytest.raises(SessionTooLarge, match=r"4096|4089"):
        policy.render("z" * 5000, max_age=1, previous=None)


def test_reading_finds_the_cookie_among_others_and_unquotes() -> None:
    policy = _policy()
    assert policy.read('a=1; session="abc"; b=2') == CookieValue("abc")
    assert policy.read({"session": "abc"}) == CookieValue("abc")
    assert policy.read("sessionx=1; a=session") is None
    assert policy.read(None) is None
    assert policy.read("") is None


def test_a_cookie_sent_twice_is_refused_as_cookie_tossing() -> None:
    with pytest.raises(BadCookie, match="twice"):
        _policy().read("session=a; other=1; session=b")
    with pytest.raises(BadCookie) as info:  # which copy is ours is unknown: none expires
        _policy().read("session=chunks-2; session.1=a; session.1=b; session.2=c")
    assert not hasattr(info.value, "leftover")


@pytest.mark.parametrize(
    "header",
    [
        "session=chunks-3; session.1=a; session.2=b",
        "session=chunks-x; session.1=a",
        "session=chunks-1; session.1=a",
        "session=chunks-99; session.1=a",
        "session=chunks-2; session.1=a; session.2=",
    ],
)
def test_broken_chunk_sets_are_refused(header: str) -> None:
    with pytest.raises(BadCookie):
        _policy().read(header)


def test_the_default_policy_says_how_long_a_value_it_reads_and_sends() -> None:
    from satchel import LimitsCookieSize

    policy = _policy(cookie_max_chunks=2)
    assert isinstance(policy, LimitsCookieSize)
    assert policy.max_value_size == (COOKIE_LIMIT - len("session.1")) * 2  # read
    assert policy.max_send_size == 3072 - len("session=")  # sent: one cookie, by default
    raised = _policy(cookie_max_chunks=2, cookie_max_bytes=8192)
    # 8192 bytes of Cookie header less "session=chunks-2", "; session.1=", "; session.2="
    assert raised.max_send_size == 8192 - 40


# -- cookie whitespace: only SP and HTAB (RFC 6265 sections 5.2 and 5.4) ---------------------

UNICODE_SPACES = ["\xa0", "\x85", "\u2000", "\u3000", "\x0b", "\x0c", "\x1c", "\x1f"]
"""Characters `str.strip()` removes that are no cookie whitespace: U+00A0 and the others
reach the server when a framework decodes the Cookie header as UTF-8."""


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_a_name_padded_with_unicode_whitespace_is_not_the_host_prefixed_cookie(
    space: str,
) -> None:
    """A sibling host may set ``\xa0__Host-session`` with a Domain: no prefix rule guards
    that name, so reading it as ``__Host-session`` would log the victim into the
    attacker's session (or, beside the real one, lock them out as a duplicate)."""
    policy = _policy(cookie_name="__Host-session", cookie_secure=True)
    assert policy.read(" \t__Host-session \t= \tgood\t ;x=1") == CookieValue("good")
    assert policy.read(f"{space}__Host-session=evil") is None
    assert policy.read(f"__Host-session{space}=evil") is None
    real = f"__Host-session=good; {space}__Host-session=evil"
    assert policy.read(real) == CookieValue("good")
    assert policy.read(f"{space}__Host-session=evil; __Host-session=good") == CookieValue("good")


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_a_chunk_name_padded_with_unicode_whitespace_is_no_chunk(space: str) -> None:
    policy = _policy()
    with pytest.raises(BadCookie, match="missing"):
        policy.read(f"session=chunks-2; session.1=a; {space}session.2=b")
    assert policy.read(f"session=v; {space}session.1=a") == CookieValue("v")


@pytest.mark.parametrize("space", UNICODE_SPACES)
def test_a_value_keeps_unicode_whitespace_for_the_backend_to_refuse(space: str) -> None:
    assert _policy().read(f"session={space}abc{space}") == CookieValue(f"{space}abc{space}")


# -- what the request carried beyond its session: leftovers to expire -----------------------


def test_chunk_cookies_a_plain_value_does_not_use_are_stale() -> None:
    assert _policy().read("session=v; session.1=a; session.2=b") == CookieValue("v", 2, True)


def test_chunk_cookies_beyond_the_count_are_stale_and_the_value_kept() -> None:
    header = "session=chunks-2; session.1=a; session.2=b; session.3=c"
    assert _policy().read(header) == CookieValue("ab", 3, True)


def test_chunks_past_max_chunks_are_still_recognised_as_leftovers() -> None:
    """Lowering cookie_max_chunks (or the default) must not leave old chunks behind."""
    policy = _policy(cookie_max_chunks=2)
    incoming = policy.read("session=v; session.7=old")
    assert incoming == CookieValue("v", 7, True)
    headers = policy.render("v", max_age=1, previous=incoming)
    expired = [h.split("=")[0] for h in headers if "Max-Age=0" in h]
    assert expired == [f"session.{i}" for i in range(1, 8)]


@pytest.mark.parametrize(
    ("header", "carried"),
    [
        ("session=chunks-3; session.1=a; session.2=b", 2),  # incomplete (curl's cap)
        ("session.1=a; session.2=b", 2),  # chunks without their head
        ("session=chunks-x; session.1=a", 1),
        ("session=chunks-99", 0),
        ("session=chunks-2; session.2=b; session.4=d", 4),
    ],
)
def test_an_unusable_chunk_set_is_refused_with_everything_to_expire(
    header: str, carried: int
) -> None:
    with pytest.raises(BadCookie) as info:
        _policy().read(header)
    assert getattr(info.value, "leftover", None) == CookieValue("", carried, True)


# -- the size of the Cookie header ------------------------------------------------------------


def _header_bytes(set_cookies: list[str]) -> int:
    return len(Jar().receive(set_cookies).header)


def test_the_default_session_cookies_fit_3072_bytes_of_the_cookie_header() -> None:
    """Stock nginx passes a Cookie header of up to 8,182 bytes, but a response whose
    headers exceed its 4 KB buffer is a 502: 3,072 bytes of session cookie fit both."""
    policy = _policy()
    largest = "v" * policy.max_send_size
    [header] = policy.render(largest, max_age=1209600, previous=None)
    assert _header_bytes([header]) == 3072
    assert len(header) < 4096 - 900  # the Set-Cookie line, with its attributes
    with pytest.raises(SessionTooLarge) as info:
        policy.render(largest + "v", max_age=1, previous=None)
    assert (info.value.size, info.value.limit) == (3065, 3064)


def test_a_cookie_header_budget_of_any_size_is_kept_to_the_byte() -> None:
    for budget in (1024, 4096, 4097, 4200, 8182, 12288, 20000):
        for name in ("session", "__Host-s", "a-much-longer-session-cookie-name"):
            options = {"cookie_max_bytes": budget, "cookie_max_chunks": 5}
            policy = _policy(cookie_name=name, cookie_secure=True, **options)
            headers = policy.render("v" * policy.max_send_size, max_age=1, previous=None)
            assert _header_bytes(headers) <= budget
            assert budget - _header_bytes(headers) < 50  # close to it
            assert all(len(h.split(";")[0]) - 1 <= COOKIE_LIMIT for h in headers)
            with pytest.raises(SessionTooLarge):
                policy.render("v" * (policy.max_send_size + 1), max_age=1, previous=None)


def test_raising_cookie_max_bytes_lets_a_session_span_more_chunks() -> None:
    policy = _policy(cookie_max_bytes=12288)
    headers = policy.render("v" * 9000, max_age=1, previous=None)
    assert [h.split("=")[0] for h in headers] == ["session", "session.1", "session.2", "session.3"]
    assert _header_bytes(headers) <= 12288


def test_a_session_written_under_the_old_12_kb_default_still_loads() -> None:
    """Reading is bounded by max_chunks, not by the send budget: nobody is logged out by
    an upgrade; their next write over the budget is SessionTooLarge, which loses nothing."""
    old = _policy(cookie_max_bytes=12288)
    value = "v" * 12000
    jar = Jar().receive(old.render(value, max_age=1, previous=None))
    new = _policy()
    assert new.read(jar.header) == CookieValue(value, 3)
    assert new.max_value_size >= len(value) > new.max_send_size


# -- healing, through the engine -----------------------------------------------------------


async def _chunked(manager: SessionManager, fill: str = "b") -> Jar:
    session = await manager.load(None)
    session["blob"] = fill * 4000
    jar = Jar().receive(await manager.commit(session))
    assert {"session", "session.1", "session.2"} <= set(jar.cookies)
    return jar


def _expired(headers: list[str]) -> list[str]:
    return sorted(h.split("=")[0] for h in headers if "Max-Age=0" in h)


@pytest.fixture
def uncompressed(manager_factory: Callable[..., SessionManager]) -> SessionManager:
    """Sessions of 4,000 letters span two chunks: past the default 3 KB of cookies."""
    return manager_factory(compress=False, cookie_max_bytes=12288)


@pytest.mark.anyio
async def test_an_incomplete_chunk_set_is_expired_whole_even_when_only_read(
    uncompressed: SessionManager,
) -> None:
    """curl keeps 8,190 bytes of cookies and drops the rest: a session missing a chunk
    is fresh, and its response expires every chunk, so the next request starts clean."""
    jar = await _chunked(uncompressed)
    del jar.cookies["session.2"]
    session = await uncompressed.load(jar.header)
    assert dict(session) == {}
    headers = await uncompressed.commit(session)
    assert _expired(headers) == ["session", "session.1"]
    assert jar.receive(headers).cookies == {}
    assert await uncompressed.commit(session) == []  # healed once


@pytest.mark.anyio
async def test_a_new_session_written_over_an_incomplete_set_expires_its_chunks(
    uncompressed: SessionManager,
) -> None:
    jar = await _chunked(uncompressed)
    jar.cookies["session"] = "chunks-3"  # a chunk count the chunks do not match
    session = await uncompressed.load(jar.header)
    session["cart"] = [1]
    headers = await uncompressed.commit(session)
    assert _expired(headers) == ["session.1", "session.2"]
    jar.receive(headers)
    assert set(jar.cookies) == {"session"}
    assert dict(await uncompressed.load(jar.header)) == {"cart": [1]}


@pytest.mark.anyio
async def test_mismatched_chunks_are_expired_whole(uncompressed: SessionManager) -> None:
    first, second = await _chunked(uncompressed, "a"), await _chunked(uncompressed, "c")
    jar = Jar()
    jar.cookies = {**first.cookies, "session.2": second.cookies["session.2"]}
    session = await uncompressed.load(jar.header)
    assert dict(session) == {}
    headers = await uncompressed.commit(session)
    assert _expired(headers) == ["session", "session.1", "session.2"]


@pytest.mark.anyio
async def test_stale_chunks_beside_a_valid_session_are_expired_and_the_session_kept(
    uncompressed: SessionManager,
) -> None:
    """A small session whose earlier chunks were never expired (a lost response): it is
    still the user's, and a response that only reads it removes the leftovers."""
    large = await _chunked(uncompressed)
    session = await uncompressed.load(None)
    session["user_id"] = 5
    small = Jar().receive(await uncompressed.commit(session))
    jar = Jar()
    jar.cookies = {**large.cookies, "session": small.cookies["session"]}
    session = await uncompressed.load(jar.header)
    assert session["user_id"] == 5
    headers = await uncompressed.commit(session)
    assert _expired(headers) == ["session.1", "session.2"]
    jar.receive(headers)
    assert jar.cookies == small.cookies
    assert (await uncompressed.load(jar.header))["user_id"] == 5


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["signed", "memory"])
async def test_chunks_without_their_head_are_expired_by_any_backend(
    manager_factory: Callable[..., SessionManager], backend: str
) -> None:
    manager = manager_factory(backend=backend)
    untouched = await manager.load("session.1=a; session.3=c; other=1")
    assert await manager.commit(untouched) == []  # the hot path parses no cookie
    session = await manager.load("session.1=a; session.3=c; other=1")
    assert session.get("x") is None
    headers = await manager.commit(session)
    assert _expired(headers) == ["session", "session.1", "session.2", "session.3"]


@pytest.mark.parametrize("count", ["\u00b2", "\u0663", "\uff12", "2\u00b9"])
def test_a_chunk_count_in_digits_other_than_ascii_is_a_bad_cookie(count: str) -> None:
    policy = DefaultCookiePolicy("session", max_bytes=12288)
    with pytest.raises(BadCookie):
        policy.read(f"session=chunks-{count}; session.1=a; session.2=b")


def test_a_malformed_incumbent_cookie_under_its_own_name_is_a_fresh_session() -> None:
    manager = SessionManager(
        make_settings(
            cookie_name="__Host-session",
            cookie_secure=True,
            legacy_formats=["starlette"],
            legacy_cookie_name="session",
        )
    )
    session = manager.load_nowait("session=chunks-\u00b2; session.1=a")
    assert session is not None
    assert dict(session) == {}
