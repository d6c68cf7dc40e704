"""The default cookie policy: attributes, deletion, chunking and reading."""

from __future__ import annotations

import pytest
from support import make_settings

from satchel import BadCookie, DefaultCookiePolicy, SessionTooLarge
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
    policy = _policy()
    value = "a" * (COOKIE_LIMIT - len("session"))
    [header] = policy.render(value, max_age=1, previous=None)
    assert header.startswith(f"session={value};")


def test_large_value_is_split_into_numbered_chunks_with_a_count() -> None:
    policy = _policy(cookie_max_chunks=3)
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
    policy = _policy(cookie_max_chunks=12)
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
    policy = _policy()
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
    policy = _policy(cookie_chunking=False)
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


def test_the_default_policy_says_how_long_a_value_it_sends() -> None:
    from satchel import LimitsCookieSize

    policy: LimitsCookieSize = _policy(cookie_max_chunks=2)
    assert isinstance(policy, LimitsCookieSize)
    assert policy.max_value_size == (COOKIE_LIMIT - len("session.1")) * 2
