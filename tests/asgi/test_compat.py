"""Coming from asgi-sessions 1.3.0: its keyword arguments, its asgi-tools setup(),
and none of its defects (reference/compat-surfaces.md)."""

from __future__ import annotations

from typing import Any

import pytest
from asgi.conftest import Exchange, Store, client, counter
from asgi_tools import App, Request
from support import SECRET, make_settings

from satchel import SessionManager
from satchel.errors import ConfigurationError
from satchel_asgi import SessionMiddleware

pytestmark = pytest.mark.anyio
UNSIGNED: dict[str, Any] = {"session_type": "base64", "allow_unsigned": True}


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({"session_type": "jwt"}, "backend", "jwt"),
        ({"session_type": "fernet"}, "backend", "fernet"),
        (UNSIGNED, "backend", "base64"),
        ({"cookie_name": "sid"}, "cookie_name", "sid"),
        ({"samesite": "Strict"}, "cookie_samesite", "strict"),
        ({"samesite": "none", "secure": True}, "cookie_samesite", "none"),
        ({"secure": True}, "cookie_secure", True),
        ({"max_age": 3600}, "persistent", True),
        ({"max_age": 0}, "persistent", False),
    ],
)
def test_asgi_sessions_keywords_map_onto_settings(
    options: dict[str, Any], field: str, expected: object
) -> None:
    middleware = SessionMiddleware(counter, secret_key=SECRET, **options)
    assert getattr(middleware.manager.settings, field) == expected


@pytest.mark.parametrize("session_type", ["JWT", "cookie", "", "pickle"])
def test_unknown_session_type_is_an_error_not_base64(session_type: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        SessionMiddleware(counter, secret_key=SECRET, session_type=session_type)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"session_type={session_type!r}: must be 'signed', 'jwt'")


def test_base64_session_type_still_needs_the_unsigned_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="set SESSION_ALLOW_UNSIGNED=True"):
        SessionMiddleware(counter, secret_key=SECRET, session_type="base64")


def test_session_type_and_backend_together_are_an_error() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"backend is given twice in the options \(as session_type and backend\)",
    ):
        SessionMiddleware(counter, secret_key=SECRET, session_type="jwt", backend="fernet")


def test_a_short_secret_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        SessionMiddleware(counter, secret_key="secret")


def test_a_secret_given_in_asgi_sessions_position_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="secret_key="):
        SessionMiddleware(counter, SECRET)  # type: ignore[arg-type]


async def test_cookie_is_httponly_with_a_numeric_max_age() -> None:
    async with client(SessionMiddleware(counter, secret_key=SECRET, max_age=600)) as http:
        header = (await http.get("/")).headers["set-cookie"]
    assert "HttpOnly" in header
    assert "Max-Age=600;" in header


async def test_max_age_zero_gives_a_browser_session_cookie() -> None:
    async with client(SessionMiddleware(counter, secret_key=SECRET, max_age=0)) as http:
        header = (await http.get("/")).headers["set-cookie"]
    assert "Max-Age" not in header
    assert "Expires" not in header


async def test_a_crafted_cookie_never_raises() -> None:
    # asgi-sessions raised on an expired JWT, an HS512 or alg=none JWT, and non-JSON base64
    crafted = [
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VyIjoiYWRtaW4ifQ.",
        "eyJhbGciOiJIUzUxMiJ9.eyJleHAiOjF9.c2ln",
        "bm90IGpzb24=",
        "W1sxLDJdXQ==",
        "MQ==",
    ]
    for options in ({"session_type": "jwt"}, {"session_type": "fernet"}, UNSIGNED):
        middleware = SessionMiddleware(counter, secret_key=SECRET, **options)
        async with client(middleware) as http:
            for value in crafted:
                response = await http.get("/", headers={"cookie": f"session={value}"})
                assert (response.status_code, response.text) == (200, "1")


def test_settings_object_and_keyword_overrides_combine() -> None:
    settings = make_settings(cookie_name="shared")
    middleware = SessionMiddleware(counter, settings, max_age=60)
    assert middleware.manager.settings.cookie_name == "shared"
    assert middleware.manager.settings.max_age.total_seconds() == 60


def test_a_manager_cannot_be_combined_with_options() -> None:
    manager = SessionManager(make_settings())
    with pytest.raises(ValueError, match="manager="):
        SessionMiddleware(counter, manager=manager, cookie_name="x")
    with pytest.raises(ValueError, match="manager="):
        SessionMiddleware(counter, make_settings(), manager=manager)


def test_settings_come_from_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    assert SessionMiddleware(counter).manager.settings.cookie_name == "from_env"


# -- asgi-tools: App.middleware(SessionMiddleware.setup(...)) ---------------------------------


def test_setup_options_are_checked_when_asgi_tools_registers_the_middleware() -> None:
    factory = SessionMiddleware.setup(secret_key=SECRET, session_type="cookie")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="session_type='cookie': must be"):
        App().middleware(factory)


async def test_setup_gives_asgi_tools_handlers_request_session() -> None:
    app = App()
    app.middleware(SessionMiddleware.setup(secret_key=SECRET, session_type="jwt"))

    @app.route("/")
    async def home(request: Request) -> dict[str, Any]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request["session"]["n"], "same": request.session is request["session"]}

    async with client(app) as http:
        assert [(await http.get("/")).json() for _ in range(2)] == [
            {"n": 1, "same": True},
            {"n": 2, "same": True},
        ]


async def test_asgi_tools_turns_a_raising_handler_into_a_500_which_commits_the_session() -> None:
    app = App()
    app.middleware(SessionMiddleware.setup(secret_key=SECRET))

    @app.route("/fail")
    async def fail(request: Request) -> None:
        request.session["tried"] = True
        raise RuntimeError("handler bug")

    @app.route("/")
    async def home(request: Request) -> dict[str, Any]:
        return dict(request.session)

    async with client(app) as http:
        response = await http.get("/fail")
        assert response.status_code == 500  # a response start was sent: the rule commits
        assert "set-cookie" in response.headers
        assert (await http.get("/")).json() == {"tried": True}


async def test_under_asgi_tools_the_store_is_closed_by_an_on_shutdown_hook() -> None:
    store = Store()
    manager = SessionManager(make_settings(), backend=store)
    app = App()
    app.middleware(SessionMiddleware.setup(manager=manager))
    exchange = Exchange({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    await exchange(app, {"type": "lifespan"})
    assert store.closed == 0  # asgi-tools answers lifespan itself: the middleware never sees it

    app.on_shutdown(manager.aclose)  # as the docstring of setup() says
    exchange = Exchange({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    sent = await exchange(app, {"type": "lifespan"})
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert store.closed == 1


async def test_an_asgi_tools_app_wrapped_directly_sees_the_session_and_closes_at_shutdown() -> None:
    store = Store()
    app = App()

    @app.route("/")
    async def home(request: Request) -> dict[str, Any]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request.session["n"]}

    wrapped = SessionMiddleware(app, manager=SessionManager(make_settings(), backend=store))
    async with client(wrapped) as http:
        assert [(await http.get("/")).json()["n"] for _ in range(2)] == [1, 2]
    exchange = Exchange({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"})
    await exchange(wrapped, {"type": "lifespan"})
    assert store.closed == 1


async def test_asgi_sessions_session_name_is_satchels_session_of_every_request() -> None:
    from satchel_asgi import Session

    seen: list[object] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["session"])
        await counter(scope, receive, send)

    async with client(SessionMiddleware(app, secret_key=SECRET)) as http:
        await http.get("/")
    assert isinstance(seen[0], Session)
    assert isinstance(seen[0], dict)


@pytest.mark.parametrize(("name", "backend"), [("SessionJWT", "jwt"), ("SessionFernet", "fernet")])
def test_importing_an_asgi_sessions_token_class_names_its_replacement(
    name: str, backend: str
) -> None:
    with pytest.raises(ImportError, match=f"no {name}: .*backend='{backend}'"):
        exec(f"from satchel_asgi import {name}", {})  # noqa: S102  # the user's own line


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import satchel_asgi

    with pytest.raises(AttributeError):
        satchel_asgi.SessionCookie  # noqa: B018
