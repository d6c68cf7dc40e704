"""muffin-session's documented flows, run through Muffin's own test client, and the API
around them (users, redirects, flash messages, caching)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import muffin
import pytest
from support import SECRET

from satchel_muffin import Plugin, ResponseHTMLRedirect

pytestmark = pytest.mark.anyio

AppFactory = Callable[..., tuple[muffin.Application, Plugin]]
Client = Callable[[muffin.Application], httpx.AsyncClient]


async def test_manual_flow_loads_from_the_request_and_saves_to_the_response() -> None:
    app = muffin.Application()
    session = Plugin()
    session.setup(app, secret_key=SECRET)

    @app.route("/update")
    async def update_session(request: muffin.Request) -> muffin.Response:
        ses = await session.load_from_request(request)
        ses["var"] = "value"
        response = muffin.ResponseHTML("Session has been updated")
        await session.save_to_response(ses, response)
        return response

    @app.route("/load")
    async def load_session(request: muffin.Request) -> Any:
        ses = await session.load_from_request(request)
        return ses.get("var")

    client = muffin.TestClient(app)
    response = await client.get("/update")
    assert await response.text() == "Session has been updated"
    assert "session" in response.cookies
    assert await (await client.get("/load")).text() == "value"


async def test_manual_flow_writes_nothing_it_was_not_asked_to_save() -> None:
    app = muffin.Application()
    session = Plugin(app, secret_key=SECRET)

    @app.route("/forgotten")
    async def forgotten(request: muffin.Request) -> str:
        (await session.load_from_request(request))["var"] = "value"
        return "not saved"

    response = await muffin.TestClient(app).get("/forgotten")
    assert "set-cookie" not in response.headers


async def test_auto_managed_flow_keeps_the_session_at_request_session() -> None:
    app = muffin.Application()
    session = Plugin()
    session.setup(app, secret_key=SECRET, auto_manage=True)

    @app.route("/update")
    async def update_session(request: muffin.Request) -> str:
        request.session["var"] = "value"
        return "Session has been updated"

    @app.route("/load")
    async def load_session(request: muffin.Request) -> Any:
        return request.session.get("var")

    client = muffin.TestClient(app)
    assert await (await client.get("/update")).text() == "Session has been updated"
    assert await (await client.get("/load")).text() == "value"


@dataclass
class User:
    pk: str
    is_admin: bool


USERS = {"1": User("1", is_admin=True), "2": User("2", is_admin=False)}


async def test_documented_example_with_user_loader_user_pass_login_and_logout() -> None:
    app = muffin.Application("example")
    session = Plugin()
    session.setup(app, secret_key=SECRET, auto_manage=True)

    @session.user_loader
    async def load_user(ident: str) -> User | None:
        return USERS.get(ident)

    @app.route("/session")
    async def get_session(request: muffin.Request) -> dict[str, Any]:
        return dict(request.session)

    @app.route("/admin")
    @session.user_pass(lambda user: getattr(user, "is_admin", False))
    async def admin(request: muffin.Request) -> str:
        return "TOP SECRET"

    @app.route("/login/{pk}")
    async def login(request: muffin.Request) -> str:
        await session.login(request, request.path_params["pk"])
        return "OK"

    @app.route("/logout")
    async def logout(request: muffin.Request) -> str:
        await session.logout(request)
        return "OK"

    @app.route("/somewhere")
    async def somewhere(request: muffin.Request) -> str:
        request.session.clear()
        return "OK"

    client = muffin.TestClient(app)
    response = await client.get("/admin", follow_redirect=False)
    assert (response.status_code, response.headers["location"]) == (307, "/login")
    await client.get("/login/2")
    assert (await client.get("/admin", follow_redirect=False)).status_code == 307
    await client.get("/login/1")
    assert await (await client.get("/session")).json() == {"user_id": "1"}
    assert await (await client.get("/admin")).text() == "TOP SECRET"
    await client.get("/logout")
    assert (await client.get("/admin", follow_redirect=False)).status_code == 307
    await client.get("/login/1")
    await client.get("/somewhere")
    assert await (await client.get("/session")).json() == {}


async def test_config_from_the_app_config(http: Client) -> None:
    config = ModuleType("muffin_session_test_config")
    config.SESSION_SECRET_KEY = SECRET  # type: ignore[attr-defined]
    config.SESSION_COOKIE_NAME = "info"  # type: ignore[attr-defined]
    config.SESSION_AUTO_MANAGE = True  # type: ignore[attr-defined]
    sys.modules[config.__name__] = config
    try:
        app = muffin.Application(config.__name__)
    finally:
        del sys.modules[config.__name__]
    session = Plugin(app)

    @app.route("/")
    async def index(request: muffin.Request) -> str:
        request.session["seen"] = True
        return "ok"

    assert session.config.auto_manage is True
    async with http(app) as client:
        await client.get("/")
        assert set(client.cookies) == {"info"}


async def test_save_to_response_converts_a_dict_or_str_as_muffin_does(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False)

    @app.route("/json")
    async def as_json(request: muffin.Request) -> muffin.Response:
        return await plugin.save_to_response(request, {"saved": True}, kind="json")

    @app.route("/html")
    async def as_html(request: muffin.Request) -> muffin.Response:
        session = await plugin.load_from_request(request)
        return await plugin.save_to_response(session, "<p>saved</p>", kind="html")

    async with http(app) as client:
        response = await client.get("/json")
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"saved": True}
        assert (await client.get("/get")).json()["data"] == {"kind": "json"}
        response = await client.get("/html")
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.text == "<p>saved</p>"
        assert (await client.get("/get")).json()["data"] == {"kind": "html"}


async def test_an_explicit_save_under_auto_manage_sends_one_cookie(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app()

    @app.route("/both")
    async def both(request: muffin.Request) -> muffin.Response:
        return await plugin.save_to_response(request, "saved", n=1)

    async with http(app) as client:
        response = await client.get("/both")
        assert len(response.headers.get_list("set-cookie")) == 1
        assert response.headers.get_list("vary") == ["Cookie"]
        assert (await client.get("/get")).json()["data"] == {"n": 1}


async def test_login_and_logout_save_into_a_given_response(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False)

    @app.route("/in")
    async def login(request: muffin.Request) -> muffin.Response | None:
        return await plugin.login(request, "alice", response="welcome")

    @app.route("/out")
    async def logout(request: muffin.Request) -> muffin.Response | None:
        return await plugin.logout(request, response={"bye": True})

    async with http(app) as client:
        assert (await client.get("/in")).text == "welcome"
        assert (await client.get("/whoami")).json() == {"user": "alice"}
        assert (await client.get("/out")).json() == {"bye": True}
        assert (await client.get("/whoami")).json() == {"user": None}


async def test_the_session_is_loaded_once_per_request(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False)

    @app.route("/twice")
    async def twice(request: muffin.Request) -> dict[str, bool]:
        first = await plugin.load_from_request(request)
        return {"same": first is await plugin.load_from_request(request)}

    async with http(app) as client:
        assert (await client.get("/twice")).json() == {"same": True}


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_user_loader_may_be_sync_or_async_and_runs_once_per_request(
    kind: str, session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app()
    calls: list[str] = []

    def load(ident: str) -> dict[str, str]:
        calls.append(ident)
        return {"name": ident.title()}

    async def load_async(ident: str) -> dict[str, str]:
        return load(ident)

    plugin.user_loader(load if kind == "sync" else load_async)

    @app.route("/me")
    async def me(request: muffin.Request) -> dict[str, Any]:
        first = await plugin.load_user(request)
        return {"user": first, "cached": first is await plugin.load_user(request)}

    async with http(app) as client:
        await client.post("/login", json={"user_id": "alice"})
        assert (await client.get("/me")).json() == {"user": {"name": "Alice"}, "cached": True}
    assert calls == ["alice"]


async def test_login_forgets_the_user_loaded_before_it(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app()

    @app.route("/switch", methods="POST")
    async def switch(request: muffin.Request) -> dict[str, Any]:
        before = await plugin.load_user(request)
        await plugin.login(request, "bob")
        return {"before": before, "after": await plugin.load_user(request)}

    async with http(app) as client:
        await client.post("/login", json={"user_id": "alice"})
        assert (await client.post("/switch")).json() == {"before": "alice", "after": "bob"}


async def _async_target(request: muffin.Request) -> str:
    return f"/signin?next={request.url.path}"


@pytest.mark.parametrize(
    ("location", "status", "target"),
    [
        (None, 307, "/login"),
        ("/elsewhere", 307, "/elsewhere"),
        (lambda request: f"/signin?next={request.url.path}", 307, "/signin?next=/private"),
        (_async_target, 307, "/signin?next=/private"),
        (muffin.ResponseError.NOT_FOUND(), 404, None),
    ],
    ids=["login-url", "string", "sync-callable", "async-callable", "response-error"],
)
async def test_user_pass_sends_anonymous_visitors_to_its_location(
    location: Any, status: int, target: str | None, session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app()

    @app.route("/private")
    @plugin.user_pass(location=location)
    async def private(request: muffin.Request) -> str:
        return "secret"

    async with http(app) as client:
        response = await client.get("/private")
        assert response.status_code == status
        assert response.headers.get("location") == target
        await client.post("/login", json={"user_id": "alice"})
        assert (await client.get("/private")).text == "secret"


@pytest.mark.parametrize(
    ("options", "params", "status", "target"),
    [
        ({"login_url": _async_target}, {}, 307, "/signin?next=/private"),
        ({"redirect_type": ResponseHTMLRedirect}, {}, 200, "/login"),
        ({}, {"status_code": 303}, 303, "/login"),
    ],
    ids=["async-login-url-option", "redirect-type-option", "response-params"],
)
async def test_user_pass_redirects_as_the_options_and_its_parameters_say(
    options: dict[str, Any],
    params: dict[str, Any],
    status: int,
    target: str,
    session_app: AppFactory,
    http: Client,
) -> None:
    app, plugin = session_app(**options)

    @app.route("/private")
    @plugin.user_pass(**params)
    async def private(request: muffin.Request) -> str:
        return "secret"

    async with http(app) as client:
        response = await client.get("/private")
    assert (response.status_code, response.headers["location"]) == (status, target)


async def test_user_pass_accepts_an_async_checker(session_app: AppFactory, http: Client) -> None:
    app, plugin = session_app()

    async def is_alice(user: Any) -> bool:
        return bool(user == "alice")

    @app.route("/alice")
    @plugin.user_pass(is_alice)
    async def alice_only(request: muffin.Request) -> str:
        return "hello alice"

    async with http(app) as client:
        await client.post("/login", json={"user_id": "bob"})
        assert (await client.get("/alice")).status_code == 307
        await client.post("/login", json={"user_id": "alice"})
        assert (await client.get("/alice")).text == "hello alice"


async def test_check_user_returns_the_user(session_app: AppFactory, http: Client) -> None:
    app, plugin = session_app()

    @app.route("/check")
    async def check(request: muffin.Request) -> dict[str, Any]:
        return {"user": await plugin.check_user(request)}

    async with http(app) as client:
        await client.post("/login", json={"user_id": 7})
        assert (await client.get("/check")).json() == {"user": 7}


async def test_flash_messages_show_once(session_app: AppFactory, http: Client) -> None:
    app, plugin = session_app()

    @app.route("/save", methods="POST")
    async def save(request: muffin.Request) -> str:
        await plugin.flash(request, "Saved!")
        request.session.flash("Careful", "warning")
        return "ok"

    @app.route("/page")
    async def page(request: muffin.Request) -> dict[str, Any]:
        warnings = await plugin.pop_flashes(request, "warning")
        rest = await plugin.pop_flashes(request)
        return {"warnings": [list(f) for f in warnings], "rest": [list(f) for f in rest]}

    async with http(app) as client:
        await client.post("/save")
        assert (await client.get("/page")).json() == {
            "warnings": [["warning", "Careful"]],
            "rest": [["info", "Saved!"]],
        }
        assert (await client.get("/page")).json() == {"warnings": [], "rest": []}


async def test_a_request_that_never_touches_its_session_gets_no_session_headers(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app()

    @app.route("/static")
    async def static(request: muffin.Request) -> str:
        return "plain"

    async with http(app) as client:
        await client.post("/set", json={"n": 1})
        response = await client.get("/static")
    assert {"set-cookie", "vary", "cache-control"}.isdisjoint(response.headers)


async def test_a_read_only_request_varies_on_cookie_but_sets_none(
    session_app: AppFactory, http: Client
) -> None:
    app, _ = session_app()
    async with http(app) as client:
        await client.post("/set", json={"n": 1})
        response = await client.get("/get")
    assert "set-cookie" not in response.headers
    assert (response.headers["vary"], response.headers["cache-control"]) == ("Cookie", "private")


async def test_a_websocket_reads_the_session(session_app: AppFactory) -> None:
    app, _ = session_app()

    @app.route("/set-name")
    async def set_name(request: muffin.Request) -> str:
        request.session["name"] = "alice"
        return "ok"

    @app.route("/ws")
    async def socket(request: muffin.Request) -> None:
        async with muffin.ResponseWebSocket(request) as ws:
            await ws.send(request.session.get("name", "nobody"))

    client = muffin.TestClient(app)
    await client.get("/set-name")
    async with client.websocket("/ws") as ws:
        assert await ws.receive() == "alice"
