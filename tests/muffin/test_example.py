"""The Muffin example app (examples/muffin/app.py): what only Muffin's example does, in-process
and as a served process. The shop every example shares is tested in tests/examples/."""

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

import httpx
import muffin
import pytest
from support import SECRET, make_settings

from satchel import SessionSettings

pytestmark = pytest.mark.anyio
EXAMPLE = Path(__file__).parents[2] / "examples" / "muffin" / "app.py"

Client = Callable[[muffin.Application], httpx.AsyncClient]


def _create_app(settings: SessionSettings, monkeypatch: pytest.MonkeyPatch) -> muffin.Application:
    """The example's own factory (the file is run, not imported as a package; its
    module-level app reads SESSION_SECRET_KEY)."""
    monkeypatch.setenv("SESSION_SECRET_KEY", SECRET)
    app: muffin.Application = runpy.run_path(str(EXAMPLE))["create_app"](settings)
    return app


def _visits(page: str) -> int:
    match = re.search(r'id="visits">(\d+)<', page)
    assert match is not None
    return int(match[1])


async def test_example_private_page_redirects_until_someone_logs_in(
    http: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _create_app(make_settings(), monkeypatch)
    async with http(app) as client:
        assert _visits((await client.get("/")).text) == 1
        refused = await client.get("/private")
        assert (refused.status_code, refused.headers["location"]) == (307, "/")

        await client.post("/login", data={"name": "alice <b>"})
        private = (await client.get("/private")).text
        assert "Only logged-in users see this, alice &lt;b&gt;." in private
        assert "Welcome, alice &lt;b&gt;!" in (await client.get("/")).text

        await client.post("/logout")
        assert (await client.get("/private")).headers["location"] == "/"


async def test_example_answers_a_cart_too_large_with_its_413_page_and_no_cookie(
    http: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(cookie_max_chunks=2, cookie_max_bytes=12288)  # two chunks
    app = _create_app(settings, monkeypatch)
    async with http(app) as client:
        await client.post("/cart", data={"quantity": "50"})
        await client.post("/cart", data={"quantity": "50"})
        kept = dict(client.cookies)
        refused = await client.post("/cart", data={"quantity": "50"})
        assert refused.status_code == 413
        assert 'id="too-large"' in refused.text
        assert "set-cookie" not in refused.headers  # Muffin's error page skips the plugin
        assert dict(client.cookies) == kept
        assert 'id="cart-count">100<' in (await client.get("/cart")).text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_example_serves_with_one_command_and_no_configuration() -> None:
    pytest.importorskip("uvicorn")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--port", str(port)],
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
                    assert _visits(client.get("/").text) == 1
                    assert _visits(client.get("/").text) == 2
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert f"open http://127.0.0.1:{port}/" in output
    assert "generated development key" in output


WEAK_SECRET = "weak-secret-value-0123"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SESSION_SECRET_KEY", WEAK_SECRET, "SESSION_SECRET_KEY must be at least 32 bytes"),
        ("SESSION_BACKEND", "postgres", "SESSION_BACKEND='postgres': must be 'signed'"),
        ("SESSION_MAXAGE", "60", "SESSION_MAXAGE in the environment is not a satchel setting"),
        (
            "MUFFIN_SESSION_MAXAGE",
            "60",
            "unknown session option 'maxage' in the environment (MUFFIN_SESSION_*); "
            "did you mean 'max_age'?",
        ),
        (
            "MUFFIN_SESSION_COOKIE_PARAMS",
            '{"samesite": "none"}',
            "cookie_params['samesite']='none' requires SESSION_COOKIE_SECURE=True",
        ),
    ],
    ids=[
        "weak-secret",
        "unknown-backend",
        "misspelt-variable",
        "misspelt-muffin-variable",
        "samesite-none",
    ],
)
def test_example_refuses_to_start_under_uvicorn_with_bad_settings(
    variable: str, value: str, message: str
) -> None:
    """Invalid settings stop the app at start-up (the plugin's setup raises while uvicorn
    imports it): a non-zero exit naming the setting, never serving, never the secret."""
    pytest.importorskip("uvicorn")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    env["SESSION_SECRET_KEY"] = SECRET
    env[variable] = value
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(EXAMPLE.parent), "app:app"]
    command += ["--host", "127.0.0.1", "--port", str(_free_port())]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"satchel.errors.ConfigurationError: {message}" in output
    assert "Uvicorn running" not in output
    assert SECRET not in output
    assert WEAK_SECRET not in output
