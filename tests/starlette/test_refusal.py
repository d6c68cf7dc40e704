"""Bad settings never serve: Starlette and FastAPI build their middleware inside the first
ASGI call, so the middleware keeps the `ConfigurationError` and fails the lifespan
startup (the server exits), or, served without a lifespan, answers core's 500 to every
request and logs the error once. In-process, and under a real uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from support import SECRET

from satchel.answers import MISCONFIGURED
from satchel.errors import ConfigurationError
from satchel_starlette import SessionMiddleware

if TYPE_CHECKING:
    from starlette.testclient import TestClient

Client = Callable[..., httpx.AsyncClient]
EXAMPLES = Path(__file__).parents[2] / "examples"
SHORT_SECRET = "short-secret-value"
SHORT = "SESSION_SECRET_KEY must be at least 32 bytes: generate one with `satchel keygen`"
REFUSED = "invalid session settings, refusing to serve: "
served: list[str] = []


async def endpoint(request: Request) -> PlainTextResponse:
    served.append(request.url.path)
    return PlainTextResponse("served")


async def socket_endpoint(websocket: WebSocket) -> None:
    served.append("ws")
    await websocket.accept()


def starlette_app(**options: Any) -> Starlette:
    routes = [Route("/", endpoint), WebSocketRoute("/ws", socket_endpoint)]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, **options)])


def fastapi_app(**options: Any) -> Any:
    fastapi = pytest.importorskip("fastapi")
    app = fastapi.FastAPI(middleware=[Middleware(SessionMiddleware, **options)])
    app.get("/")(endpoint)
    return app


@pytest.fixture(params=["starlette", "fastapi"])
def make(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Makes a Starlette or a FastAPI application with the middleware's options."""
    served.clear()
    return starlette_app if request.param == "starlette" else fastapi_app


def refused_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "satchel" and r.levelname == "ERROR"
    ]


# -- in-process --------------------------------------------------------------------------


def test_bad_settings_fail_the_lifespan_startup_under_the_test_client(
    testclient: type[TestClient], make: Callable[..., Any]
) -> None:
    with (
        pytest.raises(ConfigurationError, match="secret_key must be at least 32 bytes"),
        testclient(make(secret_key=SHORT_SECRET)),
    ):
        pass
    assert served == []


@pytest.mark.anyio
async def test_the_lifespan_startup_fails_with_the_message_and_no_secret() -> None:
    middleware = SessionMiddleware(starlette_app(), secret_key=SHORT_SECRET)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        sent.append(message)

    with pytest.raises(ConfigurationError):
        await middleware({"type": "lifespan", "state": {}}, receive, send)
    expected = "ConfigurationError: secret_key must be at least 32 bytes: generate one with"
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"].startswith(expected)
    assert SHORT_SECRET not in sent[0]["message"]


@pytest.mark.anyio
async def test_without_a_lifespan_every_request_gets_cores_500_and_one_error_line(
    http: Client, make: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with http(make(secret_key=SECRET, sesion_cookie="sid")) as client:
        responses = [await client.get("/") for _ in range(2)]
    for response in responses:
        assert (response.status_code, response.content) == (500, MISCONFIGURED.body)
        assert response.headers["cache-control"] == "no-store"
        assert "set-cookie" not in response.headers
    assert served == []
    assert refused_logs(caplog) == [
        REFUSED + "unknown session option 'sesion_cookie' in the options; "
        "did you mean 'session_cookie'?"
    ]


def test_without_a_lifespan_a_websocket_is_closed_with_1011(
    testclient: type[TestClient],
) -> None:
    served.clear()
    client = testclient(starlette_app(secret_key=SHORT_SECRET))  # no `with`: no lifespan
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
        pass
    assert closed.value.code == MISCONFIGURED.close_code == 1011
    assert served == []


def test_a_development_secret_is_generated_only_when_none_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.warns(UserWarning, match="generated development key"):
        middleware = SessionMiddleware(starlette_app(), development=True)
    assert middleware.manager.settings.secret_key is not None
    monkeypatch.setenv("SESSION_SECRET_KEY", SHORT_SECRET)
    assert SHORT in str(SessionMiddleware(starlette_app(), development=True).error)


# -- under uvicorn -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _uvicorn(example: str, env: dict[str, str], *options: str) -> subprocess.Popen[str]:
    """``uvicorn app:app`` in the example's directory, as a user starts it."""
    if example == "fastapi":
        pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", *options]
    return subprocess.Popen(
        command,
        cwd=EXAMPLES / example,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


BAD = {
    "short secret": ({"SESSION_SECRET_KEY": SHORT_SECRET}, SHORT),
    "unknown backend": (
        {"SESSION_SECRET_KEY": SECRET, "SESSION_BACKEND": "postgres"},
        "SESSION_BACKEND='postgres': must be 'signed', 'jwt', 'fernet', 'aesgcm', 'base64',",
    ),
    "misspelled variable": (
        {"SESSION_SECRET_KEY": SECRET, "SESSION_MAXAGE": "60"},
        "SESSION_MAXAGE in the environment is not a satchel setting; did you mean SESSION_MAX_AGE?",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("example", "case"),
    [
        ("starlette", "short secret"),
        ("starlette", "unknown backend"),
        ("fastapi", "short secret"),
        ("fastapi", "misspelled variable"),
    ],
)
def test_an_example_with_a_bad_setting_exits_at_start_up(example: str, case: str) -> None:
    env, message = BAD[case]
    server = _uvicorn(example, env, "--port", str(_free_port()))
    try:
        output, _ = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        output, _ = server.communicate()
        pytest.fail(f"{example} served with bad settings:\n{output}")
    assert server.returncode != 0, output
    assert REFUSED + message in output  # satchel's ERROR line
    assert f"ConfigurationError: {message}" in output  # the failed startup, as uvicorn logs it
    assert "Application startup failed. Exiting." in output
    assert "Traceback" not in output
    assert SHORT_SECRET not in output


@pytest.mark.slow
@pytest.mark.parametrize("example", ["starlette", "fastapi"])
def test_an_example_served_without_a_lifespan_answers_500_and_logs_once(example: str) -> None:
    port = _free_port()
    server = _uvicorn(
        example, {"SESSION_SECRET_KEY": SHORT_SECRET}, "--port", str(port), "--lifespan", "off"
    )
    statuses: list[int] = []
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while not statuses:
                try:
                    statuses.append(client.get("/").status_code)
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            statuses.append(client.get("/cart").status_code)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert statuses == [500, 500], output
    assert output.count(REFUSED + SHORT) == 1, output
    assert SHORT_SECRET not in output
