"""Each defect of muffin-session (2.6.0), fixed in satchel-muffin and pinned here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import jwt
import muffin
import pytest
from support import SECRET, FrozenClock

from satchel import JWTBackend, Session, SessionManager
from satchel_muffin import ConfigurationError, Plugin, ResponseHTMLRedirect

pytestmark = pytest.mark.anyio

AppFactory = Callable[..., tuple[muffin.Application, Plugin]]
Client = Callable[[muffin.Application], httpx.AsyncClient]
XSS = '"><script>alert(1)</script>'


# -- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize("session_type", ["JWT", "jwt2", "cookie", ""])
def test_unknown_session_type_is_an_error_never_unsigned_base64(session_type: str) -> None:
    app = muffin.Application(SESSION_SESSION_TYPE=session_type)
    message = f"session_type={session_type!r}: must be 'signed', 'jwt', 'fernet'"
    with pytest.raises(ConfigurationError, match=message):
        Plugin(app, secret_key=SECRET)


def test_base64_session_type_needs_the_explicit_unsigned_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="session_type='base64' makes cookies anyone"):
        Plugin(muffin.Application(), session_type="base64", secret_key=SECRET)
    plugin = Plugin(muffin.Application(), session_type="base64", allow_unsigned=True)
    assert plugin.settings.backend == "base64"


def test_plugin_refuses_to_start_without_a_secret() -> None:
    app = muffin.Application()
    with pytest.raises(ConfigurationError, match="SESSION_SECRET_KEY is required for"):
        Plugin(app, auto_manage=True)
    assert "session" not in app.plugins


def test_muffin_sessions_default_secret_is_refused_even_in_debug_mode() -> None:
    app = muffin.Application(DEBUG=True)
    with pytest.raises(ConfigurationError, match="secret_key must be at least 32 bytes"):
        Plugin(app, secret_key="InsecureSecret")


@pytest.mark.parametrize(
    ("app_debug", "option"), [(True, {}), (False, {"debug": True})], ids=["app", "option"]
)
async def test_debug_mode_generates_a_secret_and_warns(
    app_debug: bool, option: dict[str, Any], session_app: AppFactory, http: Client
) -> None:
    with pytest.warns(UserWarning, match="generated development key"):
        app, plugin = session_app(muffin.Application(DEBUG=app_debug), secret_key=None, **option)
    secret = plugin.settings.secret_key
    assert secret is not None
    assert len(secret.get_secret_value()) >= 32
    async with http(app) as client:
        await client.post("/set", json={"n": 1})
        assert (await client.get("/get")).json()["data"] == {"n": 1}


def test_debug_option_false_overrides_the_apps_debug() -> None:
    with pytest.raises(ConfigurationError, match="SESSION_SECRET_KEY is required for"):
        Plugin(muffin.Application(DEBUG=True), debug=False)


# -- keys and cookie attributes ----------------------------------------------------------------


async def test_fernet_key_is_derived_from_the_whole_secret(
    session_app: AppFactory, http: Client
) -> None:
    shared = "k" * 32  # muffin-session cut secrets to 32 characters: these two collided
    issuer, _ = session_app(session_type="fernet", secret_key=shared + "-first-secret")
    same, _ = session_app(session_type="fernet", secret_key=shared + "-first-secret")
    other, _ = session_app(session_type="fernet", secret_key=shared + "-other-secret")
    async with http(issuer) as client:
        await client.post("/set", json={"role": "admin"})
        cookies = dict(client.cookies)
    async with http(same) as client:
        client.cookies.update(cookies)
        assert (await client.get("/get")).json()["data"] == {"role": "admin"}
    async with http(other) as client:
        client.cookies.update(cookies)
        assert (await client.get("/get")).json() == {"data": {}, "is_new": True}


async def test_fernet_accepts_long_and_non_ascii_secrets(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(session_type="fernet", secret_key="clé-secrète-" * 8)
    async with http(app) as client:
        await client.post("/set", json={"n": 1})
        assert (await client.get("/get")).json()["data"] == {"n": 1}


@pytest.mark.parametrize("backend", ["signed", "jwt", "fernet", "aesgcm", "memory"])
async def test_session_cookie_is_httponly(
    backend: str, session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(session_type=backend)
    async with http(app) as client:
        response = await client.post("/set", json={"n": 1})
    (cookie,) = response.headers.get_list("set-cookie")
    assert "; HttpOnly" in cookie


@pytest.mark.parametrize(
    ("cookie_params", "max_age"),
    [({}, "; Max-Age=1209600;"), ({"max-age": 3600}, "; Max-Age=3600;"), ({"max-age": None}, "")],
    ids=["default", "number", "none"],
)
async def test_max_age_is_a_number_or_omitted_never_none(
    cookie_params: dict[str, Any], max_age: str, session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(cookie_params=cookie_params)
    async with http(app) as client:
        response = await client.post("/set", json={"n": 1})
    (cookie,) = response.headers.get_list("set-cookie")
    assert "None" not in cookie
    if max_age:
        assert max_age in cookie
    else:
        assert "Max-Age" not in cookie
        assert "; Path=/; HttpOnly; SameSite=Lax" in cookie


# -- JWT ----------------------------------------------------------------------------------------


async def test_jwt_session_carries_and_enforces_exp(
    frozen_manager: Callable[..., SessionManager],
    clock: FrozenClock,
    session_app: AppFactory,
    http: Client,
) -> None:
    app, _ = session_app(manager=frozen_manager(backend="jwt", max_age=3600))
    async with http(app) as client:
        await client.post("/set", json={"n": 1})
        claims = jwt.decode(client.cookies["session"], options={"verify_signature": False})
        assert claims["exp"] == clock.now + 3600
        clock.advance(3599)
        assert (await client.get("/get")).json()["data"] == {"n": 1}
        clock.advance(1)
        response = await client.get("/get")
    assert response.status_code == 200
    assert response.json() == FRESH


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _hostile_jwt(kind: str, manager: SessionManager, now: int) -> str:
    """A cookie that made muffin-session answer 500: validly signed where that matters."""
    backend = manager.backend
    assert isinstance(backend, JWTBackend)
    key = base64.urlsafe_b64decode(backend.verification_key() + "==")
    session = await manager.load(None)
    session["issued"] = True
    (issued,) = await manager.commit(session)
    kid = jwt.get_unverified_header(issued.split(";")[0].split("=", 1)[1])["kid"]
    claims: dict[str, Any] = {
        "iss": "satchel",
        "aud": "session",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "orig_iat": now,
        "role": "admin",
    }
    headers = {"kid": kid}
    if kind == "expired":
        claims.update(iat=now - 120, nbf=now - 120, orig_iat=now - 120, exp=now - 60)
    elif kind == "hs512":
        return jwt.encode(claims, key * 2, algorithm="HS512", headers=headers)
    elif kind == "alg-none":
        return jwt.encode(claims, "", algorithm="none", headers=headers)
    elif kind == "foreign-aud":
        claims["aud"] = "another-service"
    elif kind == "int-sub":
        claims["sub"] = 1
    elif kind == "non-json":
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        body = _b64(b"{not json")
        signature = hmac.digest(key, f"{head}.{body}".encode(), hashlib.sha256)
        return f"{head}.{body}.{_b64(signature)}"
    return jwt.encode(claims, key, algorithm="HS256", headers=headers)


FRESH = {"data": {}, "is_new": True}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("expired", FRESH),
        ("hs512", FRESH),
        ("alg-none", FRESH),
        ("foreign-aud", FRESH),
        ("int-sub", FRESH),
        ("non-json", FRESH),
        ("valid", {"data": {"role": "admin"}, "is_new": False}),  # the control: one flaw each
    ],
)
async def test_hostile_jwt_cookies_give_a_fresh_session_and_a_200(
    kind: str,
    expected: dict[str, Any],
    frozen_manager: Callable[..., SessionManager],
    clock: FrozenClock,
    session_app: AppFactory,
    http: Client,
) -> None:
    manager = frozen_manager(backend="jwt")
    app, _ = session_app(manager=manager)
    async with http(app) as client:
        client.cookies["session"] = await _hostile_jwt(kind, manager, int(clock.now))
        response = await client.get("/get")
    assert response.status_code == 200
    assert response.json() == expected


async def test_session_keys_named_like_jwt_claims_keep_working(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(session_type="jwt")
    data = {"sub": 1, "aud": "mine", "exp": "soon", "iat": None, "nbf": [1]}
    async with http(app) as client:
        await client.post("/set", json=data)
        response = await client.get("/get")
    assert response.status_code == 200
    assert response.json()["data"] == data


# -- change detection -------------------------------------------------------------------------


def _set_twice(session: Session) -> None:
    session["new"] = 1
    session["new"] = 1


def _set_then_none(session: Session) -> None:
    session["c"] = 1
    session["d"] = None


def _update(session: Session) -> None:
    session.update(a=2)


def _setdefault(session: Session) -> None:
    session.setdefault("c", 3)


def _pop_after_clear(session: Session) -> None:
    session.clear()
    session.pop("missing", None)


def _nested(session: Session) -> None:
    session["nested"]["list"].append(2)


CHANGES: dict[str, tuple[Callable[[Session], None], dict[str, Any]]] = {
    "set-twice": (_set_twice, {"a": 1, "nested": {"list": [1]}, "new": 1}),
    "set-then-none": (_set_then_none, {"a": 1, "nested": {"list": [1]}, "c": 1, "d": None}),
    "update": (_update, {"a": 2, "nested": {"list": [1]}}),
    "setdefault": (_setdefault, {"a": 1, "nested": {"list": [1]}, "c": 3}),
    "pop-after-clear": (_pop_after_clear, {}),
    "nested": (_nested, {"a": 1, "nested": {"list": [1, 2]}}),
}


@pytest.mark.parametrize("change", CHANGES)
async def test_every_change_is_saved(change: str, session_app: AppFactory, http: Client) -> None:
    app, plugin = session_app()
    operation, expected = CHANGES[change]

    @app.route("/change", methods="POST")
    async def apply(request: muffin.Request) -> str:
        operation(await plugin.load_from_request(request))
        return "changed"

    async with http(app) as client:
        await client.post("/set", json={"a": 1, "nested": {"list": [1]}})
        response = await client.post("/change")
        assert response.headers.get_list("set-cookie")
        assert (await client.get("/get")).json()["data"] == expected


async def test_session_changed_before_a_raised_redirect_is_saved(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app()

    @app.route("/redirect", methods="POST")
    async def redirect(request: muffin.Request) -> None:
        request.session["next"] = "/get"
        raise muffin.ResponseRedirect("/get")

    async with http(app) as client:
        response = await client.post("/redirect")
        assert response.status_code == 307
        assert response.headers["vary"] == "Cookie"
        assert (await client.get("/get")).json()["data"] == {"next": "/get"}


async def test_session_changed_before_a_raised_response_error_is_saved(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app()

    @app.route("/fail", methods="POST")
    async def fail(request: muffin.Request) -> None:
        request.session["attempts"] = 1
        raise muffin.ResponseError.BAD_REQUEST()

    async with http(app) as client:
        assert (await client.post("/fail")).status_code == 400
        assert (await client.get("/get")).json()["data"] == {"attempts": 1}


async def test_save_to_response_keeps_other_set_cookie_headers(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False)

    @app.route("/save")
    async def save(request: muffin.Request) -> muffin.Response:
        response = muffin.ResponseHTML("saved")
        response.headers.add("set-cookie", "theme=dark; Path=/")
        response.headers.add("set-cookie", "lang=en; Path=/")
        response.cookies["tracking"] = "no"
        return await plugin.save_to_response(request, response, visits=1)

    async with http(app) as client:
        response = await client.get("/save")
        names = [c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")]
        assert sorted(names) == ["lang", "session", "theme", "tracking"]
        assert (await client.get("/get")).json()["data"] == {"visits": 1}


# -- plugin machinery ---------------------------------------------------------------------------


async def test_session_disabled_really_disables_the_middleware(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(muffin.Application(SESSION_DISABLED=True), secret_key=None)

    @app.route("/")
    async def index(request: muffin.Request) -> dict[str, bool]:
        return {"has_session": "session" in request.scope}

    assert "session" not in app.plugins
    assert plugin.cfg.disabled is True
    assert app.internal_middlewares == []
    async with http(app) as client:
        response = await client.get("/")
    assert response.json() == {"has_session": False}
    assert "set-cookie" not in response.headers


async def test_user_pass_works_on_handler_methods(session_app: AppFactory, http: Client) -> None:
    app, plugin = session_app()

    @app.route("/admin")
    class Admin(muffin.Handler):
        methods = ("get",)

        @plugin.user_pass()
        async def get(self, request: muffin.Request) -> dict[str, Any]:
            return {"admin": await plugin.load_user(request)}

    async with http(app) as client:
        response = await client.get("/admin")
        assert (response.status_code, response.headers["location"]) == (307, "/login")
        await client.post("/login", json={"user_id": "alice"})
        response = await client.get("/admin")
    assert (response.status_code, response.json()) == (200, {"admin": "alice"})


async def test_two_plugins_with_different_names_keep_separate_sessions_and_users(
    session_app: AppFactory, http: Client
) -> None:
    app, main = session_app()
    admin = Plugin(app, name="admin_session", secret_key=SECRET, auto_manage=True)

    @app.route("/admin/login", methods="POST")
    async def admin_login(request: muffin.Request) -> str:
        await admin.login(request, "root")
        return "ok"

    @app.route("/both")
    async def both(request: muffin.Request) -> dict[str, Any]:
        return {
            "user": await main.load_user(request),
            "admin": await admin.load_user(request),
            "scopes": [request.user, request.admin_user],
            "same_session": request.session is request.admin_session,
        }

    assert admin.settings.cookie_name == "admin_session"
    async with http(app) as client:
        await client.post("/login", json={"user_id": "alice"})
        await client.post("/admin/login")
        assert set(client.cookies) == {"session", "admin_session"}
        assert (await client.get("/both")).json() == {
            "user": "alice",
            "admin": "root",
            "scopes": ["alice", "root"],
            "same_session": False,
        }
        await client.post("/logout")
        assert (await client.get("/both")).json()["admin"] == "root"
        assert (await client.get("/both")).json()["user"] is None


async def test_html_redirect_escapes_its_location(session_app: AppFactory, http: Client) -> None:
    app, plugin = session_app(redirect_type=ResponseHTMLRedirect)

    @app.route("/private")
    @plugin.user_pass(location=lambda request: "/next?q=" + request.url.query.get("q", ""))
    async def private(request: muffin.Request) -> str:
        return "secret"

    async with http(app) as client:
        response = await client.get("/private", params={"q": "a&b"})
    assert response.status_code == 200
    assert 'url=/next?q=a&amp;b"' in response.text
    assert response.headers["location"] == "/next?q=a&b"


@pytest.mark.parametrize(
    "target",
    [
        XSS,
        "'javascript:alert(1)'",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        " /spaced",
        "/tab\there",
    ],
)
async def test_a_redirect_target_computed_per_request_stays_on_this_site(
    session_app: AppFactory, http: Client, target: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, plugin = session_app(redirect_type=ResponseHTMLRedirect)

    @app.route("/private")
    @plugin.user_pass(location=lambda request: request.url.query.get("target", "/"))
    async def private(request: muffin.Request) -> str:
        return "secret"

    async with http(app) as client:
        response = await client.get("/private", params={"target": target})
    assert response.status_code == 200
    assert response.headers["location"] == "/login"  # login_url, never the target
    assert "evil" not in response.text
    assert "javascript" not in response.text
    assert "redirect to another site was refused" in caplog.text


@pytest.mark.parametrize(
    "location",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "'javascript:alert(1)'",
        '"javascript:alert(1)"',
        "data:x",
        "//evil.example/",
        "/\\evil.example",
        "https://ok.example/a b",
    ],
)
def test_html_redirect_refuses_anything_but_a_path_or_an_http_url(location: str) -> None:
    with pytest.raises(ValueError, match="a path on this site or http"):
        ResponseHTMLRedirect(location)


@pytest.mark.parametrize("location", ["/", "/login?next=/a", "https://sso.example/login"])
def test_html_redirect_takes_a_path_or_an_http_url_written_in_the_app(location: str) -> None:
    assert ResponseHTMLRedirect(location).headers["location"] == location


# -- dict semantics and users -------------------------------------------------------------------


async def test_pop_of_a_missing_key_raises_key_error_like_a_dict(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app()

    @app.route("/pop")
    async def pop(request: muffin.Request) -> dict[str, Any]:
        with pytest.raises(KeyError):
            request.session.pop("missing")
        return {"default": request.session.pop("missing", "fallback")}

    async with http(app) as client:
        assert (await client.get("/pop")).json() == {"default": "fallback"}


async def test_request_user_is_none_without_a_logged_in_user(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app()

    @app.route("/user")
    async def user(request: muffin.Request) -> dict[str, Any]:
        return {"loaded": await plugin.load_user(request), "attribute": request.user}

    async with http(app) as client:
        assert (await client.get("/user")).json() == {"loaded": None, "attribute": None}


async def test_logout_ends_the_whole_session_not_only_the_user(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app()
    async with http(app) as client:
        await client.post("/set", json={"cart": [1, 2]})
        await client.post("/login", json={"user_id": "alice"})
        response = await client.post("/logout")
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert "session" not in client.cookies
        assert (await client.get("/get")).json() == {"data": {}, "is_new": True}


async def test_login_gives_the_session_a_new_id(
    frozen_manager: Callable[..., SessionManager], session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(manager=frozen_manager(backend="memory"))
    async with http(app) as client:
        await client.post("/set", json={"cart": [1]})
        before = client.cookies["session"]
        await client.post("/login", json={"user_id": "alice"})
        after = client.cookies["session"]
        assert after != before
        assert (await client.get("/whoami")).json() == {"user": "alice"}
        client.cookies["session"] = before  # the pre-login id was deleted with the move
        assert (await client.get("/get")).json() == {"data": {}, "is_new": True}


async def test_logout_everywhere_ends_every_session_of_the_user_on_a_store(
    frozen_manager: Callable[..., SessionManager], session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(manager=frozen_manager(backend="memory"))
    async with http(app) as laptop, http(app) as phone, http(app) as other:
        for client, user in ((laptop, "alice"), (phone, "alice"), (other, "bob")):
            await client.post("/login", json={"user_id": user})
        await laptop.post("/logout", params={"everywhere": "1"})
        assert (await laptop.get("/whoami")).json() == {"user": None}
        assert (await phone.get("/whoami")).json() == {"user": None}
        assert (await other.get("/whoami")).json() == {"user": "bob"}


async def test_logout_everywhere_on_a_cookie_backend_ends_this_session_and_says_so(
    session_app: AppFactory, http: Client, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = session_app()
    async with http(app) as laptop, http(app) as phone:
        for client in (laptop, phone):
            await client.post("/login", json={"user_id": "alice"})
        with caplog.at_level(logging.WARNING, logger="satchel.muffin"):
            await laptop.post("/logout", params={"everywhere": "1"})
        assert "cannot end other sessions" in caplog.text
        assert (await laptop.get("/whoami")).json() == {"user": None}
        assert (await phone.get("/whoami")).json() == {"user": "alice"}


@pytest.mark.parametrize("backend", ["signed", "jwt", "fernet", "memory"])
async def test_a_value_json_cannot_hold_is_refused_by_every_backend_alike(
    backend: str, session_app: AppFactory, http: Client
) -> None:
    """muffin-session stringified it on two backends and failed at response time on JWT."""
    app, _ = session_app(session_type=backend)

    @app.route("/date")
    async def date(request: muffin.Request) -> str:
        request.session["when"] = timedelta(days=1)
        return "ok"

    async with http(app) as client:
        assert (await client.get("/date")).status_code == 500
        assert "session" not in client.cookies


async def test_a_guarded_view_called_without_a_request_is_a_clear_type_error() -> None:
    plugin = Plugin(muffin.Application(), secret_key=SECRET)

    @plugin.user_pass()
    async def view(request: object) -> str:
        return "never"

    with pytest.raises(TypeError, match="view was called without a request"):
        await view("not a request")


async def test_a_redirect_target_computed_as_a_url_object_stays_on_this_site(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app()

    @app.route("/private")
    @plugin.user_pass(location=lambda request: request.url.with_host("evil.example"))
    async def private(request: muffin.Request) -> str:
        return "secret"

    async with http(app) as client:
        response = await client.get("/private")
    assert response.status_code == 307
    assert response.headers["location"] == "/login"
