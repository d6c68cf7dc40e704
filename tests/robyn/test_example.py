"""examples/robyn/app.py, started as a user starts it (``python app.py --port N``) on a
real Robyn server: the shop's flows, the 413 page of a full cart, and refusal of bad
settings before it serves. Robyn ignores SIGTERM: each server runs in its own process
group, killed at the end, and every wait is bounded."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from support import SECRET

EXAMPLE = Path(__file__).parents[2] / "examples" / "robyn" / "app.py"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(**variables: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SESSION_")}
    return {**clean, **variables}


@pytest.fixture
def example() -> Iterator[Callable[..., str]]:
    """Start the example with some ``SESSION_*`` variables; its URL once it listens."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**variables: str) -> str:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--port", str(port)],
            env=_env(**variables),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, "the example exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        pytest.fail("the example did not listen within 30 s")

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _text(page: str, element: str) -> str:
    match = re.search(rf'id="{element}"[^>]*>([^<]*)<', page)
    assert match is not None, f"no #{element} in the page"
    return match[1]


@pytest.mark.parametrize("backend", ["signed", "memory"])
def test_the_example_counts_logs_in_flashes_once_and_logs_out(
    example: Callable[..., str], backend: str
) -> None:
    url = example(SESSION_SECRET_KEY=SECRET, SESSION_BACKEND=backend)
    with httpx.Client(base_url=url, timeout=10) as client:
        assert _text(client.get("/").text, "visits") == "1"
        assert _text(client.get("/").text, "visits") == "2"
        before = client.cookies["session"]
        login = client.post("/login", data={"name": "alice <b>"})
        assert (login.status_code, login.headers["location"]) == (303, "/")
        assert client.cookies["session"] != before
        page = client.get("/").text
        assert "Welcome, alice &lt;b&gt;!" in page
        assert _text(page, "framework") == "Robyn"
        assert "Welcome" not in client.get("/").text
        logout = client.post("/logout")
        assert (logout.status_code, logout.headers["location"]) == (303, "/bye")
        assert "Max-Age=0" in logout.headers["set-cookie"]
        assert "set-cookie" not in client.get("/bye").headers
        assert _text(client.get("/").text, "visits") == "1"


def test_a_full_cart_gets_the_413_page_and_keeps_what_it_had(
    example: Callable[..., str],
) -> None:
    # chunks need more than the default 3 KB of cookies: the former default's 12 KB
    url = example(SESSION_SECRET_KEY=SECRET, SESSION_COOKIE_MAX_BYTES="12288")
    with httpx.Client(base_url=url, timeout=10) as client:
        steps = []
        for _ in range(4):
            added = client.post("/cart", data={"quantity": "50"})
            count = int(_text(client.get("/cart").text, "cart-count"))
            steps.append((added.status_code, len(added.headers.get_list("set-cookie")), count))
        assert steps[:3] == [(303, 1, 50), (303, 3, 100), (303, 4, 150)]  # chunks
        assert (steps[3][0], steps[3][2]) == (413, 150)  # refused, and nothing lost
        assert _text(client.get("/cart").text, "cookie-names").count("session") == 4


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SESSION_SECRET_KEY": "short-secret-value"}, "SESSION_SECRET_KEY must be at least 32"),
        ({"SESSION_SECRET_KEY": SECRET, "SESSION_MAXAGE": "60"}, "did you mean SESSION_MAX_AGE?"),
    ],
)
def test_the_example_with_bad_settings_exits_with_the_message(
    variables: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--port", str(_free_port())],
        env=_env(**variables),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "short-secret-value" not in result.stderr


def test_the_example_shows_the_session_metadata_without_writing(
    example: Callable[..., str],
) -> None:
    with httpx.Client(base_url=example(SESSION_SECRET_KEY=SECRET), timeout=10) as client:
        client.get("/")
        page = client.get("/session")
        assert "set-cookie" not in page.headers
        assert _text(page.text, "meta-new") == "no"
        assert _text(page.text, "meta-backend") == "signed"
        created = re.search(r'id="meta-created" datetime="([^"]+)"', page.text)
        expires = re.search(r'id="meta-expires" datetime="([^"]+)"', page.text)
        assert created is not None
        assert expires is not None
        assert created[1] < expires[1]
        assert client.get("/no-such-page").status_code == 404
