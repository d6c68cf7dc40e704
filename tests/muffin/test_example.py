"""The Muffin example app (examples/muffin/app.py) end to end, in-process and as a server."""

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
from support import make_settings

from satchel import SessionSettings

pytestmark = pytest.mark.anyio
EXAMPLE = Path(__file__).parents[2] / "examples" / "muffin" / "app.py"

Client = Callable[[muffin.Application], httpx.AsyncClient]


def _create_app(settings: SessionSettings) -> muffin.Application:
    """The example's own factory (the file is run, not imported as a package)."""
    app: muffin.Application = runpy.run_path(str(EXAMPLE))["create_app"](settings)
    return app


def _visits(page: str) -> int:
    match = re.search(r'id="visits">(\d+)<', page)
    assert match is not None
    return int(match[1])


async def test_example_counts_logs_in_with_a_new_id_flashes_once_and_logs_out(
    http: Client,
) -> None:
    app = _create_app(make_settings())
    async with http(app) as client:
        assert _visits((await client.get("/")).text) == 1
        assert _visits((await client.get("/")).text) == 2
        assert (await client.get("/private")).headers["location"] == "/"
        before = client.cookies["session"]

        login = await client.post("/login", data={"name": "alice <b>"})
        assert login.status_code == 303
        assert client.cookies["session"] != before
        page = (await client.get("/")).text
        assert "Welcome, alice &lt;b&gt;!" in page
        assert 'id="user">alice &lt;b&gt;<' in page
        assert _visits(page) == 3
        assert "Welcome" not in (await client.get("/")).text
        private = (await client.get("/private")).text
        assert "Only logged-in users see this, alice &lt;b&gt;" in private

        assert (await client.post("/logout")).status_code == 303
        page = (await client.get("/")).text
        assert "You are logged out." in page
        assert _visits(page) == 1
        assert 'id="user"' not in page


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
