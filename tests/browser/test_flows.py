"""Every example app in headless Chromium: what a real browser keeps, sends and drops.

Each test runs once per example (examples/<name>/app.py) whose framework is installed;
the pages and their element ids are examples/common/shop.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from browser.conftest import Servers, Shopper, installed_examples

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COOKIE_LIMIT = 4096
"""Chromium drops, without a word, a cookie whose name and value exceed this."""


@pytest.fixture(params=installed_examples())
def example(request: pytest.FixtureRequest) -> str:
    """The folder name of one example app."""
    return str(request.param)


RAISED = "12288"
"""``cookie_max_bytes`` for the chunked carts: the former default's 12 KB (the default,
3 KB, fits stock nginx both ways and so never needs a chunk)."""


def _tab(context: BrowserContext, servers: Servers, example: str, **settings: str) -> Shopper:
    return Shopper(context.new_page(), servers.get(example, **settings))


def test_counter_login_and_a_flash_shown_once(
    example: str, servers: Servers, context: BrowserContext
) -> None:
    shop = _tab(context, servers, example)
    assert [shop.visits(), shop.visits()] == [1, 2]
    assert shop.user() is None

    shop.log_in("alice")
    assert shop.page.url == f"{shop.url}/"
    assert shop.page.locator(".flash").all_inner_texts() == ["Welcome, alice!"]
    assert shop.user() == "alice"
    assert shop.text("#visits") == "4"  # the login form's page, then the page after login

    assert shop.visits() == 5
    assert shop.page.locator(".flash").count() == 0
    assert shop.user() == "alice"


@pytest.mark.parametrize("backend", ["signed", "memory"])
def test_login_regenerates_the_session_so_a_planted_cookie_stays_anonymous(
    example: str, backend: str, servers: Servers, browser: Browser, context: BrowserContext
) -> None:
    attacker_profile = browser.new_context()
    try:
        attacker = Shopper(attacker_profile.new_page(), servers.get(example, backend=backend))
        assert attacker.visits() == 1
        planted = attacker.cookies()["session"]["value"]

        victim = _tab(context, servers, example, backend=backend)
        context.add_cookies([{"name": "session", "value": planted, "url": victim.url}])
        assert victim.visits() == 2  # the victim is in the attacker's session...
        victim.log_in("victim")
        assert victim.cookies()["session"]["value"] != planted  # ...until the login

        assert attacker.visits() == (1 if backend == "memory" else 2)
        assert attacker.user() is None
        assert victim.user() == "victim"
    finally:
        attacker_profile.close()


def test_logout_removes_the_session_cookie_from_the_browser(
    example: str, servers: Servers, context: BrowserContext
) -> None:
    shop = _tab(context, servers, example)
    shop.log_in("alice")
    assert set(shop.cookies()) == {"session"}

    shop.log_out()
    assert shop.page.url == f"{shop.url}/bye"
    assert "You are logged out" in shop.text("#bye")
    assert shop.cookies() == {}
    assert shop.visits() == 1
    assert shop.user() is None


def test_a_cart_past_4_kb_is_chunked_reassembled_and_refused_whole_when_full(
    example: str, servers: Servers, context: BrowserContext, report: Callable[[str], None]
) -> None:
    shop = _tab(context, servers, example, cookie_max_bytes=RAISED)
    shop.log_in("alice")
    chunks = []
    for expected in (50, 100, 150):
        assert shop.add_to_cart(50) == 200
        assert shop.text("#cart-count") == str(expected)  # every chunk came back, in order
        held = shop.cookies()
        assert all(len(c["name"]) + len(c["value"]) <= COOKIE_LIMIT for c in held.values())
        assert sorted(shop.text("#cookie-names").split(", ")) == sorted(held)
        chunks.append((expected, len(held), int(shop.text("#cookie-bytes"))))
    assert [count for _, count, _ in chunks] == [1, 3, 4]  # the main cookie holds "chunks-N"
    assert chunks[0][2] < COOKIE_LIMIT < chunks[1][2]
    report(f"browser, {example}: (cart items, cookies held, Cookie bytes sent) {chunks}")

    before = set(shop.cookies())
    assert shop.add_to_cart(50) == 413
    assert "The last 50 item(s) were not added" in shop.text("#too-large")
    assert set(shop.cookies()) == before
    shop.open("/cart")
    assert shop.text("#cart-count") == "150"
    shop.open("/")
    assert shop.user() == "alice"

    shop.log_out()
    assert shop.cookies() == {}  # the main cookie and all three chunks


def test_a_session_ends_at_max_age_while_in_use_and_its_cookie_replayed_stays_dead(
    example: str, servers: Servers, context: BrowserContext
) -> None:
    shop = _tab(context, servers, example, max_age="3")
    shop.log_in("alice")
    issued = shop.cookies()["session"]
    started = time.monotonic()
    while time.monotonic() - started < 4.5:  # reading it every second does not extend it
        shop.open("/session")
        time.sleep(1)
    shop.open("/")
    assert shop.user() is None

    context.add_cookies([{"name": "session", "value": issued["value"], "url": shop.url}])
    assert shop.visits() == 1  # the server, not only the browser, ended it
    assert shop.user() is None


def test_a_rolling_session_outlives_max_age_while_in_use(
    example: str, servers: Servers, context: BrowserContext
) -> None:
    shop = _tab(context, servers, example, max_age="3", rolling="true", refresh_interval="1")
    shop.log_in("alice")
    first_expiry = shop.cookies()["session"]["expires"]
    started = time.monotonic()
    while time.monotonic() - started < 4.5:  # a read refreshes it once a second at most
        shop.open("/session")
        time.sleep(1)
    assert shop.cookies()["session"]["expires"] > first_expiry + 2
    shop.open("/")
    assert shop.user() == "alice"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_host_prefixed_secure_cookie_is_kept_over_http_on_loopback(
    example: str, host: str, servers: Servers, context: BrowserContext
) -> None:
    server = servers.get(example, cookie_name="__Host-session", cookie_secure="true")
    shop = Shopper(context.new_page(), server, host=host)
    shop.log_in("alice")
    assert shop.user() == "alice"
    cookie = shop.cookies("__Host-session")["__Host-session"]
    assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", host)
    assert shop.visits() == 3  # the form's page, the page after login, this one


def test_a_secure_cookie_over_http_elsewhere_is_refused_so_nobody_stays_logged_in(
    example: str, servers: Servers, context: BrowserContext
) -> None:
    """satchel.test resolves to 127.0.0.1 in this browser only (see CHROMIUM_FLAGS), but
    is not loopback by name: plain http there is not a secure context."""
    server = servers.get(example, cookie_name="__Host-session", cookie_secure="true")
    shop = Shopper(context.new_page(), server, host="satchel.test")
    shop.log_in("alice")
    assert shop.user() is None  # the Set-Cookie was dropped; the flash with it
    assert shop.cookies("__Host-session") == {}
    assert shop.visits() == 1


def test_a_tampered_cookie_yields_a_fresh_session(
    example: str, servers: Servers, context: BrowserContext
) -> None:
    shop = _tab(context, servers, example)
    shop.log_in("alice")
    value = shop.cookies()["session"]["value"]
    middle = len(value) // 2
    tampered = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    context.add_cookies([{"name": "session", "value": tampered, "url": shop.url}])

    assert shop.open("/") == 200
    assert shop.user() is None
    assert shop.text("#visits") == "1"
    assert shop.cookies()["session"]["value"] not in (value, tampered)


def _journeys() -> list[Any]:
    """From Muffin to every other example, and between Robyn (not ASGI) and Starlette
    both ways."""
    examples = {p.id: p for p in installed_examples()}
    pairs = [("muffin", name) for name in examples if name != "muffin"]
    pairs += [("robyn", "starlette"), ("starlette", "robyn")]
    return [
        pytest.param(
            examples[a].values[0],
            examples[b].values[0],
            id=f"{a}-to-{b}",
            marks=[*examples[a].marks, *examples[b].marks],
        )
        for a, b in pairs
        if a in examples and b in examples
    ]


@pytest.mark.parametrize(("origin", "destination"), _journeys())
def test_one_profile_moves_between_frameworks_and_stays_logged_in(
    origin: str, destination: str, servers: Servers, context: BrowserContext
) -> None:
    """Two apps of different frameworks with one setting (the secret, the cookie name),
    on two ports of 127.0.0.1, so one cookie jar serves both."""
    here = _tab(context, servers, origin, cookie_max_bytes=RAISED)
    there = _tab(context, servers, destination, cookie_max_bytes=RAISED)
    here.log_in("alice")
    here.add_to_cart(50)
    here.add_to_cart(50)
    assert len(here.cookies()) == 3  # chunked, by the first framework

    assert there.visits() == 3
    assert there.user() == "alice"
    assert there.text("#framework") != here.text("#framework")
    there.open("/cart")
    assert there.text("#cart-count") == "100"  # reassembled by the second
    assert there.add_to_cart(50) == 200
    here.open("/cart")
    assert here.text("#cart-count") == "150"

    there.log_out()
    assert here.cookies() == {}
    assert here.visits() == 1
    assert here.user() is None
