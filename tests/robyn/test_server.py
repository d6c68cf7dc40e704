"""satchel-robyn on a real Robyn server on loopback: every backend on Robyn's event loop,
sync and async handlers, the app's own middlewares, chunked cookies, outages, and what
holds under ``--processes``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from robyn import Request, Response, Robyn
from support import SECRET, make_settings

from satchel import UNAVAILABLE, SessionManager
from satchel_robyn import configure_sessions, get_session

COOKIE_BACKENDS = ["signed", "jwt", "fernet", "aesgcm", "base64"]


def _shop(options: dict[str, Any]) -> Robyn:
    """An app whose sync and async handlers and own middlewares all use the session."""
    app = Robyn(__file__)
    app.config.disable_openapi = True

    def tag(request: Request) -> Request:  # registered before the sessions: still sees one
        if request.url.path == "/visit":
            get_session(request).setdefault("visits", 0)
        return request

    app.before_request()(tag)
    configure_sessions(app, manager=SessionManager(make_settings(**options)))

    def seen(request: Request, response: Response) -> Response:  # registered after
        if request.url.path == "/visit":
            response.headers.set("x-visits", str(get_session(request)["visits"]))
        return response

    app.after_request()(seen)

    def visit(request: Request) -> dict[str, Any]:
        session = get_session(request)
        session["visits"] += 1
        return {"visits": session["visits"], "sync": True, "pid": os.getpid()}

    async def add(request: Request) -> dict[str, Any]:
        session = get_session(request)
        session.setdefault("cart", []).append(request.path_params["item"])
        return {"cart": session["cart"]}

    async def big(request: Request) -> dict[str, Any]:
        get_session(request)["blob"] = "x" * int(request.path_params["size"])
        return {"ok": True}

    def clear(request: Request) -> dict[str, Any]:
        get_session(request).clear()
        return {"ok": True}

    app.add_route("GET", "/visit", visit)
    app.add_route("POST", "/cart/:item", add)
    app.add_route("POST", "/big/:size", big)
    app.add_route("POST", "/clear", clear)
    app.add_route("GET", "/health", lambda request: "ok")
    return app


@pytest.fixture(params=[*COOKIE_BACKENDS, "memory", "redis"])
def backend_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every backend's options (redis on a real server)."""
    options: dict[str, Any] = {"backend": request.param}
    if request.param == "redis":
        options["redis_url"] = request.getfixturevalue("redis_url")
        options["store_prefix"] = request.getfixturevalue("redis_prefix")
    return options


@pytest.fixture
def client() -> Iterator[Callable[[str], httpx.Client]]:
    """HTTP clients with their own cookie jars, closed after the test."""
    opened: list[httpx.Client] = []

    def open_client(url: str) -> httpx.Client:
        opened.append(httpx.Client(base_url=url, timeout=10))
        return opened[-1]

    yield open_client
    for each in opened:
        each.close()


def test_every_backend_keeps_a_session_in_sync_and_async_handlers_and_middlewares(
    serve: Callable[..., str],
    client: Callable[[str], httpx.Client],
    backend_options: dict[str, Any],
) -> None:
    browser = client(serve(lambda: _shop(backend_options)))
    assert browser.get("/visit").json()["visits"] == 1
    assert browser.post("/cart/apple").json() == {"cart": ["apple"]}
    last = browser.get("/visit")
    assert last.json()["visits"] == 2
    assert last.headers["x-visits"] == "2"
    assert client(browser.base_url.__str__()).get("/visit").json()["visits"] == 1  # per browser


def test_an_untouched_request_gets_no_cookie_and_a_read_gets_vary_and_private(
    serve: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    browser = client(serve(lambda: _shop({"backend": "signed"})))
    touched = browser.get("/visit")
    assert touched.headers["vary"] == "Cookie"
    assert touched.headers["cache-control"] == "private"
    untouched = browser.get("/health")  # with the cookie: still never decoded
    assert "set-cookie" not in untouched.headers
    assert "vary" not in untouched.headers
    assert "cache-control" not in untouched.headers


def test_a_large_session_goes_out_as_several_set_cookie_headers_and_clears_them_all(
    serve: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    options = {"backend": "base64", "compress": False, "cookie_max_bytes": 12288}
    browser = client(serve(lambda: _shop(options)))
    chunked = browser.post("/big/5000")
    cookies = chunked.headers.get_list("set-cookie")
    assert [c.split("=")[0] for c in cookies] == ["session", "session.1", "session.2"]
    assert all(len(c.split(";")[0].replace("=", "", 1)) <= 4096 for c in cookies)  # name+value
    assert browser.get("/visit").json()["visits"] == 1  # the chunks came back whole
    cleared = browser.post("/clear").headers.get_list("set-cookie")
    assert sorted(c.split("=")[0] for c in cleared) == ["session", "session.1", "session.2"]
    assert all("Max-Age=0" in c for c in cleared)


def test_a_session_over_every_chunk_is_a_500_never_a_lost_cookie(
    serve: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    browser = client(serve(lambda: _shop({"backend": "base64", "compress": False})))
    response = browser.post("/big/20000")
    assert response.status_code == 500
    assert "set-cookie" not in response.headers


def test_a_store_that_is_down_gets_cores_answer_on_the_wire(
    serve: Callable[..., str], client: Callable[[str], httpx.Client], unused_redis_url: str
) -> None:
    options = {"backend": "redis", "redis_url": unused_redis_url, "store_timeout": 0.5}
    response = client(serve(lambda: _shop(options))).get("/visit")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers.get_list("content-length") == [str(len(UNAVAILABLE.body))]
    assert "set-cookie" not in response.headers


@pytest.mark.slow
def test_redis_sessions_hold_across_robyn_processes(
    serve: Callable[..., str],
    client: Callable[[str], httpx.Client],
    redis_url: str,
    redis_prefix: str,
) -> None:
    options = {"backend": "redis", "redis_url": redis_url, "store_prefix": redis_prefix}
    url = serve(lambda: _shop(options), processes=2)
    browsers = [client(url) for _ in range(4)]
    pids = set()
    for n in range(1, 101):  # until both processes have served (bounded: 400 requests)
        for browser in browsers:  # a new connection each, taken by either process
            visit = browser.get("/visit", headers={"connection": "close"}).json()
            assert visit["visits"] == n
            pids.add(visit["pid"])
        if len(pids) == 2 and n >= 5:
            break
    assert len(pids) == 2  # both processes served, and every count held


@pytest.mark.slow
def test_signed_sessions_hold_across_robyn_processes(
    serve: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    url = serve(lambda: _shop({"backend": "signed", "secret_key": SECRET}), processes=2)
    browser = client(url)
    pids = set()
    for n in range(1, 401):  # until both processes have served (bounded)
        visit = browser.get("/visit", headers={"connection": "close"}).json()
        assert visit["visits"] == n
        pids.add(visit["pid"])
        if len(pids) == 2 and n >= 10:
            break
    assert len(pids) == 2


@pytest.mark.slow
def test_the_memory_store_is_not_shared_across_robyn_processes(
    serve: Callable[..., str], client: Callable[[str], httpx.Client]
) -> None:
    """The documented limit: each process keeps its own memory store."""
    browser = client(serve(lambda: _shop({"backend": "memory"}), processes=2))
    first = browser.get("/visit", headers={"connection": "close"}).json()
    for _ in range(400):  # until another process takes a request (bounded)
        visit = browser.get("/visit", headers={"connection": "close"}).json()
        if visit["pid"] != first["pid"]:
            assert visit["visits"] == 1  # that process never saw this session
            return
    pytest.fail("one process took every request")
