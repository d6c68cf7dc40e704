"""Moving from Starlette's SessionMiddleware: a cookie Starlette itself issued loads in
satchel once, comes back as satchel's, and anything forged, expired or malformed is a
fresh session."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import itsdangerous
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as StarletteSessions
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from support import FrozenClock, MakeApp, Visit, make_settings

from satchel import SessionManager, StarletteFormat
from satchel.legacy import MAX_LEGACY_VALUE

pytestmark = pytest.mark.anyio

OLD_SECRET = "starlette-dev-secret"  # Starlette takes a secret of any length
FOURTEEN_DAYS = 14 * 24 * 3600


def starlette_app(secret: str = OLD_SECRET, **options: Any) -> Starlette:
    """The incumbent: Starlette's own SessionMiddleware; POST /login logs alice in."""

    async def login(request: Request) -> JSONResponse:
        request.session.update({"user_id": "alice", "cart": [1, 2]})
        return JSONResponse({"ok": True})

    middleware = Middleware(StarletteSessions, secret_key=secret, **options)
    return Starlette(routes=[Route("/login", login, methods=["POST"])], middleware=[middleware])


async def starlette_cookie(visit: Visit, **options: Any) -> str:
    """A session cookie as Starlette's middleware issues it at login."""
    reply = await visit(starlette_app(**options), "/login", method="POST")
    value = reply.cookie(options.get("session_cookie", "session"))
    assert value
    return value


def _migrating(app: MakeApp, **options: Any) -> Any:
    return app(legacy_formats=["starlette"], legacy_secret_keys=[OLD_SECRET], **options)


async def test_a_starlette_cookie_keeps_its_user_logged_in_and_comes_back_as_satchels(
    visit: Visit, satchel_app: MakeApp
) -> None:
    old = await starlette_cookie(visit)
    app = _migrating(satchel_app)
    first = await visit(app, cookie=f"session={old}")
    assert first.body == {
        "user": "alice",
        "data": {"user_id": "alice", "cart": [1, 2]},
        "is_new": True,
    }
    new = first.cookie("session")
    assert new is not None
    assert new != old
    assert len(first.set_cookies) == 1  # the same name: satchel's cookie replaces Starlette's
    second = await visit(app, cookie=f"session={new}")
    assert second.body == {
        "user": "alice",
        "data": {"user_id": "alice", "cart": [1, 2]},
        "is_new": False,
    }
    assert second.set_cookies == []  # satchel's own cookie now: nothing to re-issue


async def test_a_starlette_cookie_under_another_name_is_expired_by_the_first_write(
    visit: Visit, satchel_app: MakeApp
) -> None:
    old = await starlette_cookie(visit)
    app = _migrating(
        satchel_app, cookie_name="__Host-session", cookie_secure=True, legacy_cookie_name="session"
    )
    first = await visit(app, cookie=f"session={old}", https=True)
    assert first.body["user"] == "alice"
    new = first.cookie("__Host-session")
    assert new is not None
    assert first.expires("session")
    [expiring] = [h for h in first.set_cookies if h.startswith("session=")]
    assert "Path=/" in expiring
    assert "Secure" in expiring
    # the browser dropped the old cookie; had it not, satchel's own cookie still wins
    for cookie in (f"__Host-session={new}", f"session={old}; __Host-session={new}"):
        again = await visit(app, cookie=cookie, https=True)
        assert again.body["user"] == "alice"
        assert not again.body["is_new"]
        assert again.set_cookies == []


async def test_the_expiring_cookie_carries_the_incumbents_path_and_domain(
    visit: Visit, satchel_app: MakeApp
) -> None:
    old = await starlette_cookie(visit, path="/app", domain="example.com")
    app = _migrating(
        satchel_app,
        legacy_cookie_path="/app",
        legacy_cookie_domain="example.com",
    )
    first = await visit(app, cookie=f"session={old}")
    assert first.body["user"] == "alice"
    expiring = [h for h in first.set_cookies if "Max-Age=0" in h]
    assert expiring == [
        "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/app; Domain=example.com"
    ]
    [ours] = [h for h in first.set_cookies if "Max-Age=0" not in h]
    assert ours.startswith("session=")
    assert "; Path=/;" in ours


@pytest.mark.parametrize("same_name", [True, False], ids=["same name", "another name"])
async def test_logging_out_before_the_first_write_expires_the_old_cookie(
    visit: Visit, satchel_app: MakeApp, same_name: bool
) -> None:
    old = await starlette_cookie(visit)
    options = {} if same_name else {"cookie_name": "sid", "legacy_cookie_name": "session"}
    app = _migrating(satchel_app, **options)
    reply = await visit(app, "/logout", method="POST", cookie=f"session={old}")
    assert reply.expires("session")  # else the old cookie would log the user back in
    assert reply.cookie("sid") is None


async def test_without_legacy_formats_a_starlette_cookie_is_a_fresh_session(
    visit: Visit, satchel_app: MakeApp
) -> None:
    old = await starlette_cookie(visit, secret=make_settings().secret_key.get_secret_value())  # type: ignore[union-attr]
    reply = await visit(satchel_app(), cookie=f"session={old}")
    assert reply.body == {"user": None, "data": {}, "is_new": True}


async def test_every_legacy_secret_is_tried(visit: Visit, satchel_app: MakeApp) -> None:
    old = await starlette_cookie(visit)
    app = satchel_app(legacy_formats=["starlette"], legacy_secret_keys=["retired", OLD_SECRET])
    assert (await visit(app, cookie=f"session={old}")).body["user"] == "alice"


@pytest.mark.parametrize(
    ("legacy_max_age", "age", "user"),
    [
        (None, FOURTEEN_DAYS - 5, "alice"),  # Starlette's default max_age: 14 days
        (None, FOURTEEN_DAYS + 5, None),
        (60, 30, "alice"),
        (60, 61, None),
    ],
)
async def test_starlettes_max_age_is_honoured(
    visit: Visit, legacy_max_age: int | None, age: int, user: str | None
) -> None:
    old = await starlette_cookie(visit)
    options: dict[str, Any] = {"legacy_formats": ["starlette"], "legacy_secret_keys": [OLD_SECRET]}
    if legacy_max_age is not None:
        options["legacy_max_age"] = legacy_max_age
    manager = SessionManager(make_settings(**options), clock=FrozenClock(time.time() + age))
    session = await manager.load(f"session={old}")
    assert session.get("user_id") == user


class _Signer(itsdangerous.TimestampSigner):
    """itsdangerous' own signer, at a chosen time."""

    def __init__(self, secret: str, offset: int = 0) -> None:
        super().__init__(secret)
        self.offset = offset

    def get_timestamp(self) -> int:
        return int(time.time()) + self.offset


def _signed(raw: bytes, secret: str = OLD_SECRET, offset: int = 0) -> str:
    """A cookie value as Starlette signs it: b64 of *raw*, timestamped and signed."""
    return _Signer(secret, offset).sign(base64.b64encode(raw)).decode()


def _tamper_body(value: str) -> str:
    body, _, rest = value.partition(".")
    forged = base64.b64encode(json.dumps({"user_id": "admin"}).encode()).decode()
    assert forged != body
    return f"{forged}.{rest}"


ALICE = json.dumps({"user_id": "alice"}).encode()
HOSTILE: dict[str, Callable[[], str]] = {
    "tampered body": lambda: _tamper_body(_signed(ALICE)),
    "tampered signature": lambda: _signed(ALICE)[:-4] + "AAAA",
    "another secret": lambda: _signed(ALICE, "someone else's secret"),
    "expired": lambda: _signed(ALICE, offset=-FOURTEEN_DAYS - 60),
    "from the future": lambda: _signed(ALICE, offset=3600),
    "a JSON list": lambda: _signed(b'[{"user_id": "alice"}]'),
    "a JSON scalar": lambda: _signed(b"42"),
    "JSON null": lambda: _signed(b"null"),
    "not JSON": lambda: _signed(b"\x80 not json"),
    "deeply nested": lambda: _signed(b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}"),
    "not base64": lambda: _Signer(OLD_SECRET).sign(b"not*base64!").decode(),
    "oversize": lambda: _signed(json.dumps({"user_id": "a" * MAX_LEGACY_VALUE}).encode()),
    "no timestamp": lambda: itsdangerous.Signer(OLD_SECRET).sign(base64.b64encode(ALICE)).decode(),
    "one dot too many": lambda: _signed(ALICE) + ".x",
    "not ascii": lambda: _signed(ALICE) + "é",
    "garbage": lambda: "garbage",
    "empty": lambda: "",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_a_hostile_starlette_cookie_yields_a_fresh_session(
    visit: Visit, satchel_app: MakeApp, case: str
) -> None:
    app = _migrating(satchel_app)
    reply = await visit(app, cookie=f"session={HOSTILE[case]()}")
    assert reply.status == 200
    assert reply.body == {"user": None, "data": {}, "is_new": True}
    assert reply.set_cookies == []


def test_the_starlette_format_reads_what_itsdangerous_signs() -> None:
    value = _signed(ALICE)
    now = int(time.time())
    assert StarletteFormat([OLD_SECRET]).read(value, now) == {"user_id": "alice"}
    assert StarletteFormat(["other"]).read(value, now) is None
    assert StarletteFormat([OLD_SECRET], max_age=None).read(value, now + 10**8) == {
        "user_id": "alice"
    }


async def test_a_short_legacy_secret_is_warned_about_once_at_start_up(
    caplog: pytest.LogCaptureFixture, visit: Visit
) -> None:
    old = await starlette_cookie(visit)
    with caplog.at_level(logging.DEBUG, logger="satchel"):
        manager = SessionManager(
            make_settings(legacy_formats=["starlette"], legacy_secret_keys=[OLD_SECRET])
        )
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "legacy_secret_keys[0]" in warnings[0].getMessage()
        for _ in range(3):
            session = await manager.load(f"session={old}")
            assert session["user_id"] == "alice"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == warnings
    assert OLD_SECRET not in caplog.text
