"""The framework-independent half of every example app: its pages and what its forms do.

Each example (``examples/<framework>/app.py``) is only routing: it hands a request's
`satchel.Session` (and, for two pages, the raw Cookie header) to a `Shop`, and turns
the `Reply` it gets back into its framework's response. Every example therefore
behaves the same, and one browser can move between them without noticing.

Routes every example serves::

    GET  /          counts the visit; shows the user, flash messages and forms
    POST /login     form field ``name``: session.login(name) (a new session id), a flash
    POST /logout    session.logout() (the cookie and its chunks expire), 303 to /bye
    GET  /bye       says goodbye without touching the session, so no cookie comes back
    GET  /cart      the cart, and how many bytes of session cookies the browser sent
    POST /cart      form field ``quantity`` (1 to 50): that many more items, 303 to /cart
    GET  /session   the session's metadata; only reads it (a rolling session refreshes)

Any other path is a 404 (`Shop.not_found`). A cart that no longer fits in
``cookie_max_bytes`` of session cookies (3 KB by default) makes the commit raise
`satchel.SessionTooLarge`; the
example then answers with `Shop.too_large`, which takes the last addition back out
and renders a 413 page, so the session is never lost.

Element ids (the browser tests in tests/browser/ rely on them)::

    #framework                        the framework's name in the page header
    #nav-home #nav-cart #nav-session  the navigation links
    #flashes, .flash                  the flash messages shown on this page
    #visits                           the visit counter on /
    #user                             the logged-in user (absent when nobody is)
    #login-form #login-name #login-button
    #logout-button
    #bye                              the page after logout
    #cart-count                       how many items the cart holds
    #cart-quantity #cart-add          the form that adds items
    #cookie-names #cookie-bytes       the session cookies the request carried, their size
    #too-large                        the 413 page of a cart that does not fit
    #meta-created #meta-last-seen #meta-expires   <time datetime="..."> in UTC
    #meta-new #meta-backend #meta-cookie #meta-storage
"""

from __future__ import annotations

import argparse
import html
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel

from satchel import Session, SessionSettings, SessionTooLarge

PRODUCTS = ("apple", "pear", "plum", "quince", "cherry")
MAX_QUANTITY = 50
STORE_BACKENDS = frozenset({"memory", "redis"})


class CartLine(BaseModel):
    """One item; its random reservation reference keeps the cart from compressing away."""

    product: str
    reference: str


class Cart(BaseModel):
    """The cart's part of the session, read with `Session.as_model`."""

    cart: list[CartLine] = []
    cart_added: int = 0
    """How many lines the last addition brought: what `Shop.too_large` takes back."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a page answers; each example turns it into its framework's response."""

    status: int
    html: str = ""
    location: str | None = None
    """Where a 303 See Other points."""


LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - satchel example</title>
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
header{{border-bottom:1px solid #ccc;margin-bottom:1rem}} nav a{{margin-right:1rem}}
.flash{{background:#e8f4e8;border:1px solid #8c8;padding:.5rem 1rem;border-radius:4px}}
.error{{background:#fbeaea;border:1px solid #c88;padding:.5rem 1rem;border-radius:4px}}
code{{background:#f3f3f3;padding:0 .25rem}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}} dt{{font-weight:bold}}
dd{{margin:0}}
</style></head><body>
<header><p>satchel example on <strong id="framework">{framework}</strong></p>
<nav><a id="nav-home" href="/">Home</a><a id="nav-cart" href="/cart">Cart</a><a
id="nav-session" href="/session">Session</a></nav></header>
<main><h1>{title}</h1>
{body}
</main></body></html>
"""

LOGIN_FORM = """<form id="login-form" method="post" action="/login">
<label>Name <input id="login-name" name="name" required maxlength="40"></label>
<button id="login-button">Log in</button></form>"""

LOGOUT_FORM = """<p>Logged in as <strong id="user">{user}</strong>.</p>
<form method="post" action="/logout"><button id="logout-button">Log out</button></form>"""

CART_FORM = """<form method="post" action="/cart">
<label>Items <input id="cart-quantity" name="quantity" type="number" min="1" max="{most}"
value="10"></label> <button id="cart-add">Add to cart</button></form>"""


def parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (for apps with no framework)."""
    return dict(parse_qsl(body.decode("utf-8", "replace")))


def _time(name: str, moment: datetime) -> str:
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'<time id="{name}" datetime="{stamp}">{moment:%Y-%m-%d %H:%M:%S} UTC</time>'


def _redirect(location: str) -> Reply:
    return Reply(303, location=location)


class Shop:
    """The pages of one example app, for sessions configured by *settings*."""

    def __init__(self, framework: str, settings: SessionSettings) -> None:
        self.framework = framework
        self.settings = settings

    def page(self, title: str, body: str, status: int = 200) -> Reply:
        """*body* inside the common layout."""
        text = LAYOUT.format(title=html.escape(title), framework=self.framework, body=body)
        return Reply(status, text)

    def home(self, session: Session) -> Reply:
        """Count the visit; show the user, the pending flash messages and the forms."""
        session["visits"] = visits = int(session.get("visits", 0)) + 1
        flashes = "".join(
            f'<p class="flash {html.escape(f.category)}">{html.escape(f.message)}</p>'
            for f in session.pop_flashes()
        )
        user = session.user_id
        account = LOGIN_FORM if user is None else LOGOUT_FORM.format(user=html.escape(str(user)))
        items = len(session.as_model(Cart).cart)
        body = f"""<div id="flashes">{flashes}</div>
<p>You have visited this page <strong id="visits">{visits}</strong> time(s).</p>
{account}
<p>Your <a href="/cart">cart</a> holds {items} item(s).</p>"""
        return self.page("Home", body)

    def login(self, session: Session, form: Mapping[str, Any]) -> Reply:
        """Log the named user in under a new session id (no fixation), with a welcome."""
        name = str(form.get("name", "")).strip()[:40]
        if name:
            session.login(name)
            session.flash(f"Welcome, {name}!")
        return _redirect("/")

    def logout(self, session: Session) -> Reply:
        """End the session: every cookie of it expires."""
        session.logout()
        return _redirect("/bye")

    def bye(self) -> Reply:
        """The page after logout; it leaves the session alone, so no new cookie is made."""
        body = """<p id="bye">You are logged out. Your browser holds no session cookie any
more: satchel sent an expired copy of it, and of every chunk of it.</p>
<p><a href="/">Start again</a></p>"""
        return self.page("Logged out", body)

    def cart(self, session: Session, cookie_header: str | None) -> Reply:
        """The cart, and the session cookies this request carried."""
        lines = session.as_model(Cart).cart
        counts = {p: sum(1 for line in lines if line.product == p) for p in PRODUCTS}
        table = "".join(f"<li>{p}: {n}</li>" for p, n in counts.items() if n)
        names, size = self.session_cookies(cookie_header)
        most = self.settings.cookie_max_chunks
        body = f"""<p>Your cart holds <strong id="cart-count">{len(lines)}</strong> item(s).</p>
<ul>{table}</ul>
{CART_FORM.format(most=MAX_QUANTITY)}
<p>This request carried <span id="cookie-bytes">{size}</span> bytes of session cookies:
<code id="cookie-names">{html.escape(", ".join(names)) or "none"}</code>.
A cookie over 4096 bytes is split into numbered chunks, at most {most}; a cart
that needs more is refused with a 413 page, and keeps what it had.</p>"""
        return self.page("Cart", body)

    def add_to_cart(self, session: Session, form: Mapping[str, Any]) -> Reply:
        """Add ``quantity`` items, each with its own random reservation reference."""
        try:
            quantity = min(max(int(form.get("quantity", 1)), 1), MAX_QUANTITY)
        except ValueError:
            quantity = 1
        cart = session.as_model(Cart)
        start = len(cart.cart)
        cart.cart.extend(
            CartLine(product=PRODUCTS[i % len(PRODUCTS)], reference=secrets.token_urlsafe(48))
            for i in range(start, start + quantity)
        )
        cart.cart_added = quantity
        session.set_model(cart)
        return _redirect("/cart")

    def too_large(self, session: Session, error: SessionTooLarge) -> Reply:
        """Take the last addition back out and say so (call it when a commit raised
        `SessionTooLarge`); the session keeps everything else."""
        cart = session.as_model(Cart)
        taken = cart.cart_added
        if taken:
            del cart.cart[-taken:]
        cart.cart_added = 0
        session.set_model(cart)
        body = f"""<p id="too-large" class="error">Your cart is full: the session would need
{error.size} bytes of cookies, and this app may send at most {error.limit}. The last
{taken} item(s) were not added; the other {len(cart.cart)} are still in your cart.</p>
<p><a href="/cart">Back to the cart</a></p>"""
        return self.page("Cart full", body, status=413)

    def metadata(self, session: Session, cookie_header: str | None) -> Reply:
        """When the session began, was last written and will end; it only reads it."""
        meta = session.metadata
        settings = self.settings
        names, size = self.session_cookies(cookie_header)
        rolling = ", rolling: counted from the last refresh" if settings.rolling else ""
        storage = (
            "on the server; the cookie holds a signed random id"
            if settings.backend in STORE_BACKENDS
            else "in the cookie itself"
        )
        body = f"""<dl>
<dt>Created</dt><dd>{_time("meta-created", meta.created)}</dd>
<dt>Last written</dt><dd>{_time("meta-last-seen", meta.last_seen)}</dd>
<dt>Expires</dt><dd>{_time("meta-expires", meta.expires)}</dd>
<dt>New</dt><dd><span id="meta-new">{"yes" if session.is_new else "no"}</span>
(yes: no valid session cookie came with this request)</dd>
<dt>Backend</dt><dd><code id="meta-backend">{settings.backend}</code>,
data kept <span id="meta-storage">{storage}</span></dd>
<dt>Cookie</dt><dd><code id="meta-cookie">{html.escape(settings.cookie_name)}</code>:
{html.escape(", ".join(names)) or "none"} sent, {size} bytes</dd>
<dt>Lifetime</dt><dd>max_age {int(settings.max_age.total_seconds())} s{rolling}</dd>
</dl>"""
        return self.page("Session", body)

    def not_found(self) -> Reply:
        """Any other path."""
        return self.page("Not found", "<p>There is no such page.</p>", status=404)

    def session_cookies(self, cookie_header: str | None) -> tuple[list[str], int]:
        """The names of the session's cookies (chunks included) in a Cookie header,
        and the bytes they take there."""
        name = self.settings.cookie_name
        names, size = [], 0
        for pair in (cookie_header or "").split(";"):
            key = pair.split("=", 1)[0].strip()
            if key == name or key.startswith(f"{name}."):
                names.append(key)
                size += len(pair.strip())
        return names, size


def run(app: Any, description: str) -> None:
    """Serve *app* with uvicorn (``--host``, ``--port``; 127.0.0.1:8000 by default)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    print(f"{description}: open http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
