"""The demo's tour in Chromium, photographed: the screenshots the documentation shows.

    SATCHEL_SCREENSHOTS=docs/screenshots python -m pytest tests/browser -k tour

refreshes docs/screenshots/*.png; without the variable they go to a temporary
directory. The tour runs on the demo's default example (bare ASGI), then moves
to the Muffin example with the same cookie jar.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser.conftest import Servers, Shopper

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (and proof that it is one)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_tour_of_the_demo_with_screenshots(
    servers: Servers, context: BrowserContext, screenshots: Path
) -> None:
    pytest.importorskip("muffin")
    raised = {"cookie_max_bytes": "12288"}  # chunks: past the default 3 KB of cookies
    shop = Shopper(context.new_page(), servers.get("asgi", **raised))
    shop.log_in("alice")
    assert shop.page.locator(".flash").all_inner_texts() == ["Welcome, alice!"]
    taken = [shop.shot(screenshots, "home")]

    for _ in range(3):
        shop.add_to_cart(50)
    assert shop.text("#cookie-names").count("session") == 4
    taken.append(shop.shot(screenshots, "cart"))

    assert shop.add_to_cart(50) == 413
    taken.append(shop.shot(screenshots, "cart-full"))

    shop.open("/session")
    assert shop.text("#meta-new") == "no"
    taken.append(shop.shot(screenshots, "session"))

    muffin = Shopper(context.new_page(), servers.get("muffin", **raised))
    muffin.open("/")
    assert muffin.text("#framework") == "Muffin"
    assert muffin.user() == "alice"
    assert "Your cart holds 150 item(s)." in muffin.text("main")
    taken.append(muffin.shot(screenshots, "moved-to-muffin"))

    assert [_png_size(path) for path in taken] == [(800, 560)] * len(taken)
