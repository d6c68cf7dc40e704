"""muffin-session's call shapes: login, logout and save_to_response done as they are called
(awaited or not), the response they return, Set-Cookie as its users spell it, and
create_from_token; with a store backend, a call that must wait for I/O says so."""

from __future__ import annotations

import gc
import secrets
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import muffin
import pytest
from support import SECRET

from satchel import Session, SessionNotLoaded
from satchel_muffin import Plugin, SavedResponse

pytestmark = pytest.mark.anyio

AppFactory = Callable[..., tuple[muffin.Application, Plugin]]
Client = Callable[[muffin.Application], httpx.AsyncClient]


def _request(app: muffin.Application, cookie: str | None = None) -> muffin.Request:
    """A request as Muffin builds one, outside any server (muffin-session's tests do this)."""
    headers = {} if cookie is None else {"cookie": cookie}
    scope = muffin.TestClient(app).build_scope("/", method="GET", headers=headers)
    return muffin.Request(scope, None, None)  # type: ignore[arg-type]  # never read or sent


def _token(response: muffin.Response) -> str:
    """The session cookie's value, read as muffin-session's users read it."""
    return str(response.headers["Set-Cookie"]).split(";")[0].split("=", 1)[1]


# -- a cookie backend: every call is done as it is called ---------------------------------------


@pytest.mark.parametrize("auto_manage", [True, False], ids=["auto-managed", "manual"])
async def test_login_called_without_await_logs_the_user_in(
    auto_manage: bool, session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=auto_manage)

    @app.route("/plain-login")
    async def plain_login(request: muffin.Request) -> muffin.Response:
        plugin.login(request, "alice")  # as muffin-session's README writes it
        return plugin.save_to_response(request, "Logged in.")

    async with http(app) as client:
        assert (await client.get("/plain-login")).text == "Logged in."
        assert (await client.get("/whoami")).json() == {"user": "alice"}


@pytest.mark.parametrize("auto_manage", [True, False], ids=["auto-managed", "manual"])
async def test_logout_called_without_await_logs_the_user_out(
    auto_manage: bool, session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=auto_manage)

    @app.route("/plain-login")
    async def plain_login(request: muffin.Request) -> muffin.Response:
        return plugin.login(request, "alice", response="Logged in.")

    @app.route("/plain-logout")
    async def plain_logout(request: muffin.Request) -> muffin.Response:
        plugin.logout(request)
        return plugin.save_to_response(request, "Logged out.")

    async with http(app) as client:
        await client.get("/plain-login")
        assert (await client.get("/whoami")).json() == {"user": "alice"}
        assert (await client.get("/plain-logout")).text == "Logged out."
        assert (await client.get("/whoami")).json() == {"user": None}


async def test_login_and_logout_awaited_give_none_or_the_response_saved_into(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False)

    @app.route("/awaited")
    async def awaited(request: muffin.Request) -> dict[str, Any]:
        calls: list[Awaitable[object]] = [plugin.login(request, "alice"), plugin.logout(request)]
        results = [await call for call in calls]
        given = muffin.ResponseText("in")
        saved = await plugin.login(request, "bob", response=given)
        same = id(saved) == id(given)
        return {"results": results, "same": same, "cookie": "Set-Cookie" in saved.headers}

    async with http(app) as client:
        assert (await client.get("/awaited")).json() == {
            "results": [None, None],
            "same": True,
            "cookie": True,
        }


def test_login_without_await_returns_the_given_response_saved() -> None:
    app = muffin.Application()
    plugin = Plugin(app, secret_key=SECRET, user_key="id")

    response = plugin.login(_request(app), 42, response="OK")

    assert isinstance(response, muffin.ResponseHTML)
    assert isinstance(response, SavedResponse)
    assert plugin.create_from_token(_token(response))["id"] == 42


def test_logout_without_await_saves_into_a_raised_redirect() -> None:
    app = muffin.Application()
    plugin = Plugin(app, secret_key=SECRET)
    logged_in = _token(plugin.login(_request(app), "alice", response="in"))
    redirect = muffin.ResponseRedirect("/", status_code=302)

    saved = plugin.logout(_request(app, f"session={logged_in}"), response=redirect)

    assert id(saved) == id(redirect)
    assert isinstance(redirect, BaseException)  # may still be raised
    assert "Max-Age=0" in saved.headers["Set-Cookie"]


def test_save_to_response_without_await_returns_the_saved_response() -> None:
    app = muffin.Application()
    plugin = Plugin(app, secret_key=SECRET)

    response = plugin.save_to_response(_request(app), {"test": 42}, id=1)

    assert isinstance(response, muffin.ResponseJSON)
    assert plugin.create_from_token(_token(response))["id"] == 1


async def test_a_plain_call_leaves_no_coroutine_unawaited(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False)

    @app.route("/plain")
    async def plain(request: muffin.Request) -> muffin.Response:
        plugin.login(request, "alice")
        plugin.logout(request)
        plugin.login(request, "bob", response="ignored")
        return plugin.save_to_response(request, "ok")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with http(app) as client:
            await client.get("/plain")
        gc.collect()
    assert [str(w.message) for w in caught] == []


# -- Set-Cookie, as muffin-session's users read it ----------------------------------------------


async def test_the_session_cookie_is_found_under_set_cookie_as_muffin_session_wrote_it(
    session_app: AppFactory,
) -> None:
    app, plugin = session_app(auto_manage=False)
    request = _request(app)
    response = muffin.ResponseHTML("saved")
    response.headers.add("Set-Cookie", "theme=dark; Path=/")
    response.headers.add("set-cookie", "lang=en; Path=/")

    await plugin.save_to_response(request, response, visits=1)

    cookies = response.headers.getall("Set-Cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["theme", "session"]
    assert response.headers.getall("set-cookie") == ["lang=en; Path=/"]  # the app's own, kept
    assert (response.headers["Vary"], response.headers["Cache-Control"]) == ("Cookie", "private")


async def test_every_chunk_of_a_large_session_is_under_set_cookie(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(auto_manage=False, cookie_max_bytes=12288)  # past the default
    large = secrets.token_hex(3000)  # random, so no compression fits it in one cookie
    chunks: list[str] = []

    @app.route("/large")
    async def save_large(request: muffin.Request) -> muffin.Response:
        response = await plugin.save_to_response(request, "saved", blob=large)
        chunks.extend(response.headers.getall("Set-Cookie"))
        return response

    async with http(app) as client:
        sent = (await client.get("/large")).headers.get_list("set-cookie")
        assert (await client.get("/get")).json()["data"] == {"blob": large}
    assert len(chunks) > 1
    assert chunks == sent


# -- create_from_token --------------------------------------------------------------------------


def test_create_from_token_reads_a_session_from_a_cookie_value() -> None:
    app = muffin.Application()
    plugin = Plugin(app, secret_key=SECRET, cookie_name="sid")
    token = _token(plugin.save_to_response(_request(app), "ok", cart=[1, 2]))

    session = plugin.create_from_token(token)

    assert isinstance(session, Session)
    assert dict(session) == {"cart": [1, 2]}
    assert plugin.create_from_token().is_new
    assert dict(plugin.create_from_token("forged." + token)) == {}  # a fresh one, no error


async def test_create_from_token_on_a_store_is_loaded_by_awaiting_its_load() -> None:
    app = muffin.Application()
    plugin = Plugin(app, secret_key=SECRET, backend="memory")
    request = _request(app)
    token = _token(await plugin.save_to_response(request, "ok", cart=[1]))

    session = plugin.create_from_token(token)
    with pytest.raises(SessionNotLoaded):
        session.get("cart")
    await session.load()

    assert session["cart"] == [1]


# -- a store backend: what needs I/O waits for the await, and says so ---------------------------


async def test_an_awaited_login_on_a_store_fetches_the_session_first(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="memory", auto_manage=False)

    @app.route("/in")
    async def log_in(request: muffin.Request) -> muffin.Response | None:
        await plugin.login(request, "alice")
        return await plugin.save_to_response(request, "in")

    async with http(app) as client:
        await client.get("/in")
        assert (await client.get("/whoami")).json() == {"user": "alice"}


async def test_a_plain_login_on_a_store_session_is_done_once_it_is_loaded(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="memory")  # auto-managed: loaded before the view

    @app.route("/in")
    async def log_in(request: muffin.Request) -> str:
        plugin.login(request, "alice")
        return "in"

    async with http(app) as client:
        await client.get("/in")
        assert (await client.get("/whoami")).json() == {"user": "alice"}


async def test_a_plain_login_on_a_store_session_not_yet_loaded_is_a_clear_error(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="memory", auto_manage=False)

    @app.route("/forgot-await")
    async def forgot_await(request: muffin.Request) -> str:
        plugin.login(request, "alice")
        try:
            await plugin.save_to_response(request, "in")
        except SessionNotLoaded as error:
            return str(error)
        return "saved"

    async with http(app) as client:
        with pytest.warns(RuntimeWarning, match="never awaited"):  # Python's own word on it
            response = await client.get("/forgot-await")
        assert "called without await" in response.text
        assert "auto_manage=True" in response.text
        assert (await client.get("/whoami")).json() == {"user": None}


async def test_a_response_from_a_plain_login_on_a_store_is_saved_when_muffin_sends_it(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="memory", auto_manage=False)

    @app.route("/in")
    async def log_in(request: muffin.Request) -> muffin.Response:
        return plugin.login(request, "alice", response=muffin.ResponseRedirect("/whoami"))

    async with http(app) as client:
        response = await client.get("/in", follow_redirects=True)
    assert response.json() == {"user": "alice"}


async def test_logout_everywhere_on_a_store_is_done_when_awaited(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="memory")

    @app.route("/out-everywhere")
    async def out_everywhere(request: muffin.Request) -> muffin.Response:
        return await plugin.logout(request, everywhere=True, response="out")

    async with http(app) as laptop, http(app) as phone:
        await laptop.post("/login", json={"user_id": "alice"})
        await phone.post("/login", json={"user_id": "alice"})
        await laptop.get("/out-everywhere")
        assert (await phone.get("/whoami")).json() == {"user": None}


async def test_a_plain_logout_everywhere_on_a_store_ends_this_session_at_once(
    session_app: AppFactory, http: Client
) -> None:
    app, plugin = session_app(backend="memory")

    @app.route("/out-everywhere")
    async def out_everywhere(request: muffin.Request) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the revoke nobody awaits
            plugin.logout(request, everywhere=True)
            gc.collect()
        return "out"

    async with http(app) as laptop, http(app) as phone:
        await laptop.post("/login", json={"user_id": "alice"})
        await phone.post("/login", json={"user_id": "alice"})
        response = await laptop.get("/out-everywhere")
        assert "session=" in response.headers["set-cookie"]  # this one ends, not awaited
        assert (await laptop.get("/whoami")).json() == {"user": None}
        assert (await phone.get("/whoami")).json() == {"user": "alice"}  # needs the await
