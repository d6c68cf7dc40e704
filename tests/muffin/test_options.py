"""Plugin options: Muffin's precedence, muffin-session's names, every option checked."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import muffin
import pytest
from asgi_tools.tests import manage_lifespan
from support import OTHER_SECRET, SECRET, make_settings

import satchel.errors
from satchel import SessionManager
from satchel.answers import UNAVAILABLE, Answer
from satchel_muffin import ConfigurationError, Plugin, ResponseHTMLRedirect

pytestmark = pytest.mark.anyio

AppFactory = Callable[..., tuple[muffin.Application, Plugin]]
Client = Callable[[muffin.Application], httpx.AsyncClient]


def test_plugin_is_named_session_and_registers_itself() -> None:
    app = muffin.Application()
    plugin = Plugin(app, secret_key=SECRET)
    assert plugin.name == "session"
    assert app.plugins["session"] is plugin
    assert plugin.app is app


def test_setup_later_takes_the_constructors_options_and_its_own() -> None:
    plugin = Plugin(cookie_name="early", max_age=60)
    app = muffin.Application()
    assert plugin.setup(app, secret_key=SECRET, cookie_name="late") is True
    assert (plugin.settings.cookie_name, plugin.settings.max_age.total_seconds()) == ("late", 60)


def test_a_name_given_before_setup_is_kept() -> None:
    plugin = Plugin(name="admin_session", secret_key=SECRET)
    app = muffin.Application()
    plugin.setup(app)
    assert app.plugins["admin_session"] is plugin
    assert plugin.settings.cookie_name == "admin_session"


def test_options_follow_muffins_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugin defaults < app config SESSION_* < options < environment MUFFIN_SESSION_*."""
    assert Plugin(muffin.Application(), secret_key=SECRET).settings.cookie_name == "session"
    config = {"SESSION_SECRET_KEY": SECRET, "SESSION_COOKIE_NAME": "config", "SESSION_MAX_AGE": 90}
    plugin = Plugin(muffin.Application(**config))
    assert (plugin.settings.cookie_name, plugin.settings.max_age.total_seconds()) == ("config", 90)
    plugin = Plugin(muffin.Application(**config), cookie_name="option")
    assert (plugin.settings.cookie_name, plugin.settings.max_age.total_seconds()) == ("option", 90)
    monkeypatch.setenv("MUFFIN_SESSION_COOKIE_NAME", "environment")
    monkeypatch.setenv("MUFFIN_SESSION_AUTO_MANAGE", "true")
    plugin = Plugin(muffin.Application(**config), cookie_name="option")
    assert plugin.settings.cookie_name == "environment"
    assert plugin.config.auto_manage is True


def test_session_variables_sit_below_every_muffin_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """SESSION_* variables configure satchel for every adapter; Muffin's own sources win."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_COOKIE_NAME", "from_env")
    assert Plugin(muffin.Application()).settings.cookie_name == "from_env"
    assert Plugin(muffin.Application(), cookie_name="option").settings.cookie_name == "option"


def test_app_config_names_are_case_insensitive() -> None:
    plugin = Plugin(muffin.Application(session_secret_key=SECRET, Session_Cookie_Name="mixed"))
    assert plugin.settings.cookie_name == "mixed"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "options",
            "unknown session option 'secert_key' in the options; did you mean 'secret_key'",
        ),
        ("config", r"'secert_key' in the app config \(SESSION_\*\); did you mean 'secret_key'"),
        (
            "environment",
            r"'secert_key' in the environment \(MUFFIN_SESSION_\*\); did you mean 'secret_key'",
        ),
    ],
)
def test_a_misspelled_option_is_an_error_wherever_it_is_given(
    where: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    options: dict[str, Any] = {}
    config: dict[str, Any] = {}
    if where == "options":
        options["secert_key"] = SECRET
    elif where == "config":
        config["SESSION_SECERT_KEY"] = SECRET
    else:
        monkeypatch.setenv("MUFFIN_SESSION_SECERT_KEY", SECRET)
    with pytest.raises(ConfigurationError, match=message):
        Plugin(muffin.Application(**config), **options)


def test_a_bad_value_is_an_error_naming_the_option() -> None:
    with pytest.raises(ConfigurationError, match="cookie_samesite='sometimes': must be 'lax'"):
        Plugin(muffin.Application(), secret_key=SECRET, cookie_samesite="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="auto_manage='perhaps': Input should be a valid"):
        Plugin(muffin.Application(SESSION_AUTO_MANAGE="perhaps"), secret_key=SECRET)


def test_a_bad_cookie_params_value_is_named_as_it_was_given() -> None:
    with pytest.raises(ConfigurationError, match=r"cookie_params\['samesite'\]='sometimes'"):
        Plugin(muffin.Application(), secret_key=SECRET, cookie_params={"samesite": "sometimes"})


def test_the_configuration_error_is_satchels_own() -> None:
    assert ConfigurationError is satchel.errors.ConfigurationError
    assert issubclass(ConfigurationError, satchel.errors.SatchelError)
    assert issubclass(ConfigurationError, ValueError)


@pytest.mark.parametrize(
    "where", ["options", "app config (SESSION_*)", "environment (MUFFIN_SESSION_*)"]
)
def test_a_misspelled_plugin_option_is_refused_with_a_suggestion(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config: dict[str, Any] = {"SESSION_SECRET_KEY": SECRET}
    options: dict[str, Any] = {}
    if where == "options":
        options["auto_manag"] = True
    elif where.startswith("app config"):
        config["SESSION_AUTO_MANAG"] = True
    else:
        monkeypatch.setenv("MUFFIN_SESSION_AUTO_MANAG", "true")
    message = f"unknown session option 'auto_manag' in the {where}; did you mean 'auto_manage'?"
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Plugin(muffin.Application(**config), **options)


def test_a_disabled_plugin_still_refuses_a_misspelled_option() -> None:
    app = muffin.Application(SESSION_DISABLED=True, SESSION_MAXAGE=60)
    with pytest.raises(ConfigurationError, match="did you mean 'max_age'"):
        Plugin(app)
    assert "session" not in app.plugins


def test_muffin_session_option_names_map_onto_settings() -> None:
    plugin = Plugin(
        muffin.Application(),
        session_type="fernet",
        secret_key=SECRET,
        cookie_name="info",
        cookie_params={
            "path": "/app",
            "max-age": 600,
            "samesite": "Strict",
            "secure": True,
            "domain": "example.com",
            "httponly": True,
        },
    )
    settings = plugin.settings
    assert settings.backend == "fernet"
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == SECRET
    assert (settings.cookie_name, settings.cookie_path, settings.cookie_domain) == (
        "info",
        "/app",
        "example.com",
    )
    assert (settings.cookie_samesite, settings.cookie_secure, settings.cookie_httponly) == (
        "strict",
        True,
        True,
    )
    assert (settings.max_age.total_seconds(), settings.persistent) == (600, True)


def test_cookie_params_max_age_sets_the_lifetime_and_nothing_else() -> None:
    """muffin-session's ``max-age`` is satchel's max_age: a number leaves ``persistent``
    as it is set elsewhere; None (or 0) is a browser-session cookie."""
    settings = Plugin(
        muffin.Application(SESSION_PERSISTENT=False),
        secret_key=SECRET,
        cookie_params={"max-age": 3600},
    ).settings
    assert (settings.max_age.total_seconds(), settings.persistent) == (3600, False)
    settings = Plugin(
        muffin.Application(), secret_key=SECRET, cookie_params={"max-age": 0}
    ).settings
    assert (settings.max_age.total_seconds(), settings.persistent) == (14 * 86400, False)


def test_a_browser_session_max_age_contradicting_persistent_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="persistent=True contradicts it"):
        Plugin(
            muffin.Application(),
            secret_key=SECRET,
            persistent=True,
            cookie_params={"max-age": None},
        )


async def test_cookie_params_merge_into_the_defaults(session_app: AppFactory, http: Client) -> None:
    app, _ = session_app(muffin.Application(SESSION_COOKIE_PARAMS={"secure": True}))
    async with http(app) as client:
        response = await client.post("/set", json={"n": 1})
    assert response.headers["set-cookie"].endswith(
        "; Max-Age=1209600; Path=/; HttpOnly; Secure; SameSite=Lax"
    )


def test_cookie_params_from_every_source_merge_key_by_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = muffin.Application(SESSION_COOKIE_PARAMS={"secure": True, "path": "/config"})
    settings = Plugin(app, secret_key=SECRET, cookie_params={"path": "/option"}).settings
    assert (settings.cookie_secure, settings.cookie_path) == (True, "/option")
    monkeypatch.setenv("MUFFIN_SESSION_COOKIE_PARAMS", '{"domain": "example.com"}')
    settings = Plugin(
        muffin.Application(), secret_key=SECRET, cookie_params={"secure": True}
    ).settings
    assert (settings.cookie_secure, settings.cookie_domain) == (True, "example.com")


def test_cookie_params_in_the_environment_that_are_no_json_are_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUFFIN_SESSION_COOKIE_PARAMS", "{secure: true}")
    expected = r"cookie_params in the environment \(MUFFIN_SESSION_\*\) must be a mapping \(a JSON"
    with pytest.raises(ConfigurationError, match=expected):
        Plugin(muffin.Application(), secret_key=SECRET)


def test_an_unknown_cookie_param_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown cookie_params key 'expires'"):
        Plugin(muffin.Application(), secret_key=SECRET, cookie_params={"expires": 3})  # type: ignore[typeddict-unknown-key]


def test_one_setting_given_twice_in_one_source_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="backend is given twice in the options"):
        Plugin(muffin.Application(), secret_key=SECRET, session_type="jwt", backend="fernet")
    with pytest.raises(ConfigurationError, match="cookie_secure is given twice"):
        Plugin(
            muffin.Application(),
            secret_key=SECRET,
            cookie_params={"secure": True},
            cookie_secure=False,
        )


async def test_a_settings_object_is_the_whole_configuration_shared_with_other_adapters(
    session_app: AppFactory, http: Client
) -> None:
    settings = make_settings(backend="jwt", cookie_name="shared")
    app, plugin = session_app(settings=settings)
    assert plugin.settings is settings
    async with http(app) as client:
        await client.post("/set", json={"cart": [1]})
        cookie_header = f"shared={client.cookies['shared']}"
    engine = SessionManager(settings)  # what any other adapter builds from the same settings
    assert dict(await engine.load(cookie_header)) == {"cart": [1]}


def test_options_adjust_a_given_settings_object() -> None:
    settings = make_settings(cookie_name="shared")
    plugin = Plugin(muffin.Application(), settings, max_age=60)
    assert plugin.settings.cookie_name == "shared"
    assert plugin.settings.max_age.total_seconds() == 60


def test_settings_and_manager_together_are_an_error() -> None:
    settings = make_settings()
    with pytest.raises(ConfigurationError, match=r"pass no other options \(settings\)"):
        Plugin(muffin.Application(), settings, manager=SessionManager(settings))


def test_session_options_cannot_change_a_prebuilt_manager() -> None:
    manager = SessionManager(make_settings())
    message = r"manager= holds the settings; pass no other options \(cookie_name\)"
    with pytest.raises(ConfigurationError, match=message):
        Plugin(muffin.Application(), manager=manager, cookie_name="other")
    with pytest.raises(ConfigurationError, match=r"pass no other options \(max_age\)"):
        Plugin(muffin.Application(SESSION_MAX_AGE=60), manager=manager)
    plugin = Plugin(muffin.Application(), manager=manager, auto_manage=True)
    assert plugin.manager is manager


def test_plugin_config_mirrors_into_muffins_cfg() -> None:
    plugin = Plugin(
        muffin.Application(),
        secret_key=SECRET,
        auto_manage=True,
        login_url="/signin",
        redirect_type=ResponseHTMLRedirect,
    )
    assert (plugin.cfg.auto_manage, plugin.cfg.login_url) == (True, "/signin")
    assert plugin.cfg.redirect_type is ResponseHTMLRedirect
    assert plugin.config.login_url == "/signin"


def test_cfg_shows_the_session_settings_as_muffin_session_named_them() -> None:
    def checker(user: Any) -> bool:
        return bool(user == "root")

    plugin = Plugin(
        muffin.Application(SESSION_LOGIN_URL="/home"),
        secret_key=SECRET,
        session_type="jwt",
        cookie_name="sid",
        cookie_params={"max-age": 600, "samesite": "Strict", "secure": True},
        auto_manage=True,
        default_user_checker=checker,
        user_key="id",
    )
    cfg = plugin.cfg
    assert (cfg.secret_key, cfg.session_type, cfg.cookie_name) == (SECRET, "jwt", "sid")
    assert cfg.cookie_params == {
        "path": "/",
        "domain": None,
        "secure": True,
        "httponly": True,
        "samesite": "strict",
        "partitioned": False,
        "max-age": 600,
    }
    assert (cfg.auto_manage, cfg.login_url, cfg.default_user_checker) == (True, "/home", checker)
    assert cfg.redirect_type is muffin.ResponseRedirect
    assert (cfg.user_key, cfg.backend, cfg["COOKIE_SECURE"]) == ("id", "jwt", True)


def test_cfg_shows_a_browser_session_cookie_as_max_age_none() -> None:
    plugin = Plugin(muffin.Application(), secret_key=SECRET, cookie_params={"max-age": None})
    assert plugin.cfg.cookie_params["max-age"] is None


def test_cfg_shows_the_settings_in_force_after_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", OTHER_SECRET)
    monkeypatch.setenv("MUFFIN_SESSION_COOKIE_NAME", "from_env")
    plugin = Plugin(muffin.Application(), cookie_name="from_options")
    assert (plugin.cfg.secret_key, plugin.cfg.cookie_name) == (OTHER_SECRET, "from_env")


def test_cfg_shows_a_settings_object_or_a_shared_manager_as_in_force() -> None:
    settings = make_settings(cookie_name="shared", backend="fernet")
    assert Plugin(muffin.Application(), settings).cfg.session_type == "fernet"
    manager = SessionManager(settings)
    assert Plugin(muffin.Application(), manager=manager).cfg.cookie_name == "shared"


def test_cfg_secret_key_is_the_plain_secret_but_never_shown_in_a_repr() -> None:
    plugin = Plugin(muffin.Application(), secret_key=SECRET)
    secret = plugin.cfg.secret_key
    assert isinstance(secret, str)
    assert secret == SECRET
    assert f"{secret}" == SECRET  # code that signs with it gets the text
    assert SECRET not in repr(plugin.cfg)
    assert SECRET not in repr(dict(plugin.cfg))
    assert "**********" in repr(secret)


def test_cfg_before_setup_shows_the_plugins_own_options() -> None:
    plugin = Plugin(secret_key=SECRET)
    assert (plugin.cfg.auto_manage, plugin.cfg.login_url) == (False, "/login")


async def test_user_key_id_keeps_the_user_where_muffin_session_kept_it(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app(user_key="id")
    async with http(app) as client:
        await client.post("/login", json={"user_id": 42})
        assert (await client.get("/get")).json()["data"] == {"id": 42}
        assert (await client.get("/whoami")).json() == {"user": 42}


def test_user_key_defaults_to_cores_as_in_every_adapter() -> None:
    assert Plugin(muffin.Application(), secret_key=SECRET).settings.user_key == "user_id"


def test_the_manager_is_unavailable_before_setup() -> None:
    plugin = Plugin(secret_key=SECRET)
    with pytest.raises(RuntimeError):
        _ = plugin.manager


# -- lifespan and the store ---------------------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py is asyncio-only
async def test_app_shutdown_closes_the_manager_the_plugin_built(
    redis_url: str, redis_prefix: str, session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="redis", redis_url=redis_url, store_prefix=redis_prefix)
    async with manage_lifespan(app):
        async with http(app) as client:
            await client.post("/set", json={"n": 1})
            assert (await client.get("/get")).json()["data"] == {"n": 1}
        assert "connected=True" in repr(plugin.manager.backend)
    assert "connected=False" in repr(plugin.manager.backend)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py is asyncio-only
async def test_app_shutdown_leaves_a_passed_manager_open(
    redis_url: str, redis_prefix: str, session_app: AppFactory, http: Client
) -> None:
    manager = SessionManager(
        make_settings(backend="redis", redis_url=redis_url, store_prefix=redis_prefix)
    )
    app, _ = session_app(manager=manager)
    async with manage_lifespan(app), http(app) as client:
        await client.post("/set", json={"n": 1})
    assert "connected=True" in repr(manager.backend)
    await manager.aclose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _down(session_app: AppFactory, **options: Any) -> tuple[muffin.Application, Plugin]:
    """An app whose redis store cannot be reached (nothing listens on its port)."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    return session_app(backend="redis", redis_url=url, store_timeout=0.5, **options)


async def _issued_cookie(session_app: AppFactory, http: Client) -> str:
    """A session cookie the redis store must be asked about: an id issued by the memory
    backend under the same secret."""
    up, _ = session_app(backend="memory")
    async with http(up) as client:
        await client.post("/set", json={"n": 1})
        return client.cookies["session"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py is asyncio-only
@pytest.mark.parametrize("auto_manage", [True, False])
async def test_an_unreachable_store_gets_cores_503_answer_not_a_logout(
    auto_manage: bool, session_app: AppFactory, http: Client
) -> None:
    cookie = await _issued_cookie(session_app, http)
    down, plugin = _down(session_app, auto_manage=auto_manage)
    async with http(down) as client:
        client.cookies["session"] = cookie
        response = await client.get("/get")
        assert response.status_code == 503
        assert response.content == UNAVAILABLE.body
        assert response.headers["retry-after"] == "5"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert "set-cookie" not in response.headers
        if auto_manage:  # a write without a cookie to read first fails alike
            client.cookies.clear()
            assert (await client.post("/set", json={"n": 1})).status_code == 503
    await plugin.manager.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py is asyncio-only
async def test_a_store_outage_logs_one_warning_per_refused_request(
    session_app: AppFactory, http: Client, caplog: pytest.LogCaptureFixture
) -> None:
    down, plugin = _down(session_app)
    with caplog.at_level(logging.WARNING):
        async with http(down) as client:
            for _ in range(3):
                assert (await client.post("/set", json={"n": 1})).status_code == 503
    refused = [r for r in caplog.records if "session store unavailable" in r.getMessage()]
    assert [(r.name, r.levelname) for r in refused] == [("satchel", "WARNING")] * 3
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await plugin.manager.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py is asyncio-only
async def test_the_unavailable_option_replaces_the_store_down_answer(
    session_app: AppFactory, http: Client
) -> None:
    page = Answer(503, b"<h1>Back in a minute</h1>", 1013, retry_after=60, content_type="text/html")
    cookie = await _issued_cookie(session_app, http)
    down, plugin = _down(session_app, unavailable=page)
    assert plugin.cfg.unavailable is page
    async with http(down) as client:
        client.cookies["session"] = cookie
        response = await client.get("/get")
    assert (response.status_code, response.text) == (503, "<h1>Back in a minute</h1>")
    assert (response.headers["retry-after"], response.headers["content-type"]) == (
        "60",
        "text/html",
    )
    await plugin.manager.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # redis-py is asyncio-only
async def test_an_unreachable_store_closes_a_websocket_with_1013(
    session_app: AppFactory, http: Client
) -> None:
    cookie = await _issued_cookie(session_app, http)
    down, plugin = _down(session_app)

    @down.route("/ws")
    async def socket(request: muffin.Request) -> None:
        async with muffin.ResponseWebSocket(request) as ws:
            await ws.send("never")

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    headers = [(b"cookie", f"session={cookie}".encode())]
    scope = {"type": "websocket", "path": "/ws", "headers": headers, "query_string": b""}
    await down(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1013}]
    await plugin.manager.aclose()


def test_a_second_secret_configures_key_rotation() -> None:
    plugin = Plugin(
        muffin.Application(SESSION_SECRET_KEY_FALLBACKS=OTHER_SECRET), secret_key=SECRET
    )
    assert [s.get_secret_value() for s in plugin.settings.secret_key_fallbacks] == [OTHER_SECRET]
