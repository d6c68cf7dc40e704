"""What the Starlette and FastAPI examples add to the shop every example serves (which
tests/examples/ pins): logging out everywhere, the typed cart API, Redis; and each
served with one command."""

from __future__ import annotations

import os
import re
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from support import SECRET, make_settings

from satchel import SessionSettings

if TYPE_CHECKING:
    from starlette.testclient import TestClient

EXAMPLES = Path(__file__).parents[2] / "examples"
Factory = Callable[[str, SessionSettings], Any]


@pytest.fixture
def create_app(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, SessionSettings], Any]:
    """Builds an example app with the example's own factory (the file is run, as a script
    is, not imported; its module-level app reads SESSION_SECRET_KEY)."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)

    def build(name: str, settings: SessionSettings) -> Any:
        return runpy.run_path(str(EXAMPLES / name / "app.py"))["create_app"](settings)

    return build


def visits(page: str) -> int:
    found = re.search(r'id="visits">(\d+)<', page)
    assert found is not None
    return int(found[1])


@pytest.fixture(params=["fastapi", "starlette"])
def example(request: pytest.FixtureRequest) -> tuple[str, SessionSettings]:
    """Each example on a store backend: Redis for FastAPI's, memory for Starlette's."""
    if request.param == "fastapi":
        pytest.importorskip("fastapi")
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        return "fastapi", make_settings(backend="redis", redis_url=url, store_prefix=prefix)
    return "starlette", make_settings(backend="memory")


class Browser:
    """One browser (its own cookie jar) on a client shared with others: one server, one
    event loop, as in production."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookies = httpx.Cookies()

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        self.client.cookies = self.cookies
        response: httpx.Response = self.client.request(method, path, **options)
        self.cookies = self.client.cookies
        return response

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, **options: Any) -> httpx.Response:
        return self.request("POST", path, **options)


def test_example_logs_out_everywhere_on_a_store_backend(
    testclient: type[TestClient], example: tuple[str, SessionSettings], create_app: Factory
) -> None:
    with testclient(create_app(*example)) as client:
        laptop, phone, other = Browser(client), Browser(client), Browser(client)
        for browser, name in ((laptop, "alice"), (phone, "alice"), (other, "bob")):
            browser.post("/login", data={"name": name})
            assert 'id="user">' + name in browser.get("/").text
        assert 'id="bye"' in laptop.post("/logout-everywhere").text  # redirected to /bye
        assert 'id="user"' not in phone.get("/").text  # logged out from the laptop
        assert 'id="user"' not in laptop.get("/").text
        assert 'id="user">bob' in other.get("/").text  # another user keeps his session


def test_example_logout_everywhere_on_cookies_ends_this_session_only(
    testclient: type[TestClient], create_app: Factory
) -> None:
    with testclient(create_app("starlette", make_settings())) as client:
        laptop, phone = Browser(client), Browser(client)
        for browser in (laptop, phone):
            browser.post("/login", data={"name": "alice"})
        laptop.post("/logout-everywhere")
        assert 'id="user"' not in laptop.get("/").text
        assert 'id="user">alice' in phone.get("/").text  # a cookie backend cannot reach it


def test_example_cart_api_is_the_typed_model_and_grows(
    testclient: type[TestClient], example: tuple[str, SessionSettings], create_app: Factory
) -> None:
    name, settings = example
    with testclient(create_app(name, settings)) as client:
        assert client.get("/api/cart").json() == {"cart": [], "cart_added": 0}
        client.post("/cart", data={"quantity": "2"})
        if name == "fastapi":  # the SessionModel dependency writes the model back
            client.post("/api/cart/plum")
            assert client.post("/api/cart/durian").status_code == 422
        lines = client.get("/api/cart").json()["cart"]
        assert [line["product"] for line in lines] == ["apple", "pear", "plum"][: len(lines)]
        assert len(lines) == (3 if name == "fastapi" else 2)
        assert visits(client.get("/").text) == 1


def test_fastapi_example_chooses_redis_on_its_default_url_when_asked_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fastapi")
    from satchel_starlette import SessionMiddleware

    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    monkeypatch.setenv("SESSION_BACKEND", "redis")
    namespace = runpy.run_path(str(EXAMPLES / "fastapi" / "app.py"))
    layer: Any = namespace["app"].build_middleware_stack()  # as the first request does
    while not isinstance(layer, SessionMiddleware):
        layer = layer.app
    settings = layer.manager.settings
    assert settings.backend == "redis"
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("SESSION_REDIS_URL", "redis://example.invalid:1/2")
    assert namespace["redis_default"]() == {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fastapi", "starlette"])
def test_example_serves_with_one_command(name: str, request: pytest.FixtureRequest) -> None:
    pytest.importorskip("uvicorn")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    if name == "fastapi":
        pytest.importorskip("fastapi")
        env["SESSION_BACKEND"] = "redis"
        env["SESSION_REDIS_URL"] = request.getfixturevalue("redis_url")
        env["SESSION_STORE_PREFIX"] = request.getfixturevalue("redis_prefix")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / name / "app.py"), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                    assert [visits(client.get("/").text) for _ in range(2)] == [1, 2]
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in output
    assert "generated development key" in output
    assert "Traceback" not in output  # the store closed cleanly at shutdown
