"""Moving from Robyn's built-in sessions: the one-line change, and users stay logged in
(their Robyn cookies load and are re-issued in satchel's format) when the app opts in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from robyn import Request, Robyn
from robyn.session import Session as RobynSession
from robyn.session import SessionManager as RobynManager
from support import SECRET

from satchel import RobynFormat
from satchel_robyn import configure_sessions

SATCHEL_SECRET = "a-new-secret-of-thirty-two-bytes-or-more"


def _app(builtin: bool, **options: Any) -> Robyn:
    """The same app on Robyn's sessions or satchel's: only the configuring line differs."""
    app = Robyn(__file__)
    app.config.disable_openapi = True
    if builtin:
        app.configure_sessions(secret_key=SECRET, max_age=3600)
    else:
        configure_sessions(app, secret_key=SECRET, max_age=3600, **options)

    def login(request: Request) -> dict[str, Any]:
        request.session["user"] = "bob"  # type: ignore[index]
        return {"ok": True}

    def whoami(request: Request) -> dict[str, Any]:
        return {"user": request.session.get("user")}  # type: ignore[union-attr]

    app.add_route("POST", "/login", login)
    app.add_route("GET", "/whoami", whoami)
    return app


def test_robyns_own_cookie_is_read_by_the_robyn_format() -> None:
    robyn = RobynManager("any length will do", max_age=60)
    value = robyn.dumps(RobynSession({"user": "bob", "n": [1, 2]}))
    assert RobynFormat(["any length will do"]).read(value, now=0) == {"user": "bob", "n": [1, 2]}
    assert RobynFormat(["another"]).read(value, now=0) is None
    expired = RobynManager("s", max_age=-1).dumps(RobynSession({"user": "bob"}))
    assert RobynFormat(["s"]).read(expired, now=2**31) is None


def test_the_one_line_move_keeps_the_app_working_with_satchels_cookies(
    serve: Callable[..., str],
) -> None:
    with httpx.Client(base_url=serve(lambda: _app(builtin=False)), timeout=10) as browser:
        assert browser.get("/whoami").json() == {"user": None}
        browser.post("/login")
        assert browser.get("/whoami").json() == {"user": "bob"}


@pytest.fixture
def robyn_cookie(serve: Callable[..., str]) -> str:
    """A session cookie issued by a real server on Robyn's built-in sessions."""
    with httpx.Client(base_url=serve(lambda: _app(builtin=True)), timeout=10) as browser:
        assert browser.post("/login").status_code == 200
        return browser.cookies["session"]


def test_users_stay_logged_in_across_the_move_when_the_app_opts_in(
    serve: Callable[..., str], robyn_cookie: str
) -> None:
    url = serve(lambda: _app(builtin=False, legacy_formats=["robyn"]))
    with httpx.Client(base_url=url, timeout=10) as browser:
        first = browser.get("/whoami", headers={"cookie": f"session={robyn_cookie}"})
        assert first.json() == {"user": "bob"}
        reissued = browser.cookies["session"]
        assert reissued != robyn_cookie  # now in satchel's format
        second = browser.get("/whoami")
        assert second.json() == {"user": "bob"}
        assert "set-cookie" not in second.headers  # satchel's own cookie: nothing to re-issue


def test_a_robyn_cookie_is_a_fresh_session_unless_the_app_opts_in(
    serve: Callable[..., str], robyn_cookie: str
) -> None:
    url = serve(lambda: _app(builtin=False))
    with httpx.Client(base_url=url, timeout=10, cookies={"session": robyn_cookie}) as browser:
        assert browser.get("/whoami").json() == {"user": None}


def test_a_tampered_robyn_cookie_yields_a_fresh_session(
    serve: Callable[..., str], robyn_cookie: str
) -> None:
    body, _, signature = robyn_cookie.partition(".")
    forged = RobynManager("not the secret").dumps(RobynSession({"user": "admin"}))
    url = serve(lambda: _app(builtin=False, legacy_formats=["robyn"]))
    for value in (forged, f"{body}x.{signature}", f"{body}.{signature[::-1]}"):
        with httpx.Client(base_url=url, timeout=10, cookies={"session": value}) as browser:
            assert browser.get("/whoami").json() == {"user": None}


def test_a_robyn_secret_too_short_for_satchel_goes_in_legacy_secret_keys(
    serve: Callable[..., str],
) -> None:
    value = RobynManager("dev").dumps(RobynSession({"user": "carol"}))
    url = serve(
        lambda: _app(
            builtin=False,
            legacy_formats=["robyn"],
            legacy_secret_keys=["dev"],
        )
    )
    with httpx.Client(base_url=url, timeout=10, cookies={"session": value}) as browser:
        assert browser.get("/whoami").json() == {"user": "carol"}
