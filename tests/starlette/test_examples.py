"""The example apps (examples/fastapi/app.py, examples/starlette/app.py), in-process
through a client and once each as a served process."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from support import make_settings

from satchel import SessionSettings

if TYPE_CHECKING:
    from starlette.testclient import TestClient

EXAMPLES = Path(__file__).parents[2] / "examples"


def create_app(name: str, settings: SessionSettings) -> Any:
    """The example's own factory (the file is run, not imported as a package)."""
    return runpy.run_path(str(EXAMPLES / name / "app.py"))["create_app"](settings)


@pytest.fixture(params=["fastapi", "starlette"])
def example(request: pytest.FixtureRequest) -> tuple[str, SessionSettings]:
    """Each example with its backend: Redis for FastAPI's, memory for Starlette's."""
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


def test_example_counts_logs_in_anew_keeps_a_cart_flashes_and_logs_out_everywhere(
    testclient: type[TestClient], example: tuple[str, SessionSettings]
) -> None:
    with testclient(create_app(*example)) as client:
        laptop, phone = Browser(client), Browser(client)
        first = laptop.get("/").json()
        assert first == {"visits": 1, "user": None, "cart": [], "flashes": []}
        assert laptop.post("/cart", json={"item": "apple"}).json() == {"cart": ["apple"]}
        assert laptop.post("/cart", json={"item": "pear"}).json() == {"cart": ["apple", "pear"]}
        assert laptop.post("/cart", json={"item": ""}).status_code == 422

        anonymous = laptop.cookies["session"]
        assert laptop.post("/login", json={"name": "alice"}).json() == {"user": "alice"}
        assert laptop.cookies["session"] != anonymous  # a new id: no session fixation
        page = laptop.get("/").json()
        assert page == {
            "visits": 2,
            "user": "alice",
            "cart": ["apple", "pear"],
            "flashes": [["info", "Welcome, alice!"]],
        }
        assert laptop.get("/").json()["flashes"] == []  # shown once

        meta = laptop.get("/session").json()
        assert meta["created"] <= meta["last_seen"] < meta["expires"]
        assert meta["is_new"] is False

        phone.post("/login", json={"name": "alice"})
        assert phone.get("/").json()["user"] == "alice"
        assert laptop.post("/logout-everywhere").json() == {"ended": 2}
        assert phone.get("/").json()["user"] is None  # logged out from the laptop
        assert laptop.get("/").json() == {"visits": 1, "user": None, "cart": [], "flashes": []}
        assert laptop.post("/logout-everywhere").status_code == 401

        phone.post("/login", json={"name": "bob"})
        phone.post("/logout")
        assert phone.get("/").json()["flashes"] == [["info", "You are logged out."]]


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
                    assert [client.get("/").json()["visits"] for _ in range(2)] == [1, 2]
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
